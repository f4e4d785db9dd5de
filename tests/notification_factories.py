"""Shared by the notification tests: queue an "offer closing" notification for a member of staff."""

from __future__ import annotations

from datetime import date, datetime

from referral.models import Notification, User
from referral.notifications import outbox as notifications


def queue_closing_notice(
    session,
    user: User,
    n: int = 1,
    *,
    title: str | None = None,
    when: datetime | None = None,
    link: str = "http://localhost/manager/",
    message_key: str | None = None,
) -> Notification:
    """An ``offer_closing`` notification about offer ``n`` (in the caller's transaction)."""
    return notifications.notify(
        session,
        "offer_closing",
        user=user,
        context={
            "offer_title": title or f"Juriste {n}",
            "offer_reference": f"R-{n}",
            "closing_date": date(2026, 12, 1),
            "days_left": 3,
        },
        link=link,
        now=when,
        message_key=message_key,
    )
