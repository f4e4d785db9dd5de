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
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from matching import MatchIndex, read_profile
from matching.embeddings import (
    CvMeaning,
    Embedder,
    EmbedderStatus,
    Meaning,
    OfferMeaning,
    load_embedder,
)
from referral.config import Settings
from referral.models import CvEmbedding, CVFile, CvTextStatus, Offer, OfferEmbedding

__all__ = [
    "embed_missing",
    "embedding_status",
    "meaning_for",
    "missing_counts",
    "pool_meaning",
    "VECTORS",
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
        .where(CVFile.id.not_in(done), CVFile.text_status == CvTextStatus.OK)
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
    the offer or for one of the CVs (the worker is on it).

    The CVs' vectors come from this process's :data:`VECTORS` cache (one aggregate query
    checks that it is current), so a ranking over a large pool does not read them again."""
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
    vectors = VECTORS.current(session, embedder)
    wanted = np.unique(
        np.fromiter((cv_id for cv_id in cv_of.values() if cv_id is not None), dtype=np.int64)
    )
    absent = wanted[vectors.rows_of(wanted) < 0].tolist()
    # A CV without text has no vectors and is scored 0 by its own rule; any other CV without
    # vectors is waiting for the worker.
    for start in range(0, len(absent), 500):
        chunk = absent[start : start + 500]
        readable = session.scalar(
            select(func.count(CVFile.id)).where(
                CVFile.id.in_(chunk), CVFile.text_status == CvTextStatus.OK
            )
        )
        if readable:
            return None, NOT_YET
    cvs = _StoredCvs(session, vectors, {key: cv_id for key, cv_id in cv_of.items() if cv_id})
    meaning = Meaning(embedder.name, OfferMeaning(offer_vectors[0], offer_vectors[1]), cvs)
    return meaning, ""


def pool_meaning(
    session: Session,
    settings: Settings,
    offer: Offer,
    cv_ids: Iterable[int],
    index: MatchIndex,
) -> tuple[Meaning | None, str]:
    """:func:`meaning_for` a pool of CVs indexed in ``index`` under their CV id, with the
    cached vectors of every CV placed on the index's rows (:attr:`Meaning.aligned_rows`), so
    that :meth:`~matching.MatchIndex.top_k` computes every cosine in one dense product over
    a matrix kept between rankings."""
    meaning, note = meaning_for(session, settings, offer, {cv_id: cv_id for cv_id in cv_ids})
    if meaning is None:
        return None, note
    vectors = meaning.cvs.vectors if isinstance(meaning.cvs, _StoredCvs) else None
    if vectors is None or not len(vectors.cv_ids):
        return meaning, note
    return replace(meaning, aligned=vectors.text, aligned_rows=vectors.index_rows(index)), note


# --- the CVs' vectors, kept per process -------------------------------------------------------


class CvVectors:
    """Every stored CV vector of one model (name and version) as arrays: row ``i`` of
    ``text`` is the text of CV ``cv_ids[i]``, rows ``title_start[i]`` to ``title_start[i + 1]``
    of ``titles`` its past titles. ``signature`` is what :meth:`VectorCache.current` compares
    with the database to know whether these are still the stored ones."""

    def __init__(
        self,
        signature: tuple,
        last_id: int,
        cv_ids: np.ndarray,
        text: np.ndarray,
        title_start: np.ndarray,
        titles: np.ndarray,
    ) -> None:
        self.signature = signature
        self.last_id = last_id  # the largest cv_embedding id read
        self.cv_ids = cv_ids
        self.text = text
        self.title_start = title_start
        self.titles = titles
        self._order = np.argsort(cv_ids, kind="stable")
        self._sorted = cv_ids[self._order]
        # The past titles' texts, read from the CVs for those scored in full only (see
        # _StoredCvs.prefetch); the vectors' rows follow them.
        self.title_texts: dict[int, tuple[str, ...]] = {}
        self._index_rows: tuple[int, int, np.ndarray] | None = None
        self._lock = threading.Lock()

    def rows_of(self, cv_ids: np.ndarray) -> np.ndarray:
        """The row of each of ``cv_ids`` (-1 for a CV without vectors)."""
        cv_ids = np.asarray(cv_ids, dtype=np.int64)
        if not len(self._sorted):
            return np.full(len(cv_ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, cv_ids), len(self._sorted) - 1)
        return np.where(self._sorted[at] == cv_ids, self._order[at], -1)

    def index_rows(self, index: MatchIndex) -> np.ndarray:
        """The row of ``index`` of each CV (-1 when not indexed), kept while the index is the
        same object of the same size (it only grows)."""
        with self._lock:
            known = self._index_rows
            if known is None or known[0] != id(index) or known[1] != len(index):
                known = (id(index), len(index), index.rows_of(self.cv_ids.tolist()))
                self._index_rows = known
            return known[2]

    def meaning(self, row: int, titles: tuple[str, ...]) -> CvMeaning:
        start, end = self.title_start[row], self.title_start[row + 1]
        return CvMeaning(self.text[row], self.titles[start:end], titles)


def _empty_vectors(dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.zeros(0, dtype=np.int64),
        np.zeros((0, dim), dtype=np.float32),
        np.zeros(1, dtype=np.int64),
        np.zeros((0, dim), dtype=np.float32),
    )


class VectorCache:
    """The CVs' vectors of each model, read once per process and kept while the database's
    are the same.

    Whether they are is one aggregate query over the model's rows (count, largest id, sum of
    the CV ids, latest creation time): vectors are only ever inserted (by the worker) or
    deleted (with their CV, or when a model replaces them), so any change moves one of those.
    New rows alone (the worker's batches) are read and appended; anything else reads every
    row again."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str], CvVectors] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def current(self, session: Session, embedder: Embedder) -> CvVectors:
        of_model = (CvEmbedding.model == embedder.name, CvEmbedding.version == embedder.version)
        count, last_id, id_sum, latest = session.execute(
            select(
                func.count(CvEmbedding.id),
                func.coalesce(func.max(CvEmbedding.id), 0),
                func.coalesce(func.sum(CvEmbedding.cv_file_id), 0),
                func.max(CvEmbedding.created_at),
            ).where(*of_model)
        ).one()
        signature = (int(count), int(last_id), int(id_sum), str(latest))
        key = (str(session.get_bind().engine.url), embedder.name, embedder.version)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None and cached.signature == signature:
                return cached
            fresh = None
            if cached is not None and signature[0] > cached.signature[0]:
                fresh = self._appended(session, embedder, cached, signature)
            if fresh is None:
                fresh = self._read(session, embedder, of_model, signature, after=0)
            self._entries[key] = fresh
            return fresh

    def _appended(
        self, session: Session, embedder: Embedder, cached: CvVectors, signature: tuple
    ) -> CvVectors | None:
        """``cached`` with the rows inserted since, or None when rows were deleted too."""
        of_model = (CvEmbedding.model == embedder.name, CvEmbedding.version == embedder.version)
        new = self._read(session, embedder, of_model, signature, after=cached.last_id)
        if (
            len(cached.cv_ids) + len(new.cv_ids) != signature[0]
            or int(cached.cv_ids.sum()) + int(new.cv_ids.sum()) != signature[2]
        ):
            return None
        starts = np.concatenate([cached.title_start, cached.title_start[-1] + new.title_start[1:]])
        merged = CvVectors(
            signature,
            new.last_id,
            np.concatenate([cached.cv_ids, new.cv_ids]),
            np.concatenate([cached.text, new.text]),
            starts,
            np.concatenate([cached.titles, new.titles]),
        )
        merged.title_texts.update(cached.title_texts)
        return merged

    @staticmethod
    def _read(
        session: Session, embedder: Embedder, of_model: tuple, signature: tuple, after: int
    ) -> CvVectors:
        ids: list[int] = []
        texts: list[np.ndarray] = []
        titles: list[np.ndarray] = []
        last_id = after
        rows = session.execute(
            select(CvEmbedding.id, CvEmbedding.cv_file_id, CvEmbedding.dim, CvEmbedding.vectors)
            .where(*of_model, CvEmbedding.id > after)
            .order_by(CvEmbedding.id)
            .execution_options(yield_per=2000)
        )
        for row_id, cv_id, dim, data in rows:
            vectors = _unpack(data, dim)
            ids.append(cv_id)
            texts.append(vectors[0])
            titles.append(vectors[1:])
            last_id = max(last_id, row_id)
        if not ids:
            return CvVectors(signature, last_id, *_empty_vectors(embedder.dim))
        counts = [len(t) for t in titles]
        return CvVectors(
            signature,
            last_id,
            np.asarray(ids, dtype=np.int64),
            np.stack(texts).astype(np.float32, copy=False),
            np.cumsum([0, *counts], dtype=np.int64),
            np.concatenate(titles).astype(np.float32, copy=False)
            if sum(counts)
            else np.zeros((0, embedder.dim), dtype=np.float32),
        )


VECTORS = VectorCache()
"""This process's :class:`VectorCache` (every ranking of every thread reads through it)."""


class _StoredCvs(Mapping[Any, CvMeaning]):
    """The :class:`CvMeaning` of the CVs of a ranking (candidate key -> CV id), made from
    the cached vectors when asked for. The past titles' texts (to quote the one matched by
    meaning) are read from the CVs, for the candidates scored in full only: :meth:`prefetch`
    reads those of many candidates in one query."""

    def __init__(self, session: Session, vectors: CvVectors, cv_of: Mapping[Any, int]) -> None:
        self.session = session
        self.vectors = vectors
        self.cv_of = cv_of

    def prefetch(self, keys: Iterable[Any]) -> None:
        """Read the past titles of the CVs of ``keys`` not read yet (one query per 500)."""
        known = self.vectors.title_texts
        wanted = sorted(
            {cv for key in keys if (cv := self.cv_of.get(key)) is not None and cv not in known}
        )
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            # The same reader as at embedding time, so that vector row i + 1 is title i.
            for cv_id, text in self.session.execute(
                select(CVFile.id, CVFile.text).where(CVFile.id.in_(chunk))
            ):
                known[cv_id] = read_profile([text or ""]).titles

    def get(self, key: Any, default: Any = None) -> Any:
        cv_id = self.cv_of.get(key)
        if cv_id is None:
            return default
        row = int(self.vectors.rows_of(np.array([cv_id]))[0])
        if row < 0:
            return default
        if cv_id not in self.vectors.title_texts:
            self.prefetch([key])
        return self.vectors.meaning(row, self.vectors.title_texts.get(cv_id, ()))

    def __getitem__(self, key: Any) -> CvMeaning:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[Any]:
        rows = self.vectors.rows_of(np.fromiter(self.cv_of.values(), dtype=np.int64))
        return (key for key, row in zip(self.cv_of, rows.tolist(), strict=True) if row >= 0)

    def __len__(self) -> int:
        return int((self.vectors.rows_of(np.fromiter(self.cv_of.values(), np.int64)) >= 0).sum())
