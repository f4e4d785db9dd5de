"""A saved, extensible index of candidates' CVs for fast ranking against offers.

File format (one file, written with ``joblib``): a dict with ``format`` =
``"relais-matching-index"``, ``version`` (:data:`INDEX_VERSION`), the scikit-learn version
that wrote it, the fitted :class:`~matching.model.TextModel`, the CSR float32 matrix of the
CVs with its per-row char ratios, the candidates (key, CV text, message, application time,
readable flag), since version 2 what was read in each CV once for all offers (``profiles``:
past titles, languages, dates; see :class:`~matching.profile.ProfileFacts`) and, since
version 4, the per-row fuzzy ratios (``fuzzy_ratio``, see :mod:`matching.model`) and the CVs'
skill words and spellings (``words``, see :class:`~matching.word_table.WordTable`); version 5
only changes which words are indexed.
:meth:`MatchIndex.load` refuses a file of another format or version with
:class:`IndexVersionError`; rebuild it (``relais reindex``).

Only load index files you wrote: joblib files are pickles.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
import sklearn

try:  # scipy's own column-by-column product; private, hence the fallback below
    from scipy.sparse._sparsetools import csc_matvec as _add_columns
except ImportError:  # pragma: no cover - scipy without it: numpy adds the columns (slower)
    _add_columns = None

from matching.documents import CandidateDoc, OfferCriteria
from matching.embeddings import TEXT_FUSION, Meaning, fuse
from matching.model import (
    DocumentMatrix,
    ModelConfig,
    Progress,
    QueryVector,
    TextModel,
    stored_positions,
)
from matching.profile import CvProfile, ProfileFacts, read_profile_facts
from matching.scoring import (
    TITLE_CHAR_WEIGHT,
    RankedCandidate,
    Weights,
    _language_ids,
    _order_key,
    score_rows,
)
from matching.skills import CvWords, Vocabulary, _targets, labels_of, load_vocabulary
from matching.word_table import WordTable

__all__ = ["INDEX_FORMAT", "INDEX_VERSION", "IndexVersionError", "MatchIndex"]

INDEX_FORMAT = "relais-matching-index"
# 5: words the stop lists wrongly dropped ("four", "voie", "etat") are indexed, and queries
# keep only the fuzzy words that look like them (``INDEX_CONFIG``): a version 4 index would
# miss those words; it is rebuilt.
INDEX_VERSION = 5

# The corpus-level model for offers and CVs: bigrams need two documents to count, which keeps
# a 100,000-CV vocabulary small without losing the words themselves (char n-grams see them).
# The fuzzy part of a query keeps the words at least 5% as close to it as the closest one:
# the rest only share a common n-gram ("ion", "ent") with it. Resumes data set (see
# benchmarks/matching_quality.py): MAP 0.7178 -> 0.7179, MRR 0.8756 -> 0.8731, nDCG@10
# 0.7553 -> 0.7564; and each query then touches about a tenth of the matrix instead of all.
INDEX_CONFIG = ModelConfig(min_df=2, fuzzy_cutoff=0.05)


_WORDS_CACHE = 2048
# Rows added since the column copy was made are multiplied row-wise; past this many the copy
# is made again.
_UNCOPIED_ROWS = 2048


class _Columns:
    """The index matrix by column, for the word and fuzzy parts of the similarity.

    An offer names a few dozen words, and the fuzzy part of its query keeps only the words
    that look like them (see ``ModelConfig.fuzzy_cutoff``), so each part is the sum of a few
    hundred columns (a tenth of the matrix or less) rather than a product over every stored
    value. The sum runs in float32, column after column, exactly as the row-wise product adds
    up each row: the cosines are equal to the last bit, so rankings do not move.
    """

    def __init__(self, rows: sp.csr_matrix) -> None:
        columns = rows.tocsc()
        columns.sort_indices()
        self.columns = columns
        self.n_rows = rows.shape[0]

    def product(self, rows: sp.csr_matrix, vector: np.ndarray) -> np.ndarray:
        """``rows @ vector`` for ``rows``, the matrix this copy was made of plus rows appended
        since."""
        indptr, indices, data = self.columns.indptr, self.columns.indices, self.columns.data
        cols = np.flatnonzero(vector)
        if (indptr[cols + 1] - indptr[cols]).sum() > data.size // 2:
            return rows @ vector  # a query made of most of the vocabulary: rows are faster
        out = np.zeros(rows.shape[0], dtype=np.float32)
        vector = vector.astype(np.float32, copy=False)
        for col in cols.tolist():
            if _add_columns is not None:  # out += vector[col] * column col, in C
                _add_columns(
                    self.n_rows, 1, indptr[col : col + 2], indices, data, vector[col : col + 1], out
                )
            else:
                start, end = indptr[col], indptr[col + 1]
                out[indices[start:end]] += data[start:end] * vector[col]
        if rows.shape[0] > self.n_rows:
            out[self.n_rows :] = rows[self.n_rows :] @ vector
        return out


_SAMPLE_STEP = 16


def _best_rows(values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` largest ``values``, best first; equal values in position
    order (so the same positions whatever the machine).

    Every 16th value is looked at first: the ``count``-th largest of those is reached by at
    least ``count`` values of the whole, so only the values above it (about 16 × ``count``)
    need sorting out, instead of partitioning the whole array.
    """
    if count >= len(values):
        picked = np.arange(len(values))
    else:
        sample = values[::_SAMPLE_STEP]
        if len(sample) > count:
            bound = np.partition(sample, len(sample) - count)[len(sample) - count]
            picked = np.flatnonzero(values >= bound)
        else:
            picked = np.arange(len(values))
        if len(picked) > count:
            kept = values[picked]
            last = np.partition(kept, len(kept) - count)[len(kept) - count]  # count-th largest
            above = picked[kept > last]
            tied = picked[kept == last][: count - len(above)]  # the first positions
            picked = np.concatenate([above, tied])
    return picked[np.lexsort((picked, -values[picked]))]


