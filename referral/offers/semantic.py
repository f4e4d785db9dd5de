"""Matching by meaning in the application: the embedding model the settings name, the
vectors of CVs and offers stored in the database, and what a ranking gets from them.

Vectors are computed by the worker (:func:`embed_missing`, a few per tick) and by
``relais reindex``, never in a candidate's request: an application is scored on arrival by
its words, and scored again once its CV's vectors exist (:func:`embed_missing` returns the
CVs it embedded). They are stored per model name and version, so a change of model embeds
everything again in the background while ranking goes on with words only for the offers
whose CVs are not all embedded yet (a ranking never mixes CVs scored with and without
meaning). When the model cannot load, ranking is lexical and ``relais config``, the admin
home and every explanation say so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from matching import read_profile
from matching.embeddings import (
    CvMeaning,
    Embedder,
    EmbedderStatus,
    Meaning,
    OfferMeaning,
    load_embedder,
)
from referral.config import Settings
from referral.models import CvEmbedding, CVFile, Offer, OfferEmbedding

__all__ = [
    "embed_missing",
    "embedding_status",
    "meaning_for",
    "missing_counts",
]

Progress = Callable[[int, int], None]
# CVs embedded per worker tick or reindex transaction (0.3 to 0.9 s each on a busy core).
BATCH = 8
# Why a score counts words only (stored in its explanation, shown translated): the worker
# has not embedded the CVs or the offer yet; the model is turned off or could not load.
NOT_YET = "cv_pending"
OFFER_PENDING = "offer_pending"
MODEL_OFF = "model_off"
MODEL_UNAVAILABLE = "model_unavailable"


def embedding_status(settings: Settings) -> EmbedderStatus:
    """The embedder ``RELAIS_EMBEDDING_MODEL`` names, loaded once per process, or why not."""
    return load_embedder(settings.embedding_model)


def _offer_texts(offer: Offer) -> tuple[str, str]:
    text = "\n".join(
        part for part in (offer.title, offer.description, offer.missions, offer.profile) if part
    )
    return text, offer.title or ""


def _digest(texts: Iterable[str]) -> str:
    return hashlib.sha256("\x00".join(texts).encode()).hexdigest()


def _pack(vectors: np.ndarray) -> bytes:
    return np.ascontiguousarray(vectors, dtype=np.float32).tobytes()


def _unpack(data: bytes, dim: int) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32).reshape(-1, dim)


def _cv_titles(cv: CVFile) -> tuple[str, ...]:
    return read_profile([cv.text or ""]).titles


def _cvs_missing(session: Session, embedder: Embedder):
    done = select(CvEmbedding.cv_file_id).where(
        CvEmbedding.model == embedder.name, CvEmbedding.version == embedder.version
    )
    return (
        select(CVFile)
        .where(CVFile.id.not_in(done), CVFile.text_status == "ok")
        .order_by(CVFile.id.desc())  # newest first: the applications waiting for a rescore
    )


def _offers_stale(session: Session, embedder: Embedder) -> list[Offer]:
    stored = {
        e.offer_id: e
        for e in session.scalars(
            select(OfferEmbedding).where(
                OfferEmbedding.model == embedder.name, OfferEmbedding.version == embedder.version
            )
        )
    }
    stale = []
    for offer in session.scalars(select(Offer).order_by(Offer.id)):
        row = stored.get(offer.id)
        if row is None or row.digest != _digest(_offer_texts(offer)):
            stale.append(offer)
    return stale


def missing_counts(session: Session, settings: Settings) -> tuple[int, int]:
    """(CVs, offers) whose vectors under the current model are missing or out of date."""
    embedder = embedding_status(settings).embedder
    if embedder is None:
        return 0, 0
    cvs = len(session.scalars(_cvs_missing(session, embedder).with_only_columns(CVFile.id)).all())
    return cvs, len(_offers_stale(session, embedder))


def embed_missing(
    session: Session, settings: Settings, limit: int | None = None
) -> tuple[list[int], list[int]]:
    """Embed up to ``limit`` CVs (newest first) and every offer whose vectors under the
    current model are missing or out of date; flushed in the caller's transaction, so an
    interruption keeps what was committed. Returns (ids of the CVs embedded, ids of the
    offers)."""
    embedder = embedding_status(settings).embedder
    if embedder is None:
        return [], []
    offers = _offers_stale(session, embedder)
    for offer in offers:
        texts = _offer_texts(offer)
        vectors = embedder.queries(list(texts))
        row = session.scalar(
            select(OfferEmbedding).where(
                OfferEmbedding.offer_id == offer.id,
                OfferEmbedding.model == embedder.name,
                OfferEmbedding.version == embedder.version,
            )
        )
        if row is None:
            row = OfferEmbedding(offer_id=offer.id, model=embedder.name, version=embedder.version)
            session.add(row)
        row.digest, row.dim, row.vectors = _digest(texts), embedder.dim, _pack(vectors)
    query = _cvs_missing(session, embedder)
    cvs = session.scalars(query.limit(limit) if limit is not None else query).all()
    for cv in cvs:
        titles = _cv_titles(cv)
        vectors = embedder.passages([cv.text or "", *titles])
        session.add(
            CvEmbedding(
                cv_file_id=cv.id,
                model=embedder.name,
                version=embedder.version,
                dim=embedder.dim,
                vectors=_pack(vectors),
            )
        )
    # Vectors of another model or version are never compared with these: they go.
    if cvs:
        session.execute(
            delete(CvEmbedding).where(
                CvEmbedding.cv_file_id.in_([cv.id for cv in cvs]),
                (CvEmbedding.model != embedder.name) | (CvEmbedding.version != embedder.version),
            )
        )
    if offers:
        session.execute(
            delete(OfferEmbedding).where(
                OfferEmbedding.offer_id.in_([offer.id for offer in offers]),
                (OfferEmbedding.model != embedder.name)
                | (OfferEmbedding.version != embedder.version),
            )
        )
    session.flush()
    return [cv.id for cv in cvs], [offer.id for offer in offers]


def meaning_for(
    session: Session, settings: Settings, offer: Offer, cv_of: Mapping[Any, int | None]
) -> tuple[Meaning | None, str]:
    """The embeddings for ranking ``offer`` against the CVs ``cv_of`` (candidate key -> CV
    id), or None and why ranking is by words only: no model, or vectors not computed yet for
    the offer or for one of the CVs (the worker is on it)."""
    status = embedding_status(settings)
    embedder = status.embedder
    if embedder is None:
        off = status.setting.lower() in ("off", "none", "lexical", "")
        return None, MODEL_OFF if off else MODEL_UNAVAILABLE
    stored = session.scalar(
        select(OfferEmbedding).where(
            OfferEmbedding.offer_id == offer.id,
            OfferEmbedding.model == embedder.name,
            OfferEmbedding.version == embedder.version,
        )
    )
    if stored is None or stored.digest != _digest(_offer_texts(offer)):
        return None, OFFER_PENDING
    offer_vectors = _unpack(stored.vectors, stored.dim)
    wanted = sorted({cv_id for cv_id in cv_of.values() if cv_id is not None})
    rows: dict[int, CvEmbedding] = {}
    titles_of: dict[int, tuple[str, ...]] = {}
    unreadable = 0
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for row in session.scalars(
            select(CvEmbedding).where(
                CvEmbedding.cv_file_id.in_(chunk),
                CvEmbedding.model == embedder.name,
                CvEmbedding.version == embedder.version,
            )
        ):
            rows[row.cv_file_id] = row
        # The past titles, to quote the one matched by meaning (the same reader as at
        # embedding time, so that row i + 1 of the vectors is title i); a CV without text
        # has no vectors and is scored 0 by its own rule.
        for cv_id, text, text_status in session.execute(
            select(CVFile.id, CVFile.text, CVFile.text_status).where(CVFile.id.in_(chunk))
        ):
            if text_status != "ok":
                unreadable += cv_id not in rows
            elif cv_id in rows:
                titles_of[cv_id] = read_profile([text or ""]).titles
    if len(rows) + unreadable < len(wanted):
        return None, NOT_YET
    cvs = {}
    for key, cv_id in cv_of.items():
        found = rows.get(cv_id) if cv_id is not None else None
        if found is None or cv_id is None:
            continue
        row = found
        vectors = _unpack(row.vectors, row.dim)
        cvs[key] = CvMeaning(vectors[0], vectors[1:], titles_of.get(cv_id, ()))
    meaning = Meaning(embedder.name, OfferMeaning(offer_vectors[0], offer_vectors[1]), cvs)
    return meaning, ""
