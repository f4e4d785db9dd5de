"""Match scores of applications, with the matching library, and the index they rest on.

The index (the TF-IDF model fitted on the organisation's offers and CVs, and every CV's
vector) is a file in the instance folder. It is built on first use and by ``relais reindex``;
a new CV is transformed with the fitted vocabulary and appended, without refitting. Rewriting
the whole file for each new CV would cost seconds at 100,000 CVs, so a new CV is written on
its own to the additions folder beside the file (a few kilobytes); every process adds the
additions it has not seen to its copy, and once ``COMPACT_AFTER`` have piled up they are
folded into the file.

An erasure removes a CV from the database at once, but the index file still holds its text
until it is built again, which takes tens of seconds at 100,000 CVs: too long for the
recruiter's request. The erasure asks for a rebuild (:func:`request_rebuild`, a marker file
beside the index) and the worker, whose loop runs beside every deployment, builds the index
again on its next tick (:func:`rebuild_if_requested`); a marker left by a crash is acted on
at the next tick. Rankings never show an erased CV meanwhile: they rank the database's
candidates, the index only lends them its model.

The explanation is stored with the application in a format of our own (see
:func:`explanation_of`), so that the pages do not depend on the library's classes.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib
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
from referral import semantic
from referral.config import Settings
from referral.models import (
    Application,
    Candidate,
    CVFile,
    Offer,
    User,
    utcnow,
)

Progress = Callable[[int, int], None]
INDEX_FILE = "matching-index.joblib"
COMPACT_AFTER = 200  # additions folded into the index file at once


def index_path(settings: Settings) -> Path:
    return settings.instance_path / INDEX_FILE


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
        cv_readable=cv.text_status != "no_text",
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


# --- the index ----------------------------------------------------------------------------

_cache_lock = threading.Lock()
_cache: dict[Path, tuple[float, MatchIndex]] = {}


@contextmanager
def _file_lock(path: Path):
    """One writer of the index file at a time, across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _additions(path: Path) -> Path:
    return path.with_name(path.name + ".additions")


def _addition_files(path: Path) -> list[Path]:
    """The additions waiting beside the index file at ``path``, oldest first."""
    try:
        return sorted(_additions(path).glob("*.joblib"))
    except FileNotFoundError:
        return []


def _save(index: MatchIndex, path: Path) -> None:
    """Write the whole index to ``path``; the additions it now holds are deleted."""
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    index.save(tmp)
    os.replace(tmp, path)
    for addition in _addition_files(path):
        if _addition_key(addition) in index:
            addition.unlink(missing_ok=True)
    with _cache_lock:
        _cache[path] = (path.stat().st_mtime, index)


def _addition_key(addition: Path) -> int:
    return int(addition.stem)


def _write_addition(path: Path, doc: CandidateDoc) -> None:
    folder = _additions(path)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{doc.key}.tmp{os.getpid()}"
    joblib.dump(doc, tmp)
    os.replace(tmp, folder / f"{doc.key:012d}.joblib")


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
    path = index_path(settings)
    with _file_lock(path):
        _save(index, path)
        # Additions of CVs deleted since (an erasure) must not come back.
        existing = set(session.scalars(select(CVFile.id)))
        for addition in _addition_files(path):
            if _addition_key(addition) not in existing:
                addition.unlink(missing_ok=True)
    return index


def _rebuild_marker(path: Path) -> Path:
    return path.with_name(path.name + ".rebuild")


def request_rebuild(settings: Settings) -> None:
    """Ask for the index to be built again (the worker does it on its next tick)."""
    marker = _rebuild_marker(index_path(settings))
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{time.time_ns()} {os.getpid()}\n")


def rebuild_if_requested(session: Session, settings: Settings) -> bool:
    """Build the index again if :func:`request_rebuild` asked for it; whether it was built.

    A request made while the index is being built (another erasure) is kept for the next
    time: the marker goes only if it is still the one that was read before building.
    """
    marker = _rebuild_marker(index_path(settings))
    try:
        asked = marker.read_text()
    except FileNotFoundError:
        return False
    build_index(session, settings)
    try:
        if marker.read_text() == asked:
            marker.unlink()
    except FileNotFoundError:
        pass
    return True


def _read(path: Path) -> MatchIndex:
    """The index file at ``path`` with the additions beside it, from this process's cache
    while the file is unchanged."""
    mtime = path.stat().st_mtime
    with _cache_lock:
        cached = _cache.get(path)
        index = cached[1] if cached and cached[0] == mtime else None
    if index is None:
        index = MatchIndex.load(path)
        with _cache_lock:
            _cache[path] = (mtime, index)
    for addition in _addition_files(path):
        if _addition_key(addition) not in index:
            try:
                doc = joblib.load(addition)
            except FileNotFoundError:  # folded into the file meanwhile: read it next time
                continue
            with _cache_lock:
                if doc.key not in index:
                    index.add(doc)
    return index


def load_index(session: Session, settings: Settings) -> MatchIndex:
    """The saved index (built now when there is none or it is of another version)."""
    try:
        return _read(index_path(settings))
    except (FileNotFoundError, IndexVersionError):
        return build_index(session, settings)


def _add_to_index(session: Session, settings: Settings, cv: CVFile) -> MatchIndex:
    """Add a new CV to the index with the fitted vocabulary (no refit): written as an
    addition, folded into the index file with the others every ``COMPACT_AFTER``."""
    index = load_index(session, settings)
    if cv.id in index:
        return index
    path = index_path(settings)
    with _file_lock(path):
        # Another process may have saved a newer index meanwhile: extend that one.
        index = _read(path) if path.exists() else index
        if cv.id not in index:
            doc = document_of(cv)
            _write_addition(path, doc)
            with _cache_lock:
                if doc.key not in index:  # another thread may have read the addition already
                    index.add(doc)
            if len(_addition_files(path)) >= COMPACT_AFTER:
                _save(index, path)
    return index


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
    if cv is None or cv.text_status == "no_text" or not (cv.text or "").strip():
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
