"""The talent pool: candidates who applied elsewhere and agreed to be considered for other
offers, while their data may still be kept."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from referral import scoring
from referral.config import Settings
from referral.models import Application, Candidate, Offer

POOL_LIMIT = 500  # the most candidates ranked for one offer


def consenting(today: date):
    """Candidates who consented to the pool and whose retention period has not passed."""
    return (
        Candidate.talent_pool_consent.is_(True),
        Candidate.merged_into_id.is_(None),
        (Candidate.retention_until.is_(None)) | (Candidate.retention_until >= today),
    )


def pool_for_offer(session: Session, offer: Offer, today: date | None = None) -> list[Candidate]:
    """Consenting candidates who applied to another offer and not to this one."""
    today = today or date.today()
    applied_here = exists().where(
        Application.candidate_id == Candidate.id, Application.offer_id == offer.id
    )
    applied_elsewhere = exists().where(
        Application.candidate_id == Candidate.id, Application.offer_id != offer.id
    )
    return list(
        session.scalars(
            select(Candidate)
            .where(*consenting(today), applied_elsewhere, ~applied_here)
            .options(selectinload(Candidate.cv_files))
            .order_by(Candidate.id)
            .limit(POOL_LIMIT)
        )
    )


def ranked_pool(
    session: Session, offer: Offer, today: date | None = None, settings: Settings | None = None
) -> list[tuple[Candidate, float]]:
    """The pool of ``offer``, ranked for it (best fit first)."""
    return scoring.rank_pool(session, offer, pool_for_offer(session, offer, today), settings)


def in_pool(candidate: Candidate, today: date | None = None) -> bool:
    today = today or date.today()
    return (
        candidate.talent_pool_consent
        and candidate.merged_into_id is None
        and (candidate.retention_until is None or candidate.retention_until >= today)
    )


def offers_for(
    session: Session, candidate: Candidate, settings: Settings | None = None
) -> list[tuple[Offer, float]]:
    """The open offers that fit ``candidate`` best first."""
    return scoring.offers_for_candidate(session, candidate, settings)
