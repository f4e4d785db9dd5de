"""Ranking for the talent pool: candidates for an offer, and open offers for a candidate.

A deliberately simple, deterministic implementation (TF-IDF cosine between the offer's text
and each candidate's latest CV text) until the matching library is wired in: the signatures
are the contract, the bodies may change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from referral.models import Application, Candidate, Offer, OfferStatus


def offer_text(offer: Offer) -> str:
    """What an offer asks for, as one text (skills repeated: they matter most)."""
    skills = " ".join(offer.required_skills or []) + " " + " ".join(offer.nice_skills or [])
    return " ".join(
        [
            offer.title,
            offer.metier,
            offer.description,
            offer.missions,
            offer.profile,
            skills,
            skills,
        ]
    )


def candidate_text(candidate: Candidate) -> str:
    """The text of the candidate's latest CV, with their listed skills."""
    latest = candidate.cv_files[-1].text if candidate.cv_files else ""
    return f"{latest} {' '.join(candidate.skills or [])}"


def _scores(query: str, documents: Sequence[str]) -> list[float]:
    if not documents:
        return []
    vectorizer = TfidfVectorizer(strip_accents="unicode", lowercase=True, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([query, *documents])
    except ValueError:  # nothing but stop words or empty texts
        return [0.0] * len(documents)
    similarities = cosine_similarity(matrix[0], matrix[1:])[0]
    return [round(float(s) * 100, 1) for s in similarities]


def rank_pool(
    session: Session, offer: Offer, candidates: Sequence[Candidate]
) -> list[tuple[Candidate, float]]:
    """``candidates`` with a 0–100 fit to ``offer``, best first (ties by id)."""
    scores = _scores(offer_text(offer), [candidate_text(c) for c in candidates])
    ranked = list(zip(candidates, scores, strict=True))
    ranked.sort(key=lambda pair: (-pair[1], pair[0].id))
    return ranked


def offers_for_candidate(session: Session, candidate: Candidate) -> list[tuple[Offer, float]]:
    """The published, not yet closed offers ``candidate`` has not applied to, best fit first."""
    applied = select(Application.offer_id).where(Application.candidate_id == candidate.id)
    offers = list(
        session.scalars(
            select(Offer)
            .where(
                Offer.status == OfferStatus.PUBLISHED.value,
                Offer.id.not_in(applied),
                (Offer.closing_date.is_(None)) | (Offer.closing_date >= date.today()),
            )
            .options(selectinload(Offer.direction))
            .order_by(Offer.id)
        )
    )
    scores = _scores(candidate_text(candidate), [offer_text(o) for o in offers])
    ranked = list(zip(offers, scores, strict=True))
    ranked.sort(key=lambda pair: (-pair[1], pair[0].id))
    return ranked
