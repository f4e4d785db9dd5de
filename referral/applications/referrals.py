"""Direct referrals: an agent recommends a person they know for an offer.

The person gets an invitation e-mail with a personal apply link. Ownership: a person referred
for an offer belongs to the first referring agent for ``RELAIS_REFERRAL_WINDOW_DAYS``; another
agent's referral inside that window is refused; after it, the newer referral wins and the old
one is marked ``superseded``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from referral import audit
from referral.applications.attribution import is_staff_email
from referral.config import Settings
from referral.errors import InvalidInput, NotFound
from referral.models import (
    Application,
    Candidate,
    Offer,
    OfferStatus,
    Referral,
    ReferralStatus,
    User,
    utcnow,
)
from referral.notifications import outbox as notifications
from referral.people.users import normalise_email


class ReferralRefused(InvalidInput):
    """A referral that cannot be made; ``code`` says why (the web layer words it)."""

    def __init__(self, code: str, message: str, **params: object):
        super().__init__(message, {"email": code})
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ReferralInput:
    first_name: str
    last_name: str
    email: str
    relationship: str = ""
    reason: str = ""


def apply_link(settings: Settings, referral: Referral) -> str:
    """The personal apply link of an invitation."""
    return (
        f"{settings.base_url.rstrip('/')}/offers/{referral.offer_id}/apply?invite={referral.token}"
    )


def forget_link(settings: Settings, referral: Referral) -> str:
    """The link in an invitation that deletes what it keeps (see referral.privacy.erasure)."""
    return f"{settings.base_url.rstrip('/')}/invitations/{referral.token}/forget"


def refer(
    session: Session,
    settings: Settings,
    *,
    agent: User,
    offer_id: int,
    data: ReferralInput,
    now: datetime | None = None,
) -> Referral:
    """Record the referral and queue the invitation; refuses with ReferralRefused."""
    now = now or utcnow()
    offer = session.get(Offer, offer_id)
    if offer is None or offer.status == OfferStatus.DRAFT.value:
        raise NotFound("No such offer.")
    if offer.status != OfferStatus.PUBLISHED.value:
        raise ReferralRefused("closed", "This offer is closed.")
    if not data.first_name.strip() or not data.last_name.strip():
        raise InvalidInput("First and last name are required.", {"first_name": "required"})
    email = normalise_email(data.email)
    if email == agent.email.lower():
        raise ReferralRefused("self", "You cannot refer yourself.")
    if is_staff_email(session, email):
        raise ReferralRefused(
            "staff", "This person is a member of staff: they can apply as internal mobility."
        )
    applied = session.scalar(
        select(Application.id)
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(Application.offer_id == offer.id, Candidate.email == email)
    )
    if applied is not None:
        raise ReferralRefused("applied", "This person has already applied to this offer.")
    previous = session.scalars(
        select(Referral)
        .options(joinedload(Referral.agent))
        .where(
            Referral.offer_id == offer.id,
            Referral.email == email,
            Referral.status != ReferralStatus.SUPERSEDED.value,
        )
        .order_by(Referral.created_at)
    ).all()
    for old in previous:
        if old.expires_at > now:
            if old.agent_id == agent.id:
                raise ReferralRefused(
                    "again", "You have already referred this person for this offer."
                )
            raise ReferralRefused(
                "taken",
                "Another agent already referred this person for this offer, until %(until)s.",
                until=old.expires_at.date(),
            )
    for old in previous:
        old.status = ReferralStatus.SUPERSEDED.value
    referral = Referral(
        offer_id=offer.id,
        agent_id=agent.id,
        first_name=data.first_name.strip()[:100],
        last_name=data.last_name.strip()[:100],
        email=email,
        relationship_note=data.relationship.strip()[:200],
        reason=data.reason.strip()[:4000],
        token=secrets.token_urlsafe(32),
        status=ReferralStatus.INVITED.value,
        created_at=now,
        expires_at=now + timedelta(days=settings.referral_window_days),
    )
    session.add(referral)
    session.flush()
    notifications.notify(
        session,
        "invitation",
        email=email,
        name=f"{referral.first_name} {referral.last_name}",
        locale=agent.locale or settings.default_locale,
        context={
            "agent_name": agent.full_name,
            "offer_title": offer.title,
            "reason": referral.reason,
            "organisation_name": settings.organisation_name,
            "forget_link": forget_link(settings, referral),
            "reply_to": settings.reply_to_address,
        },
        link=apply_link(settings, referral),
        now=now,
    )
    audit.record(
        session,
        agent,
        "referral.create",
        "referral",
        referral.id,
        offer_id=offer.id,
        superseded=[old.id for old in previous],
    )
    return referral


def agent_referrals(session: Session, agent_id: int) -> list[Referral]:
    """An agent's direct referrals, newest first, with their offer."""
    return list(
        session.scalars(
            select(Referral)
            .options(joinedload(Referral.offer))
            .where(Referral.agent_id == agent_id)
            .order_by(Referral.created_at.desc(), Referral.id.desc())
        )
    )
