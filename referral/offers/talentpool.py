"""The talent pool: candidates who applied elsewhere and agreed to be considered for other
offers, while their data may still be kept."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from referral.config import Settings
from referral.models import Application, Candidate, CVFile, Offer
from referral.offers import scoring

POOL_SHOWN = 100  # the best fits shown for one offer


def consenting(today: date):
    """Candidates who consented to the pool and whose retention period has not passed."""
    return (
        Candidate.talent_pool_consent.is_(True),
        Candidate.merged_into_id.is_(None),
        (Candidate.retention_until.is_(None)) | (Candidate.retention_until >= today),
    )


def _eligible(offer: Offer, today: date) -> tuple:
    """Consenting candidates who applied to another offer and not to this one."""
    applied_here = exists().where(
        Application.candidate_id == Candidate.id, Application.offer_id == offer.id
    )
    applied_elsewhere = exists().where(
        Application.candidate_id == Candidate.id, Application.offer_id != offer.id
    )
    return (*consenting(today), applied_elsewhere, ~applied_here)


def pool_for_offer(session: Session, offer: Offer, today: date | None = None) -> list[Candidate]:
    """The pool of ``offer``: every consenting candidate who applied to another offer and
    not to this one."""
    today = today or date.today()
    return list(
        session.scalars(
            select(Candidate)
            .where(*_eligible(offer, today))
            .options(selectinload(Candidate.cv_files))
            .order_by(Candidate.id)
        )
    )


def pool_cvs(session: Session, offer: Offer, today: date | None = None) -> dict[int, int | None]:
    """The pool of ``offer`` as candidate id -> id of their latest CV (None without one):
    two numbers per candidate, whatever the size of the pool."""
    today = today or date.today()
    latest = (
        select(CVFile.candidate_id, func.max(CVFile.id).label("cv_id"))
        .group_by(CVFile.candidate_id)
        .subquery("latest_cv")
    )
    rows = session.execute(
        select(Candidate.id, latest.c.cv_id)
        .outerjoin(latest, latest.c.candidate_id == Candidate.id)
        .where(*_eligible(offer, today))
        .order_by(Candidate.id)
    )
    return {candidate_id: cv_id for candidate_id, cv_id in rows}


def ranked_pool(
    session: Session, offer: Offer, today: date | None = None, settings: Settings | None = None
) -> tuple[list[tuple[Candidate, float]], int]:
    """The ``POOL_SHOWN`` best fits of ``offer``'s pool, best first, and the pool's size.

    With an instance (``settings``), every candidate of the pool is ranked from the
    matching index's stored vectors, however many they are; without, the pool's CVs are
    read and ranked one by one.
    """
    if settings is None:
        pool = pool_for_offer(session, offer, today)
        return scoring.rank_pool(session, offer, pool)[:POOL_SHOWN], len(pool)
    cvs = pool_cvs(session, offer, today)
    best = scoring.rank_pool_indexed(session, settings, offer, cvs, POOL_SHOWN)
    found = session.scalars(
        select(Candidate)
        .where(Candidate.id.in_([candidate_id for candidate_id, _ in best]))
        .options(selectinload(Candidate.cv_files))
    )
    by_id = {candidate.id: candidate for candidate in found}
    return [(by_id[candidate_id], value) for candidate_id, value in best], len(cvs)


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
