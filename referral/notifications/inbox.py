"""A staff member's in-app inbox: every notification addressed to them, whatever its e-mail mode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from referral.errors import NotFound
from referral.models import Notification
from referral.notifications.outbox import NOT_IN_INBOX

PER_PAGE = 20


def _mine(user_id: int):
    return (Notification.recipient_id == user_id) & Notification.kind.not_in(NOT_IN_INBOX)


def unread_count(session: Session, user_id: int) -> int:
    """How many inbox entries ``user_id`` has not read (one indexed count)."""
    return session.scalar(
        select(func.count(Notification.id)).where(_mine(user_id), Notification.read_at.is_(None))
    )


@dataclass(frozen=True)
class InboxPage:
    items: list[Notification]
    page: int
    pages: int
    total: int
    unread: int


def inbox_page(
    session: Session, user_id: int, page: int = 1, per_page: int = PER_PAGE
) -> InboxPage:
    """One page of the inbox, newest first (two queries: the counts, then the rows)."""
    total, unread = session.execute(
        select(
            func.count(Notification.id),
            func.count(Notification.id).filter(Notification.read_at.is_(None)),
        ).where(_mine(user_id))
    ).one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = session.scalars(
        select(Notification)
        .where(_mine(user_id))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return InboxPage(list(items), page, pages, total, unread)


def get_own(session: Session, user_id: int, notification_id: int) -> Notification:
    """The inbox entry ``notification_id`` of ``user_id``; NotFound for anyone else's."""
    row = session.get(Notification, notification_id)
    if row is None or row.recipient_id != user_id or row.kind in NOT_IN_INBOX:
        raise NotFound("No such notification.")
    return row


def mark_read(session: Session, user_id: int, notification_id: int, now: datetime) -> Notification:
    """Mark one entry read (reading it again keeps the first time)."""
    row = get_own(session, user_id, notification_id)
    if row.read_at is None:
        row.read_at = now
    return row


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    """Mark every unread entry read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(_mine(user_id), Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
