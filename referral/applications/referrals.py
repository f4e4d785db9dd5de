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
from referral.messages import N_
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
from referral.unit_of_work import Urls


class ReferralRefused(InvalidInput):
    """A referral that cannot be made, about the person referred (their e-mail address);
    ``code`` says why, for the programs that act on it."""

    def __init__(self, code: str, template: str, **params: object):
        super().__init__(template, None, field="email", **params)
        self.code = code


@dataclass(frozen=True)
class ReferralInput:
    first_name: str
    last_name: str
    email: str
    relationship: str = ""
    reason: str = ""


def apply_link(urls: Urls, referral: Referral) -> str:
    """The personal apply link of an invitation."""
    return urls.invitation_apply(referral.offer_id, referral.token)


def forget_link(urls: Urls, referral: Referral) -> str:
    """The link in an invitation that deletes what it keeps (see referral.privacy.erasure)."""
    return urls.invitation_forget(referral.token)


def refer(
    session: Session,
    settings: Settings,
    *,
    agent: User,
    offer_id: int,
    data: ReferralInput,
    now: datetime | None = None,
    urls: Urls,
) -> Referral:
    """Record the referral and queue the invitation; refuses with ReferralRefused."""
    now = now or utcnow()
    offer = session.get(Offer, offer_id)
    if offer is None or offer.status == OfferStatus.DRAFT.value:
        raise NotFound("No such offer.")
    if not offer.is_open(now.date()):  # closed, filled, or past its closing date
        raise ReferralRefused("closed", N_("This offer is closed."))
    if not data.first_name.strip() or not data.last_name.strip():
        raise InvalidInput("First and last name are required.", {"first_name": "required"})
    email = normalise_email(data.email)
    if email == agent.email.lower():
        raise ReferralRefused("self", N_("You cannot refer yourself."))
    if is_staff_email(session, email):
        raise ReferralRefused(
            "staff",
            N_("This person is a member of staff: they can apply themselves as internal mobility."),
        )
    applied = session.scalar(
        select(Application.id)
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(Application.offer_id == offer.id, Candidate.email == email)
    )
    if applied is not None:
        raise ReferralRefused("applied", N_("This person has already applied to this offer."))
    previous = session.scalars(
        select(Referral)
        .options(joinedload(Referral.agent))
        .where(
            Referral.offer_id == offer.id,
            Referral.email == email,
            Referral.status != ReferralStatus.SUPERSEDED,
        )
        .order_by(Referral.created_at)
    ).all()
    for old in previous:
        if old.expires_at > now:
            if old.agent_id == agent.id:
                raise ReferralRefused(
                    "again", N_("You have already referred this person for this offer.")
                )
            raise ReferralRefused(
                "taken",
                N_(
                    "Another agent already referred this person for this offer. Their referral "
                    "stands until %(until)s; you cannot refer them before then."
                ),
                until=old.expires_at.date(),
            )
    for old in previous:
        old.status = ReferralStatus.SUPERSEDED
    referral = Referral(
        offer_id=offer.id,
        agent_id=agent.id,
        first_name=data.first_name.strip()[:100],
        last_name=data.last_name.strip()[:100],
        email=email,
        relationship_note=data.relationship.strip()[:200],
        reason=data.reason.strip()[:4000],
        token=secrets.token_urlsafe(32),
        status=ReferralStatus.INVITED,
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
            "forget_link": forget_link(urls, referral),
            "reply_to": settings.reply_to_address,
        },
        link=apply_link(urls, referral),
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