def _read_facts(candidate: CandidateDoc) -> ProfileFacts:
    return read_profile_facts([candidate.cv_text, candidate.message])


class _Candidates(Sequence[CandidateDoc]):
    """The indexed candidates, kept as plain tuples and read as :class:`CandidateDoc`.

    A tuple of strings, numbers and dates is not tracked by the garbage collector, whereas
    100,000 objects are looked at by every full collection of the process (150 ms each,
    measured, at 100,000 CVs: a pause for whichever request is running).
    """

    def __init__(self, candidates: Sequence[CandidateDoc] = ()) -> None:
        # (key, CV text, message, application time, readable), as saved in the index file
        self.tuples: list[tuple] = []
        if isinstance(candidates, _Candidates):
            self.tuples = candidates.tuples
        else:
            for candidate in candidates:
                self.append(candidate)

    @classmethod
    def of_tuples(cls, tuples: Sequence[Sequence[Any]]) -> _Candidates:
        candidates = cls()
        candidates.tuples = [tuple(row) for row in tuples]
        return candidates

    def append(self, candidate: CandidateDoc) -> None:
        c = candidate
        self.tuples.append((c.key, c.cv_text, c.message, c.applied_at, c.cv_readable))

    def keys(self) -> list[Any]:
        return [row[0] for row in self.tuples]

    def __len__(self) -> int:
        return len(self.tuples)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [CandidateDoc(*row) for row in self.tuples[i]]
        return CandidateDoc(*self.tuples[i])

    def __iter__(self):
        return (CandidateDoc(*row) for row in self.tuples)


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``method`` holding the index's lock: an index shared by a server's threads is
    extended (:meth:`MatchIndex.add`) while others rank with it, and a ranking must not see
    the matrix of one size and the candidates of another."""

    @functools.wraps(method)
    def run(self: MatchIndex, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return run


class IndexVersionError(ValueError):
    """The file is not a matching index of the version this code reads."""


class MatchIndex:
    """Candidates' CVs vectorised with one fitted model; build, extend, save, load, query."""

    def __init__(
        self,
        model: TextModel,
        matrix: DocumentMatrix,
        candidates: Sequence[CandidateDoc],
        profiles: Sequence[ProfileFacts] | None = None,
        words: WordTable | None = None,
    ) -> None:
        if matrix.shape[0] != len(candidates):
            raise ValueError("one matrix row per candidate is required")
        self._lock = threading.RLock()
        self.model = model
        self.matrix = matrix
        self.candidates = _Candidates(candidates)
        self._rows = {key: i for i, key in enumerate(self.candidates.keys())}
        # What is read from a CV does not depend on the offer: read it once per CV, when it
        # is indexed. Profiles are small (kept for every CV); normalised words are not (last
        # few thousand).
        if profiles is None:
            profiles = [_read_facts(c) for c in self.candidates]
        if len(profiles) != len(self.candidates):
            raise ValueError("one profile per candidate is required")
        # Plain tuples, as the candidates (see _Candidates).
        self._facts: list[tuple] = [tuple(f) for f in profiles]
        # The past titles of every CV vectorised once: rows ``_title_start[i]`` to
        # ``_title_start[i + 1]`` of ``_titles`` are candidate ``i``'s.
        self._titles = self.model.transform([t for f in profiles for t in f.titles])
        self._title_start = np.cumsum([0] + [len(f.titles) for f in profiles], dtype=np.int64)
        self._words: OrderedDict[int, CvWords] = OrderedDict()
        self._columns = _Columns(self.matrix.rows)
        if words is None:
            words = WordTable(load_vocabulary())
            words.extend([c.text() for c in self.candidates], self.matrix.rows, self._features())
        if len(words) != len(self.candidates):
            raise ValueError("one row of words per candidate is required")
        self._table = words
        if len(self._rows) != len(self.candidates):
            raise ValueError("candidate keys must be unique")

    def __len__(self) -> int:
        return len(self.candidates)

    def __contains__(self, key: Any) -> bool:
        return key in self._rows

    @classmethod
    def build(
        cls,
        candidates: Sequence[CandidateDoc],
        *,
        offers: Sequence[OfferCriteria] = (),
        config: ModelConfig = INDEX_CONFIG,
        progress: Progress | None = None,
    ) -> MatchIndex:
        """Fit the model on the CVs (and the offers' texts) and index the CVs.

        ``progress(done, total)`` is called about a hundred times while the texts are read.
        """
        candidates = list(candidates)
        texts = [c.text() for c in candidates] + [o.text() for o in offers]
        model, matrix = TextModel.fit(texts or [""], config, progress)
        n = len(candidates)
        rows = matrix.select(slice(None, n))
        return cls(model, rows, candidates)

    @_locked
    def add(self, candidates: CandidateDoc | Sequence[CandidateDoc]) -> None:
        """Append new candidates, vectorised with the fitted vocabulary (no refit).

        Words the model never saw are ignored until the next :meth:`build`. Raises
        ``ValueError`` for a key already in the index.
        """
        new = [candidates] if isinstance(candidates, CandidateDoc) else list(candidates)
        for candidate in new:
            if candidate.key in self._rows:
                raise ValueError(f"candidate {candidate.key!r} is already indexed")
        if not new:
            return
        rows = self.model.transform([c.text() for c in new])
        self.matrix = self.matrix.vstack(rows)
        self._table.extend([c.text() for c in new], rows.rows, self._features())
        if self.matrix.shape[0] - self._columns.n_rows > _UNCOPIED_ROWS:
            self._columns = _Columns(self.matrix.rows)
        facts = [_read_facts(candidate) for candidate in new]
        for candidate, fact in zip(new, facts, strict=True):
            self._rows[candidate.key] = len(self.candidates)
            self.candidates.append(candidate)
            self._facts.append(tuple(fact))
        titles = [t for f in facts for t in f.titles]
        if titles:
            self._titles = self._titles.vstack(self.model.transform(titles))
        counts = np.cumsum([len(f.titles) for f in facts], dtype=np.int64)
        self._title_start = np.concatenate([self._title_start, self._title_start[-1] + counts])

    # -- persistence -------------------------------------------------------------------

    @_locked
    def save(self, path: str | Path) -> None:
        """Write the index to ``path`` (see the module docstring for the format)."""
        joblib.dump(
            {
                "format": INDEX_FORMAT,
                "version": INDEX_VERSION,
                "sklearn": sklearn.__version__,
                "model": self.model,
                "rows": self.matrix.rows,
                "char_ratio": self.matrix.char_ratio,
                "fuzzy_ratio": self.matrix.fuzzy_ratio,
                "candidates": self.candidates.tuples,
                "profiles": self._facts,
                "words": self._table,
            },
            Path(path),
            compress=3,
        )

    @classmethod
    def load(cls, path: str | Path) -> MatchIndex:
        """Read an index written by :meth:`save`; :class:`IndexVersionError` if it is not one
        of this version."""
        try:
            data = joblib.load(Path(path))
        except (EOFError, ValueError, KeyError, AttributeError, ModuleNotFoundError) as error:
            raise IndexVersionError(f"{path}: not a readable matching index ({error})") from error
        if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
            raise IndexVersionError(f"{path}: not a matching index file")
        if data.get("version") != INDEX_VERSION:
            raise IndexVersionError(
                f"{path}: index version {data.get('version')!r}, this code reads version "
                f"{INDEX_VERSION}; rebuild it with `relais reindex`"
            )
        candidates = _Candidates.of_tuples(data["candidates"])
        profiles = [
            ProfileFacts(tuple(titles), tuple(langs), experience)
            for titles, langs, experience in data["profiles"]
        ]
        return cls(
            data["model"],
            DocumentMatrix(data["rows"], data["char_ratio"], data["fuzzy_ratio"]),
            candidates,
            profiles,
            data["words"],
        )

    # -- queries -----------------------------------------------------------------------

    @_locked
    def similarities(self, offer: OfferCriteria) -> np.ndarray:
        """TF-IDF similarity of ``offer`` with every indexed CV."""
        return self._similarities(self.model.query(offer.fields()))

    def _similarities(self, query: QueryVector) -> np.ndarray:
        """The word and fuzzy parts from the columns of the words they hold (and the char
        part, when the model uses it, from one product over every row)."""
        rows = self.matrix.rows
        return self.model.similarities(
            self.matrix,
            query,
            word=self._columns.product(rows, query.word),
            fuzzy=self._columns.product(rows, query.fuzzy),
        )

    @_locked
    def top_k(
        self,
        offer: OfferCriteria,
        k: int = 50,
        weights: Weights = Weights(),
        *,
        vocabulary: Vocabulary | None = None,
        reference_year: int | None = None,
        keys: Sequence[Any] | None = None,
        pool_factor: int = 1,
        meaning: Meaning | None = None,
    ) -> list[RankedCandidate]:
        """The ``k`` best candidates for ``offer``, with full explanations.

        One sparse product and the offer's word columns give the TF-IDF similarity of every
        CV; the best ``pool_factor * k`` by similarity are fully scored (skills, titles,
        experience, languages) and the best ``k`` of those returned. A CV that shares almost
        no words with the offer cannot reach the top through its other components. ``keys``
        restricts the search to those candidates (an offer's applicants). What the CVs' words
        say is read from the index (see :class:`~matching.word_table.WordTable`). With
        ``meaning`` the embeddings' cosines are fused in: with its ``aligned`` vectors, into the
        choice of the CVs scored in full too (a CV in English can then reach the top for an
        offer in French).
        """
        if k <= 0 or not self.candidates:
            return []
        query = self.model.query(offer.fields())
        sims = self._similarities(query)
        lexical = sims
        dense = meaning.dense(len(sims)) if meaning is not None else None
        if dense is not None:
            sims = fuse(np.sqrt(np.clip(sims, 0, 1)), dense, TEXT_FUSION)
        if keys is not None:
            allowed = np.fromiter(
                (self._rows[key] for key in keys if key in self._rows), dtype=np.int64
            )
            mask = np.full(sims.shape, -1.0, dtype=np.float32)
            mask[allowed] = sims[allowed]
            sims = mask
            available = len(allowed)
        else:
            available = len(sims)
        pool = min(available, max(k * pool_factor, k))
        if pool == 0:
            return []
        picked = _best_rows(sims, pool)
        picked = picked[sims[picked] >= 0]
        rows = [int(i) for i in picked]
        chosen = [self.candidates[i] for i in rows]
        vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
        labels = self._offer_labels(offer, vocabulary)
        if labels is not None:
            words = self._table.words(rows, [c.text() for c in chosen], *labels)
        else:
            words = [self._cv_words(row) for row in rows]
        scores = score_rows(
            offer,
            chosen,
            self.model,
            self.matrix,
            rows,
            weights=weights,
            vocabulary=vocabulary,
            reference_year=reference_year,
            profiles=[self._profile(row, reference_year) for row in rows],
            words=words,
            query=query,
            title_similarities=lambda title_query: self._title_similarities(rows, title_query),
            term_spans=self._table.term_spans if labels is not None else None,
            similarities=lexical[picked],
            meaning=meaning,
        )
        order = sorted(
            range(len(chosen)),
            key=lambda i: _order_key(scores[i], chosen[i].applied_at, chosen[i].key),
        )
        return [
            RankedCandidate(chosen[i].key, rank, scores[i], chosen[i].applied_at)
            for rank, i in enumerate(order[:k], start=1)
        ]

    @_locked
    def aligned(self, vectors: Mapping[Any, np.ndarray]) -> np.ndarray | None:
        """``vectors`` (by candidate key) as one matrix in the order of the index's rows, zeros
        for the candidates without (see :attr:`matching.embeddings.Meaning.aligned`)."""
        if not vectors:
            return None
        dim = len(next(iter(vectors.values())))
        out = np.zeros((len(self.candidates), dim), dtype=np.float32)
        for key, vector in vectors.items():
            row = self._rows.get(key)
            if row is not None:
                out[row] = vector
        return out

    @_locked
    def rows_of(self, keys: Sequence[Any]) -> np.ndarray:
        """The row of each of ``keys`` (-1 for a key that is not indexed)."""
        rows = self._rows
        return np.fromiter((rows.get(key, -1) for key in keys), dtype=np.int64, count=len(keys))

    def _features(self) -> list[str] | None:
        """The model's features when they are words normalised as CvWords does, else None."""
        features = [str(f) for f in self.model.features]
        if self.model.config.stemming != "fr" or any(" " in f for f in features):
            return None
        return features

    def _offer_labels(
        self, offer: OfferCriteria, vocabulary: Vocabulary
    ) -> tuple[set[str], set[str]] | None:
        """The words and the keys of the labels of ``offer``'s skills, when the stored skill
        words and spellings explain its scores as the CVs' full words would: the labels are
        made of vocabulary words, and no language it asks for is looked up among the CV's
        words (a name longer than a language id). Else None: the CVs are read again."""
        if self._table.term_spans is None:
            return None
        if any(len(lang) > 3 for lang in _language_ids(offer.languages)):
            return None
        targets = [
            target
            for skills in (offer.required_skills, offer.nice_skills)
            for target in _targets(tuple(labels_of(skills)), vocabulary)
        ]
        words = {word for target in targets for label in target.labels for word in label}
        if not all(self._table.knows(word) for word in words):
            return None
        return words, {key for target in targets for key in target.keys}

    def _title_similarities(self, rows: Sequence[int], title_query: QueryVector) -> np.ndarray:
        """Best similarity of the offer's title with the stored past titles of each row."""
        rows_ = np.asarray(rows, dtype=np.int64)
        picked, lengths = stored_positions(self._title_start, rows_)
        best = np.zeros(len(rows_), dtype=np.float32)
        if not lengths.sum():
            return best
        sims = self.model.similarities(
            self._titles.select(picked),
            title_query,
            TITLE_CHAR_WEIGHT,
        )
        some = lengths > 0
        offsets = np.concatenate([[0], np.cumsum(lengths[some])[:-1]])
        best[some] = np.maximum.reduceat(sims, offsets)
        return best

    def _profile(self, row: int, reference_year: int | None) -> CvProfile:
        return ProfileFacts._make(self._facts[row]).profile(reference_year)

    def _cv_words(self, row: int) -> CvWords:
        words = self._words.get(row)
        if words is None:
            words = CvWords(self.candidates[row].text())
            self._words[row] = words
            if len(self._words) > _WORDS_CACHE:
                self._words.popitem(last=False)
        else:
            self._words.move_to_end(row)
        return words

    def rank(
        self,
        offer: OfferCriteria,
        keys: Sequence[Any] | None = None,
        weights: Weights = Weights(),
        **options: Any,
    ) -> list[RankedCandidate]:
        """Every indexed candidate (or those of ``keys``) ranked for ``offer``, explained."""
        keys = list(self._rows) if keys is None else list(keys)
        return self.top_k(offer, len(keys), weights, keys=keys, pool_factor=1, **options)
