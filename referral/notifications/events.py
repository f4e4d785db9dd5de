"""Notifications that no single request causes: a new offer for the agents of its direction,
and the reminder to a hiring manager that their offer closes soon.

Both are idempotent: their Message-ID is derived from the event, so calling them twice (a
republished offer, two workers scanning on the same day) never notifies anyone twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from referral.models import Direction, Notification, Offer, OfferStatus, User
from referral.notifications.outbox import DIGEST, IMMEDIATE, new_message_id, notify, users_with_mode

CLOSING_SOON_DAYS = 3


def direction_and_below(session: Session, direction_id: int) -> set[int]:
    """``direction_id`` and every direction under it (the tree is small: read it once)."""
    children: dict[int | None, list[int]] = {}
    for node_id, parent_id in session.execute(select(Direction.id, Direction.parent_id)):
        children.setdefault(parent_id, []).append(node_id)
    found, todo = set(), [direction_id]
    while todo:
        node = todo.pop()
        if node not in found:
            found.add(node)
            todo.extend(children.get(node, []))
    return found


def _already_sent(session: Session, keys: list[str]) -> set[str]:
    ids = [new_message_id(k) for k in keys]
    sent = set(
        session.scalars(select(Notification.message_id).where(Notification.message_id.in_(ids)))
    )
    return {k for k, i in zip(keys, ids, strict=True) if i in sent}


def offer_published(
    session: Session, offer: Offer, now: datetime, *, base_url: str = "", link: str | None = None
) -> list[Notification]:
    """Tell the agents of the offer's direction (and the directions below) who opted in.

    ``link`` is where the notification leads (the caller knows the offer's page); without it,
    the agent's home of offers to share. ``base_url`` (``settings.base_url``) makes the default
    link absolute for e-mail.
    """
    if offer.direction_id is None or offer.status != OfferStatus.PUBLISHED.value:
        return []
    directions = direction_and_below(session, offer.direction_id)
    agents = session.scalars(
        select(User)
        .where(
            User.active,
            User.direction_id.in_(directions),
            User.id.in_(users_with_mode(session, "new_offer", (IMMEDIATE, DIGEST))),
        )
        .order_by(User.id)
    ).all()
    agents = [a for a in agents if a.id not in (offer.hiring_manager_id, offer.created_by_id)]
    keys = {a.id: f"new-offer-{offer.id}-{a.id}" for a in agents}
    done = _already_sent(session, list(keys.values()))
    context = {
        "offer_title": offer.title,
        "direction_name": offer.direction.name if offer.direction else "",
        "location": offer.location,
        "closing_date": offer.closing_date,
    }
    link = link or base_url.rstrip("/") + "/agent/"
    return [
        notify(
            session,
            "new_offer",
            user=a,
            context=context,
            link=link,
            now=now,
            message_key=keys[a.id],
        )
        for a in agents
        if keys[a.id] not in done
    ]


def offers_closing_soon(session: Session, now: datetime, base_url: str = "") -> list[Notification]:
    """Remind each hiring manager, once per closing date, that their offer closes within 3 days."""
    today = now.date()
    offers = session.scalars(
        select(Offer)
        .options(joinedload(Offer.hiring_manager))
        .where(
            Offer.status == OfferStatus.PUBLISHED.value,
            Offer.hiring_manager_id.is_not(None),
            Offer.closing_date >= today,
            Offer.closing_date <= today + timedelta(days=CLOSING_SOON_DAYS),
        )
        .order_by(Offer.closing_date, Offer.id)
    ).all()
    keys = {o.id: f"offer-closing-{o.id}-{o.closing_date:%Y%m%d}" for o in offers}
    done = _already_sent(session, list(keys.values()))
    queued = []
    for offer in offers:
        manager = offer.hiring_manager
        closing = offer.closing_date
        if keys[offer.id] in done or manager is None or not manager.active or closing is None:
            continue
        context = {
            "offer_title": offer.title,
            "offer_reference": offer.reference,
            "closing_date": offer.closing_date,
            "days_left": (closing - today).days,
        }
        queued.append(
            notify(
                session,
                "offer_closing",
                user=manager,
                context=context,
                link=base_url.rstrip("/") + "/manager/",
                now=now,
                message_key=keys[offer.id],
            )
        )
    return queued
