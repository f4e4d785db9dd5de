"""The outbox as admins see it: rows by status, and retrying the ones that failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from referral import audit
from referral.errors import InvalidInput, NotFound
from referral.models import Notification, NotificationStatus, User

if TYPE_CHECKING:
    from referral.unit_of_work import UnitOfWork

PER_PAGE = 50
STATUSES = tuple(s.value for s in NotificationStatus)


@dataclass(frozen=True)
class OutboxPage:
    items: list[Notification]
    page: int
    pages: int
    total: int
    counts: dict[str, int]


def status_counts(session: Session) -> dict[str, int]:
    """Rows per status (every status listed, zeros included)."""
    rows = session.execute(
        select(Notification.status, func.count(Notification.id)).group_by(Notification.status)
    )
    found: dict[str, int] = {status: count for status, count in rows}
    return {status: found.get(status, 0) for status in STATUSES}


def outbox_page(
    session: Session, status: str | None = None, page: int = 1, per_page: int = PER_PAGE
) -> OutboxPage:
    """One page of outbox rows, newest first, optionally of one ``status``."""
    if status is not None and status not in STATUSES:
        raise InvalidInput("Unknown status.", {"status": "unknown"})
    counts = status_counts(session)
    total = counts[status] if status else sum(counts.values())
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    query = select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
    if status:
        query = query.where(Notification.status == status)
    items = session.scalars(query.offset((page - 1) * per_page).limit(per_page)).all()
    return OutboxPage(list(items), page, pages, total, counts)


def retry(
    session: Session, notification_id: int, *, actor: User | None, now: datetime
) -> Notification:
    """Put a failed row back in the queue, due now, with a fresh count of attempts."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound("No such notification.")
    if row.status != NotificationStatus.FAILED:
        raise InvalidInput("Only a failed notification can be retried.")
    row.status = NotificationStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = now
    audit.record(session, actor, "notification.retry", "notification", row.id)
    return row


def retry_all_failed(session: Session, *, actor: User | None, now: datetime) -> int:
    """Retry every failed row; returns how many."""
    result = session.execute(
        update(Notification)
        .where(Notification.status == NotificationStatus.FAILED)
        .values(status=NotificationStatus.PENDING, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    count = result.rowcount or 0
    audit.record(session, actor, "notification.retry_all", "notification", None, count=count)
    return count


# --- use cases (on the unit of work; the caller commits) ---------------------------------------


def retry_one(uow: UnitOfWork, notification_id: int) -> Notification:
    """An admin queues a failed notification again (:func:`retry`)."""
    return retry(uow.session, notification_id, actor=uow.actor, now=uow.now())


def retry_failed(uow: UnitOfWork) -> int:
    """An admin queues every failed notification again; returns how many."""
    return retry_all_failed(uow.session, actor=uow.actor, now=uow.now())
