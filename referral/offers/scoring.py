"""Match scores of applications and rankings, with the matching library: the adapters
between the rows (offers, CVs, applications) and the library's documents, criteria and scores.

The index the scores rest on (the TF-IDF model fitted on the organisation's offers and CVs,
and every CV's vector) is built here from the rows and kept on disk by
:mod:`referral.offers.match_index` (files, additions, rebuild requests, each process's copy).
Rankings never show an erased CV while the index still holds it: they rank the database's
candidates, the index only lends them its model.

The explanation is stored with the application in a format of our own (see
:func:`explanation_of`), so that the pages do not depend on the library's classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matching import (
    CandidateDoc,
    IndexVersionError,
    MatchIndex,
    OfferCriteria,
    Score,
    SkillHit,
    Weights,
    load_vocabulary,
    rank_candidates,
    rank_offers,
)
from matching import offers_for_agent as match_offers_for_agent
from referral.config import Settings
from referral.models import (
    Application,
    Candidate,
    CVFile,
    Offer,
    User,
    utcnow,
)
from referral.offers import match_index, semantic

Progress = Callable[[int, int], None]


def criteria_of(offer: Offer) -> OfferCriteria:
    """What the matcher compares a CV with."""
    return OfferCriteria(
        title=offer.title or "",
        description=offer.description or "",
        missions=offer.missions or "",
        profile=offer.profile or "",
        required_skills=tuple(offer.required_skills or ()),
        nice_skills=tuple(offer.nice_skills or ()),
        languages=tuple(offer.languages or ()),
        min_experience_years=offer.min_experience_years,
        direction=offer.direction.name if offer.direction else "",
        key=offer.id,
    )


def document_of(cv: CVFile | None, message: str = "", key: Any = None, at=None) -> CandidateDoc:
    """A CV (and the message sent with it) as the matcher reads it."""
    if cv is None:
        return CandidateDoc(key, "", message, at, cv_readable=False)
    return CandidateDoc(
        key if key is not None else cv.id,
        cv.text or "",
        message or "",
        at,
        cv_readable=not cv.text_unreadable,
    )


def _evidence(hit: SkillHit) -> dict[str, str]:
    """A skill found in a CV: its label, the excerpt, and the CV's words that name it (on one
    line, as in the excerpt, so that a page can mark them there)."""
    return {"skill": hit.skill, "excerpt": hit.excerpt, "matched": " ".join(hit.matched.split())}


def explanation_of(score: Score, meaning_note: str = "") -> dict[str, Any]:
    """The stored explanation of a score: components, skills with excerpts, top terms, and
    whether meaning counted (``meaning_note``: why not)."""
    return {
        "score": round(score.value, 1),
        "components": [
            {
                "name": c.name,
                "value": round(c.value, 4),
                "weight": round(c.weight, 4),
                "points": round(c.points, 1),
            }
            for c in score.components
        ],
        "required_matched": [_evidence(h) for h in score.required_skills if h.found],
        "required_missing": [h.skill for h in score.required_skills if not h.found],
        "nice_matched": [_evidence(h) for h in score.nice_skills if h.found],
        "nice_missing": [h.skill for h in score.nice_skills if not h.found],
        "top_terms": [term for term, _weight in score.top_terms],
        "past_titles": list(score.past_titles),
        "experience_years": score.experience_years,
        "languages": list(score.languages),
        "reason": score.reason,
        # The embedding model fused in, or None (words only) and why.
        "meaning": score.meaning,
        "meaning_note": meaning_note if score.meaning is None else "",
        "title_by_meaning": list(score.title_by_meaning) if score.title_by_meaning else None,
    }


# --- the index: built from the rows, kept by referral.offers.match_index -------------------------------


def _latest_cvs(session: Session) -> list[CVFile]:
    return list(session.scalars(select(CVFile).order_by(CVFile.id)))


def build_index(
    session: Session, settings: Settings, progress: Progress | None = None
) -> MatchIndex:
    """Fit the model on every offer and CV, index every CV, and save it."""
    cvs = _latest_cvs(session)
    offers = session.scalars(select(Offer).options(selectinload(Offer.direction))).all()
    index = MatchIndex.build(
        [document_of(cv) for cv in cvs],
        offers=[criteria_of(o) for o in offers],
        progress=progress,
    )
    match_index.save_built(
        settings, index, existing=lambda: set(session.scalars(select(CVFile.id)))
    )
    return index


def rebuild_if_requested(session: Session, settings: Settings) -> bool:
    """Build the index again if :func:`referral.offers.match_index.request_rebuild` asked for it;
    whether it was built.

    A request made while the index is being built (another erasure) is kept for the next
    time: the marker goes only if it is still the one that was read before building.
    """
    asked = match_index.rebuild_request(settings)
    if asked is None:
        return False
    build_index(session, settings)
    match_index.clear_rebuild_request(settings, asked)
    return True


def load_index(session: Session, settings: Settings) -> MatchIndex:
    """The saved index (built now when there is none or it is of another version)."""
    try:
        return match_index.read(settings)
    except (FileNotFoundError, IndexVersionError):
        return build_index(session, settings)


def _add_to_index(session: Session, settings: Settings, cv: CVFile) -> MatchIndex:
    """Add a new CV to the index with the fitted vocabulary (no refit)."""
    index = load_index(session, settings)
    if cv.id in index:
        return index
    return match_index.add(settings, index, document_of(cv))


# --- scoring --------------------------------------------------------------------------------


def score_application(
    session: Session, settings: Settings, application: Application, now: datetime | None = None
) -> float:
    """Score one application (on arrival, or after a new CV) and store score and explanation.

    By words only: the CV's meaning is computed by the worker, never in the candidate's
    request, which then scores the offer's applications again (see
    :func:`rescore_embedded`)."""
    cv = application.cv_file
    index = (
        _add_to_index(session, settings, cv) if cv is not None else load_index(session, settings)
    )
    ranked = rank_candidates(
        criteria_of(application.offer),
        [document_of(cv, application.message, application.id, application.created_at)],
        index,
        settings.weights,
        vocabulary=load_vocabulary(),
    )
    _store(application, ranked[0].score, now, semantic.NOT_YET)
    return application.score or 0.0


def _store(
    application: Application, score: Score, now: datetime | None, meaning_note: str = ""
) -> None:
    application.score = round(score.value, 1)
    application.score_explanation = explanation_of(score, meaning_note)
    application.scored_at = now or utcnow()


def rescore_offer(
    session: Session, settings: Settings, offer: Offer, now: datetime | None = None
) -> int:
    """Score again every application of ``offer`` (after its criteria changed)."""
    applications = session.scalars(
        select(Application)
        .where(Application.offer_id == offer.id)
        .options(selectinload(Application.cv_file))
    ).all()
    if not applications:
        return 0
    index = load_index(session, settings)
    docs = [document_of(a.cv_file, a.message, a.id, a.created_at) for a in applications]
    by_id = {a.id: a for a in applications}
    meaning, note = semantic.meaning_for(
        session, settings, offer, {a.id: a.cv_file_id for a in applications}
    )
    ranked_all = rank_candidates(
        criteria_of(offer),
        docs,
        index,
        settings.weights,
        vocabulary=load_vocabulary(),
        meaning=meaning,
    )
    for ranked in ranked_all:
        _store(by_id[ranked.key], ranked.score, now, note)
    return len(applications)


def rescore_embedded(
    session: Session, settings: Settings, cv_ids: Sequence[int], offer_ids: Sequence[int] = ()
) -> int:
    """Score again the applications of the offers ``offer_ids`` and of those that received
    the CVs ``cv_ids``, just embedded: their ranking now counts meaning."""
    if not cv_ids and not offer_ids:
        return 0
    received = select(Application.offer_id).where(Application.cv_file_id.in_(list(cv_ids)))
    query = (
        select(Offer)
        .where(Offer.id.in_(received) | Offer.id.in_(list(offer_ids)))
        .options(selectinload(Offer.direction))
        .order_by(Offer.id)
    )
    return sum(rescore_offer(session, settings, offer) for offer in session.scalars(query))


def score_unscored(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Score every application that has no score yet (e.g. loaded by the seeds)."""
    offer_ids = session.scalars(
        select(Application.offer_id).where(Application.score.is_(None)).distinct()
    ).all()
    offers = session.scalars(
        select(Offer).where(Offer.id.in_(offer_ids)).options(selectinload(Offer.direction))
    ).all()
    return sum(rescore_offer(session, settings, offer, now) for offer in offers)


