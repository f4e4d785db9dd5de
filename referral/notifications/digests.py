"""The daily digest: one e-mail per staff member gathering the rows held for it.

Rows a preference put on "digest" wait with status ``held``. The digest is itself an outbox
row (kind ``digest``); the held rows point to it (``digest_id``) and become ``sent`` when it is
sent (see :func:`referral.worker.mark_sent`), so nothing is lost if it has to be retried.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import get_timezone
from sqlalchemy import select
from sqlalchemy.orm import Session

from referral.models import Notification, NotificationStatus, User
from referral.notifications.outbox import notify
from referral.unit_of_work import Urls

KIND = "digest"


def send_digests(
    session: Session, now: datetime, *, urls: Urls | None = None, timezone: str = "UTC"
) -> list[Notification]:
    """Queue a digest for every staff member with held rows (their times shown in
    ``timezone``; linking to their inbox when ``urls`` is given); returns the digests queued."""
    zone = get_timezone(timezone)
    held = (
        select(Notification)
        .where(
            Notification.status == NotificationStatus.HELD,
            Notification.digest_id.is_(None),
            Notification.recipient_id.is_not(None),
            Notification.created_at <= now,
        )
        .order_by(Notification.recipient_id, Notification.created_at, Notification.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two runs at once: the second skips what the first is gathering.
        held = held.with_for_update(skip_locked=True)
    by_user: dict[int, list[Notification]] = {}
    for row in session.scalars(held):
        by_user.setdefault(row.recipient_id, []).append(row)  # type: ignore[arg-type]
    queued = []
    for user_id, rows in by_user.items():
        user = session.get(User, user_id)
        if user is None:
            continue
        items = [
            {"subject": r.subject, "link": r.link_url, "at": r.created_at.astimezone(zone)}
            for r in rows
        ]
        digest = notify(
            session,
            KIND,
            user=user,
            context={"items": items, "count": len(items)},
            link=urls.inbox() if urls is not None else None,
            now=now,
        )
        session.flush()
        for row in rows:
            row.digest_id = digest.id
        queued.append(digest)
    return queued
