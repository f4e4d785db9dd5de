"""The request's unit of work: the domain's ``UnitOfWork`` with the web's session, user and URLs."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime

from flask import url_for
from flask_login import current_user

from referral.unit_of_work import UnitOfWork, committing
from web.database import db, settings


class FlaskUrls:
    """``referral.unit_of_work.Urls`` built with ``url_for`` on the configured public address."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _absolute(self, endpoint: str, **values) -> str:
        return self.base_url + url_for(endpoint, **values)

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


def unit_of_work(now: datetime | None = None) -> UnitOfWork:
    """A unit of work on the request's session, acting as the signed-in user (if any).

    ``now`` fixes the clock (a view that already read the time for its checks).
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