def reindex(
    session: Session, settings: Settings, progress: Progress | None = None
) -> tuple[int, int]:
    """Refit the index on the whole corpus and rescore every application: (CVs, applications)."""
    index = build_index(session, settings, progress)
    offers = session.scalars(
        select(Offer).options(selectinload(Offer.direction)).order_by(Offer.id)
    ).all()
    scored = sum(rescore_offer(session, settings, offer) for offer in offers)
    return len(index), scored


# --- rankings beyond an offer's applicants -------------------------------------------------


def _weights(settings: Settings | None) -> Weights:
    """The organisation's weights, or the defaults without an instance."""
    return settings.weights if settings is not None else Weights()


def _model_index(session: Session, settings: Settings | None) -> MatchIndex | None:
    """The organisation's index when there is an instance to keep it in (else fit on the fly)."""
    return load_index(session, settings) if settings is not None else None


def _latest_cv(candidate: Candidate) -> CVFile | None:
    return candidate.cv_files[-1] if candidate.cv_files else None


def rank_pool(
    session: Session,
    offer: Offer,
    candidates: Sequence[Candidate],
    settings: Settings | None = None,
) -> list[tuple[Candidate, float]]:
    """The talent pool for ``offer``: these candidates ranked by their latest CV, best first."""
    if not candidates:
        return []
    by_id = {c.id: c for c in candidates}
    docs = [document_of(_latest_cv(c), key=c.id, at=c.created_at) for c in candidates]
    meaning = None
    if settings is not None:
        latest = {c.id: (cv.id if (cv := _latest_cv(c)) else None) for c in candidates}
        meaning, _note = semantic.meaning_for(session, settings, offer, latest)
    ranked = rank_candidates(
        criteria_of(offer),
        docs,
        _model_index(session, settings),
        _weights(settings),
        vocabulary=load_vocabulary(),
        meaning=meaning,
    )
    return [(by_id[r.key], round(r.score.value, 1)) for r in ranked]


