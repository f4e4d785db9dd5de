"""The TF-IDF text model: word n-grams plus character n-grams inside words.

One :class:`TextModel` is fitted on the organisation's corpus (offers and CVs). It turns a
document into a single L2-normalised sparse row of word n-gram TF-IDF (``sklearn``'s
``CountVectorizer`` and ``TfidfTransformer`` over :func:`matching.normalize.analyze`'s words).

The character n-grams are those of ``analyzer="char_wb"`` (n-grams of each word padded with
spaces), but they are never materialised per document: the character counts of a document
are its word counts times a word-to-n-gram matrix ``W``. So the char cosine between a query
and every document is one product with the word matrix, using the query projected on the
words (``W @ char_query``) and two numbers kept per document (its word and char norms).
This keeps a 100,000-CV index small and its build fast, and lets a query word that the
corpus never saw (a typo) still meet the corpus words that share its n-grams.

The *fuzzy* cosine is a second character-level view: each word is the unit vector of its
char n-grams (weighted by char idf), a text is the sum of its words' vectors weighted by the
words' TF-IDF, and two texts compare by the cosine of those sums. Unlike the char cosine,
where a long word weighs as much as its many n-grams, every word weighs what its idf says
and meets a similar word ("controleur", "control") in proportion to how alike they are:
a soft word match (Sidorov et al.'s soft cosine with a char n-gram word similarity). It is
computed the same way as the char cosine: one product with the word matrix and one number
kept per document.

Similarity = ``(1 - char_weight) * word_cosine + char_weight * ((1 - fuzzy_share) *
char_cosine + fuzzy_share * fuzzy_cosine)``, in [0, 1].
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from matching.normalize import analyze

__all__ = ["DocumentMatrix", "ModelConfig", "Parts", "Progress", "QueryVector", "TextModel"]

_NO_WORD = "\x00"  # the one feature of a model fitted on texts without any word
TOKEN_SHAPES_CACHED = 50_000  # words whose char n-gram vector a model keeps (see query)

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while a model or an index is being built."""


@dataclass(frozen=True)
class ModelConfig:
    """How text becomes features. The defaults suit offers and CVs (long texts).

    Measured on real data (benchmarks/matching_quality.py): word bigrams did not help either
    data set, and char n-grams help short texts (job titles) much more than long ones, whose
    many short n-grams are shared by every CV; so long texts lean on words, titles on chars
    (``similarities(..., char_weight=...)``). ``fuzzy_share`` is the part of the char weight
    given to the fuzzy cosine (see the module docstring) rather than the char cosine.
    ``fuzzy_cutoff`` drops from a query's fuzzy vector the words less than that fraction as
    close to the query as the closest one (0 keeps them all).
    """

    word_ngrams: tuple[int, int] = (1, 1)
    char_ngrams: tuple[int, int] = (3, 5)
    char_weight: float = 0.2
    fuzzy_share: float = 1.0
    stemming: str | None = "fr"
    min_df: int = 1
    sublinear_tf: bool = False
    fuzzy_cutoff: float = 0.0


_SHORT = 120  # job titles and skill labels: short, and repeated across CVs


@functools.lru_cache(maxsize=100_000)
def _analyze_short(text: str, stemming: str | None) -> tuple[str, ...]:
    return tuple(analyze(text, stemming=stemming))


