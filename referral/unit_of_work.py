"""The unit of work: one business transaction and what it needs.

A use case receives a ``UnitOfWork`` instead of a loose session, user and clock. It holds the
session, the actor (the signed-in user, or ``None`` for the worker, the CLI and the seeds), the
clock, the settings, a URL builder (``Urls``: the domain never spells a web address; ``web``
implements it with ``url_for``) and the CV file store. The caller ends it::

    with UnitOfWork(session, actor=user, settings=conf, urls=urls) as uow:
        offer = use_cases.publish_offer(uow, offer)
        uow.commit()

Leaving the ``with`` block without ``commit()`` rolls back. Work that must follow the outcome,
not precede it, is registered as a hook: ``after_commit`` (e.g. a message to send once the rows
exist) and ``after_rollback`` (e.g. the CV file written for an application that was not saved).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

from referral.applications import cvstore
from referral.models import utcnow

if TYPE_CHECKING:
    from referral.config import Settings
    from referral.models import User


class Urls(Protocol):
    """Absolute addresses of the pages the domain links to (in e-mails and notifications)."""

    def offer_share(self, offer_id: int) -> str:
        """Where an agent shares an offer."""
        ...

    def agent_home(self) -> str:
        """The agent's home: the offers to share."""
        ...

    def agent_referrals(self) -> str:
        """The agent's "My referrals" page."""
        ...

    def manager_home(self) -> str:
        """The offers a manager manages."""
        ...

    def shortlist(self, offer_id: int) -> str:
        """An offer's shortlist (recruiters and the offer's manager)."""
        ...

    def inbox(self) -> str:
        """The signed-in user's notifications."""
        ...

    def notification_settings(self) -> str:
        """Where a user chooses which notifications they receive."""
        ...


Hook = Callable[[], object]


@dataclass
class UnitOfWork:
    """One transaction: commit or roll back once, then run the hooks of that outcome."""

    session: Session
    actor: User | None = None
    settings: Settings | None = None
    urls: Urls | None = None
    clock: Callable[[], datetime] = utcnow
    cv_store: ModuleType = cvstore
    _after_commit: list[Hook] = field(default_factory=list, repr=False)
    _after_rollback: list[Hook] = field(default_factory=list, repr=False)
    _ended: bool = field(default=False, repr=False)

    def now(self) -> datetime:
        return self.clock()

    def after_commit(self, hook: Hook) -> None:
        """Run ``hook`` once the transaction is committed (not if it rolls back)."""
        self._after_commit.append(hook)

    def after_rollback(self, hook: Hook) -> None:
        """Run ``hook`` if the transaction is rolled back, or if its commit fails."""
        self._after_rollback.append(hook)

    def commit(self) -> None:
        try:
            self.session.commit()
        except BaseException:
            self.rollback()
            raise
        self._ended = True
        hooks, self._after_commit, self._after_rollback = self._after_commit, [], []
        for hook in hooks:
            hook()

    def rollback(self) -> None:
        self.session.rollback()
        self._ended = True
        hooks, self._after_commit, self._after_rollback = self._after_rollback, [], []
        for hook in hooks:
            hook()

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *exc_info) -> None:
        # Whatever was not committed is not kept (an error, or a path that never committed).
        if not self._ended:
            self.rollback()
