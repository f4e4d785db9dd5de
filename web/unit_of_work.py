"""The request's unit of work: the domain's ``UnitOfWork`` with the web's session, user and URLs."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_login import current_user

from referral.unit_of_work import UnitOfWork, committing
from web.database import db, settings


class FlaskUrls:
    """``referral.unit_of_work.Urls`` built from the app's routes on the public address.

    It builds with the app's URL map bound to ``base_url`` (the configured public address,
    read from the settings when not given), not with ``url_for`` on the request: the worker
    and the CLI, which have no request, need the same links as the pages.
    """

    def __init__(self, base_url: str | None = None, app: Flask | None = None) -> None:
        self._base_url = base_url
        self._app = app

    @property
    def app(self) -> Flask:
        return self._app if self._app is not None else current_app._get_current_object()

    @property
    def base_url(self) -> str:
        base = self._base_url or self.app.extensions["relais"].settings.base_url
        return base.rstrip("/")

    def _absolute(self, endpoint: str, _anchor: str = "", **values) -> str:
        parts = urlsplit(self.base_url)
        adapter = self.app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "http"
        )
        url = adapter.build(endpoint, values, force_external=True)
        return f"{url}#{_anchor}" if _anchor else url

    def offer_share(self, offer_id: int) -> str:
        return self._absolute("share.offer", offer_id=offer_id)

    def agent_home(self) -> str:
        return self._absolute("agent.home")

    def agent_referrals(self) -> str:
        return self._absolute("referrals.mine")

    def manager_home(self) -> str:
        return self._absolute("manager.home")

    def shortlist(self, offer_id: int) -> str:
        return self._absolute("recruiter.shortlist", offer_id=offer_id)

    def inbox(self) -> str:
        return self._absolute("inbox.index")

    def notification_settings(self) -> str:
        return self._absolute("account.settings", _anchor="notifications")

    def status(self, token: str) -> str:
        return self._absolute("status.show", token=token)

    def privacy(self) -> str:
        return self._absolute("public.privacy")

    def invitation_apply(self, offer_id: int, token: str) -> str:
        return self._absolute("apply.apply", offer_id=offer_id, invite=token)

    def invitation_forget(self, token: str) -> str:
        return self._absolute("apply.forget_invitation", token=token)

    def share_link(self, code: str) -> str:
        return self._absolute("offers.follow_link", code=code)


def unit_of_work(now: datetime | None = None) -> UnitOfWork:
    """A unit of work on the request's session, acting as the signed-in user (if any).

    ``now`` fixes the clock (a view that already read the time for its checks). Views use
    :func:`transaction` instead, which ends it for them: no view calls ``commit``/``rollback``
    (tests/test_architecture.py checks it).
    """
    conf = settings()
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    uow = UnitOfWork(db(), actor=actor, settings=conf, urls=FlaskUrls(conf.base_url))
    if now is not None:
        uow.clock = lambda: now
    return uow


def transaction(now: datetime | None = None) -> AbstractContextManager[UnitOfWork]:
    """The request's unit of work, committed if the block ends normally and rolled back if
    it raises (a domain refusal included): a view runs its use case in it and never commits.

    ``now`` fixes the clock, as for :func:`unit_of_work`.
    """
    return committing(unit_of_work(now))