class _Analyzer:
    """Picklable word n-gram analyzer (a bound method would drag the model into the pickle)."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config

    def words(self, text: str) -> list[str]:
        if len(text) <= _SHORT:
            return list(_analyze_short(text, self.config.stemming))
        return analyze(text, stemming=self.config.stemming)

    def __call__(self, text: str) -> list[str]:
        return ngrams(self.words(text), self.config.word_ngrams)


def ngrams(words: Sequence[str], bounds: tuple[int, int]) -> list[str]:
    """Word n-grams of ``words`` joined by a space, for n in ``bounds`` (inclusive)."""
    low, high = bounds
    out = list(words) if low <= 1 else []
    for n in range(max(low, 2), high + 1):
        out.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return out


def char_ngrams(word: str, bounds: tuple[int, int]) -> list[str]:
    """The ``char_wb`` n-grams of one word (padded with a space on each side), exactly as
    scikit-learn's ``analyzer="char_wb"`` makes them (a padded word shorter than n counts once).
    """
    padded = f" {word} "
    low, high = bounds
    out = []
    for n in range(low, high + 1):
        if len(padded) <= n:
            out.append(padded)
            break
        out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return out


def stored_positions(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the values of ``rows`` of a compressed-row layout (``indptr``) are stored, row
    after row, and how many values each row has."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    ends = np.cumsum(lengths)
    stored = np.repeat(starts - ends + lengths, lengths) + np.arange(ends[-1] if len(rows) else 0)
    return stored, lengths


@dataclass(frozen=True)
class QueryVector:
    """A query ready to be compared with document rows: dense vectors over the features.

    Contiguous vectors rather than one (n, 3) block: scipy multiplies a CSR matrix by one
    vector much faster than by a block of several.
    """

    word: np.ndarray  # float32: word TF-IDF, L2-normalised
    char: np.ndarray  # float32: char TF-IDF projected on the words, divided by word idf
    fuzzy: np.ndarray  # float32: fuzzy vector (unit length) projected on the words
    has_text: bool


class Parts(NamedTuple):
    """The three cosines of a query with every row (float32 arrays, each in [0, 1])."""

    word: np.ndarray
    char: np.ndarray
    fuzzy: np.ndarray


@dataclass(frozen=True)
class DocumentMatrix:
    """Documents as rows: word TF-IDF (L2-normalised) and, per row, the char-norm and
    fuzzy-norm ratios."""

    rows: sp.csr_matrix  # float32
    char_ratio: np.ndarray  # float32: word norm / char norm of each row (0 when empty)
    fuzzy_ratio: np.ndarray  # float32: 1 / fuzzy norm of each (normalised) row (0 when empty)

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows.shape

    def select(self, rows: Sequence[int] | np.ndarray | slice) -> DocumentMatrix:
        """The rows ``rows`` (indices or a slice), in that order."""
        return DocumentMatrix(self.rows[rows], self.char_ratio[rows], self.fuzzy_ratio[rows])

    def vstack(self, other: DocumentMatrix) -> DocumentMatrix:
        """Rows of ``self`` followed by rows of ``other`` (same model)."""
        return DocumentMatrix(
            sp.vstack([self.rows, other.rows], format="csr", dtype=np.float32),
            np.concatenate([self.char_ratio, other.char_ratio]),
            np.concatenate([self.fuzzy_ratio, other.fuzzy_ratio]),
        )


def _with_progress(texts: Sequence[str], progress: Progress | None) -> Iterator[str]:
    total = len(texts)
    step = max(1, total // 100)
    for i, text in enumerate(texts):
        if progress is not None and i % step == 0:
            progress(i, total)
        yield text
    if progress is not None:
        progress(total, total)


class TextModel:
    """A fitted vocabulary with word and char IDF. Build it with :meth:`fit`."""

    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        self.config = config
        self._analyzer = _Analyzer(config)

    # -- fitting -----------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        config: ModelConfig = ModelConfig(),
        progress: Progress | None = None,
    ) -> tuple[TextModel, DocumentMatrix]:
        """Fit a model on ``texts`` and return it with the matrix of those same texts."""
        model = cls(config)
        min_df = config.min_df if len(texts) >= 2 * config.min_df else 1
        model._counter = CountVectorizer(analyzer=model._analyzer, min_df=min_df, dtype=np.float32)
        try:
            counts = model._counter.fit_transform(_with_progress(texts, progress)).tocsr()
        except ValueError:  # no word at all (empty texts, only stop words): nothing matches
            model._counter = CountVectorizer(
                analyzer=model._analyzer, vocabulary=[_NO_WORD], dtype=np.float32
            )
            counts = model._counter.fit_transform(texts).tocsr()
        model._idf = (
            TfidfTransformer(sublinear_tf=config.sublinear_tf).fit(counts).idf_.astype(np.float32)
        )
        model._idf_unseen = np.float32(np.log(1 + counts.shape[0]) + 1)
        model._setup_vocabulary()
        model._fit_char_idf(counts)
        return model, model._matrix_from_counts(counts)

    def _setup_vocabulary(self) -> None:
        features = self._counter.get_feature_names_out()
        self.features = features
        self.vocabulary = self._counter.vocabulary_
        unigram_cols = np.array([i for i, f in enumerate(features) if " " not in f], dtype=np.int64)
        char_vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for col in unigram_cols:
            for gram, count in Counter(char_ngrams(features[col], self.config.char_ngrams)).items():
                rows.append(col)
                cols.append(char_vocab.setdefault(gram, len(char_vocab)))
                vals.append(count)
        self.char_vocabulary = char_vocab
        # W: feature (only unigram rows are non-empty) -> char n-gram counts
        self._word_to_char = sp.csr_matrix(
            (np.asarray(vals, np.float32), (rows, cols)), shape=(len(features), len(char_vocab))
        )

    def _fit_char_idf(self, counts: sp.csr_matrix, chunk: int = 4096) -> None:
        n_docs = counts.shape[0]
        present = self._word_to_char.copy()
        present.data[:] = 1
        df = np.zeros(present.shape[1], dtype=np.int64)
        for start in range(0, n_docs, chunk):
            block = counts[start : start + chunk].copy()
            block.data[:] = 1
            grams = (block @ present).tocsr()
            df += np.bincount(grams.indices, minlength=present.shape[1])
        self._char_idf = (np.log((1 + n_docs) / (1 + df)) + 1).astype(np.float32)
        self._char_idf_unseen = np.float32(np.log(1 + n_docs) + 1)

    def _word_shapes(self) -> sp.csr_matrix:
        """Each feature's unit vector of char n-gram TF-IDF (empty rows for word n-grams).

        Derived from the word-to-n-gram matrix and the char idf, so not saved with the model.
        """
        shapes = getattr(self, "_shapes", None)
        if shapes is None:
            weighted = (self._word_to_char @ sp.diags(self._char_idf)).tocsr()
            norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
            inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
            shapes = (sp.diags(inv) @ weighted).tocsr().astype(np.float32)
            self._shapes = shapes
        return shapes

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_shapes", None)
        state.pop("_token_shapes", None)
        return state

    # -- documents ---------------------------------------------------------------------

    def _tf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        counts = counts.astype(np.float32)
        if self.config.sublinear_tf:
            counts.data = np.log(counts.data) + 1
        return counts

    def _matrix_from_counts(self, counts: sp.csr_matrix, chunk: int = 4096) -> DocumentMatrix:
        tf = self._tf(counts)
        weighted = (tf @ sp.diags(self._idf)).tocsr().astype(np.float32)
        word_norm = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        char_norm = np.zeros(counts.shape[0], dtype=np.float64)
        for start in range(0, counts.shape[0], chunk):
            grams = (tf[start : start + chunk] @ self._word_to_char).tocsr()
            grams.data *= self._char_idf[grams.indices]
            char_norm[start : start + chunk] = np.sqrt(
                np.asarray(grams.multiply(grams).sum(axis=1)).ravel()
            )
        inv = np.divide(1.0, word_norm, out=np.zeros_like(word_norm), where=word_norm > 0)
        rows = (sp.diags(inv.astype(np.float32)) @ weighted).tocsr().astype(np.float32)
        ratio = np.divide(word_norm, char_norm, out=np.zeros_like(char_norm), where=char_norm > 0)
        rows.sort_indices()
        shapes = self._word_shapes()
        fuzzy_norm = np.zeros(counts.shape[0], dtype=np.float64)
        for start in range(0, counts.shape[0], chunk):
            summed = (rows[start : start + chunk] @ shapes).tocsr()
            fuzzy_norm[start : start + chunk] = np.sqrt(
                np.asarray(summed.multiply(summed).sum(axis=1), dtype=np.float64).ravel()
            )
        fuzzy = np.divide(1.0, fuzzy_norm, out=np.zeros_like(fuzzy_norm), where=fuzzy_norm > 0)
        return DocumentMatrix(rows, ratio.astype(np.float32), fuzzy.astype(np.float32))

    def transform(self, texts: Iterable[str]) -> DocumentMatrix:
        """Rows for ``texts`` with the fitted vocabulary (unknown words are ignored)."""
        return self._matrix_from_counts(self._counter.transform(list(texts)).tocsr())

    # -- queries -----------------------------------------------------------------------

    def words(self, text: str) -> list[str]:
        """The normalised words of ``text`` as this model counts them."""
        return self._analyzer.words(text)

    def query(
        self, fields: Sequence[tuple[str, float]], *, char: bool | None = None
    ) -> QueryVector:
        """A query vector from weighted text fields (``[(title, 3.0), (missions, 1.0)]``).

        Each field's words count ``weight`` times; the word, char and fuzzy parts are
        L2-normalised. The char part is computed only when the model's similarity uses it
        (``fuzzy_share < 1``) or ``char`` asks for it; it is zeros otherwise.
        """
        if char is None:
            char = self.config.fuzzy_share < 1
        n_features = len(self.features)
        word_counts: Counter[int] = Counter()
        char_counts: Counter[str] = Counter()
        token_counts: Counter[str] = Counter()
        for text, weight in fields:
            if not text or weight <= 0:
                continue
            tokens = self.words(text)
            for feature in ngrams(tokens, self.config.word_ngrams):
                col = self.vocabulary.get(feature)
                if col is not None:
                    word_counts[col] += weight
            for token in tokens:
                token_counts[token] += weight
                if char:
                    for gram in char_ngrams(token, self.config.char_ngrams):
                        char_counts[gram] += weight
        word = np.zeros(n_features, dtype=np.float32)
        char_part = np.zeros(n_features, dtype=np.float32)
        if word_counts:
            cols = np.fromiter(word_counts.keys(), dtype=np.int64)
            tf = np.fromiter(word_counts.values(), dtype=np.float32)
            if self.config.sublinear_tf:
                tf = np.log(tf) + 1
            values = tf * self._idf[cols]
            word[cols] = values / np.linalg.norm(values)
        if char_counts:
            known_cols, known_vals, norm_sq = [], [], 0.0
            for gram, count in char_counts.items():
                tf = float(np.log(count) + 1) if self.config.sublinear_tf else float(count)
                col = self.char_vocabulary.get(gram)
                idf = self._char_idf[col] if col is not None else self._char_idf_unseen
                value = tf * float(idf)
                norm_sq += value * value
                if col is not None:
                    known_cols.append(col)
                    known_vals.append(value)
            if known_cols:
                q = np.zeros(len(self.char_vocabulary), dtype=np.float32)
                q[known_cols] = np.asarray(known_vals, np.float32) / np.float32(np.sqrt(norm_sq))
                # The documents' char weights are count * idf: put their idf on the query side.
                q *= self._char_idf
                # Rows store word tf*idf/word_norm: divide by idf to get back to counts.
                projected = self._word_to_char @ q
                char_part = (projected / self._idf).astype(np.float32)
        fuzzy = self._fuzzy_query(token_counts)
        return QueryVector(word, char_part, fuzzy, bool(word_counts or token_counts))

    def _fuzzy_query(self, token_counts: Counter[str]) -> np.ndarray:
        """The query's fuzzy vector (words' unit char vectors weighted by their TF-IDF, unit
        length) projected on the features, as :meth:`parts` multiplies it with the rows."""
        known = np.zeros(len(self.char_vocabulary), dtype=np.float64)
        unseen: Counter[str] = Counter()
        for token, count in token_counts.items():
            tf = float(np.log(count) + 1) if self.config.sublinear_tf else float(count)
            col = self.vocabulary.get(token)
            weight = tf * float(self._idf[col] if col is not None else self._idf_unseen)
            cols, values, unseen_values = self._token_shape(token)
            np.add.at(known, cols, weight * values)
            for gram, value in unseen_values:
                unseen[gram] += weight * value
        # (squares summed by numpy, not a BLAS dot: that would wake BLAS threads that then
        # spin on the other core for a while)
        norm = np.sqrt(float(np.square(known).sum()) + sum(v * v for v in unseen.values()))
        if norm == 0 or not known.any():
            return np.zeros(len(self.features), dtype=np.float32)
        q = (known / norm).astype(np.float32)
        fuzzy = (self._word_shapes() @ q).astype(np.float32)
        cutoff = self.config.fuzzy_cutoff
        if cutoff > 0:
            fuzzy[fuzzy < cutoff * fuzzy.max()] = 0
        return fuzzy

    def _token_shape(self, token: str) -> tuple[np.ndarray, np.ndarray, tuple]:
        """A word's unit vector of char n-gram TF-IDF: (known columns, their values, unseen
        n-grams with theirs); kept per word, since offers repeat their words."""
        cache = self.__dict__.setdefault("_token_shapes", {})
        shape = cache.get(token)
        if shape is None:
            grams = Counter(char_ngrams(token, self.config.char_ngrams))
            cols, values, unseen = [], [], []
            for gram, n in grams.items():
                gram_col = self.char_vocabulary.get(gram)
                if gram_col is None:
                    unseen.append((gram, n * float(self._char_idf_unseen)))
                else:
                    cols.append(gram_col)
                    values.append(n * float(self._char_idf[gram_col]))
            norm = np.sqrt(sum(v * v for v in values) + sum(v * v for _g, v in unseen))
            shape = (
                np.asarray(cols, dtype=np.int64),
                np.asarray(values, dtype=np.float64) / norm,
                tuple((g, v / norm) for g, v in unseen),
            )
            if len(cache) >= TOKEN_SHAPES_CACHED:
                cache.clear()
            cache[token] = shape
        return shape

    def similarities(
        self,
        matrix: DocumentMatrix,
        query: QueryVector,
        char_weight: float | None = None,
        *,
        word: np.ndarray | None = None,
        fuzzy: np.ndarray | None = None,
    ) -> np.ndarray:
        """Combined cosine of ``query`` with every row of ``matrix`` (float32, in [0, 1]).

        ``char_weight`` overrides the configured share of the char-level cosines (titles use
        more); it is split between char and fuzzy cosines as the model's ``fuzzy_share`` says.
        ``word`` is ``matrix.rows @ query.word`` and ``fuzzy`` ``matrix.rows @ query.fuzzy``
        when the caller has them already.
        """
        weight = np.float32(self.config.char_weight if char_weight is None else char_weight)
        share = np.float32(self.config.fuzzy_share)
        out = np.zeros(matrix.shape[0], dtype=np.float32)
        if weight < 1:
            out += (1 - weight) * (matrix.rows @ query.word if word is None else word)
        if weight > 0 and share < 1:
            out += (weight * (1 - share)) * self._char_cosine(matrix, query)
        if weight > 0 and share > 0:
            out += (weight * share) * self._fuzzy_cosine(matrix, query, fuzzy)
        return out

    def parts(
        self, matrix: DocumentMatrix, query: QueryVector, *, word: np.ndarray | None = None
    ) -> Parts:
        """Word, char and fuzzy cosines separately (for explanations and evaluation);
        ``word`` as in :meth:`similarities`."""
        return Parts(
            matrix.rows @ query.word if word is None else word,
            self._char_cosine(matrix, query),
            self._fuzzy_cosine(matrix, query),
        )

    @staticmethod
    def _char_cosine(matrix: DocumentMatrix, query: QueryVector) -> np.ndarray:
        char = matrix.rows @ query.char
        char *= matrix.char_ratio
        return char

    @staticmethod
    def _fuzzy_cosine(
        matrix: DocumentMatrix, query: QueryVector, product: np.ndarray | None = None
    ) -> np.ndarray:
        fuzzy = matrix.rows @ query.fuzzy if product is None else product.copy()
        fuzzy *= matrix.fuzzy_ratio
        return fuzzy