def rank_pool_indexed(
    session: Session,
    settings: Settings,
    offer: Offer,
    latest_cv: dict[int, int | None],
    count: int,
) -> list[tuple[int, float]]:
    """The ``count`` best fits for ``offer`` among candidates given as candidate id -> id of
    their latest CV, as ``(candidate id, score)``, best first.

    Ranked from the index's stored vectors (:meth:`matching.MatchIndex.top_k`, four times
    ``count`` scored in full); a CV missing from the index is added first. Candidates
    without a CV cannot fit: they come last, with 0, while there is room.
    """
    index = load_index(session, settings)
    owner = {cv_id: candidate for candidate, cv_id in latest_cv.items() if cv_id is not None}
    missing = [cv_id for cv_id in owner if cv_id not in index]
    for start in range(0, len(missing), 500):
        for cv in session.scalars(
            select(CVFile).where(CVFile.id.in_(missing[start : start + 500]))
        ):
            index = _add_to_index(session, settings, cv)
    meaning, _note = semantic.pool_meaning(session, settings, offer, owner, index)
    ranked = index.top_k(
        criteria_of(offer),
        count,
        settings.weights,
        keys=list(owner),
        pool_factor=4,
        vocabulary=load_vocabulary(),
        meaning=meaning,
    )
    best = [(owner[r.key], round(r.score.value, 1)) for r in ranked]
    without_cv = [candidate for candidate, cv_id in latest_cv.items() if cv_id is None]
    return best + [(candidate, 0.0) for candidate in without_cv[: max(0, count - len(best))]]


def open_offers(session: Session, now: datetime | None = None) -> list[Offer]:
    """Published offers that still take applications (``Offer.is_open``, in SQL)."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(Offer)
            .where(Offer.is_open(now.date()))
            .options(selectinload(Offer.direction))
            .order_by(Offer.id)
        )
    )


def offers_for_candidate(
    session: Session,
    candidate: Candidate,
    settings: Settings | None = None,
    limit: int = 10,
) -> list[tuple[Offer, float]]:
    """The open offers that best fit a candidate's latest CV (those applied to left out)."""
    cv = _latest_cv(candidate)
    if cv is None or cv.text_unreadable or not (cv.text or "").strip():
        return []
    applied = {a.offer_id for a in candidate.applications}
    offers = [o for o in open_offers(session) if o.id not in applied]
    if not offers:
        return []
    by_id = {o.id: o for o in offers}
    index = _model_index(session, settings)
    ranked = rank_offers(
        cv.text,
        [criteria_of(o) for o in offers],
        model=index.model if index is not None else None,
        weights=_weights(settings),
        vocabulary=load_vocabulary(),
    )
    return [(by_id[r.key], round(r.score.value, 1)) for r in ranked[:limit]]


def offers_for_agent(
    session: Session, agent: User, settings: Settings | None = None, limit: int = 5
) -> list[tuple[Offer, float]]:
    """ "Offers for your network": the open offers closest to the agent's job and direction.

    People tend to know people who do similar work.
    """
    direction = agent.direction.name if agent.direction else ""
    if not agent.job_title and not direction:
        return []
    offers = open_offers(session)
    if not offers:
        return []
    by_id = {o.id: o for o in offers}
    index = _model_index(session, settings)
    ranked = match_offers_for_agent(
        agent.job_title or "",
        direction,
        [criteria_of(o) for o in offers],
        model=index.model if index is not None else None,
    )
    return [(by_id[r.key], round(r.score.value, 1)) for r in ranked[:limit] if r.score.value > 0]
