"""Job title matching: one title against many labels (occupations, offers' titles).

The same word + char n-gram model as offers and CVs, with gendered forms collapsed, and
unigram words only and only the char-level (fuzzy) cosine: titles are short, so bigrams add
nothing, and words compared through their char n-grams (gendered forms, plurals, derived
words, typos) carry the signal; an identical word is the best case of it. Measured on MELO
(benchmarks/matching_quality.py): MAP 0.638 with the fuzzy cosine on (2, 4)-grams, against
0.625 for 0.1 word + 0.9 char cosine on (2, 5)-grams; the word cosine on top lowers it.

With an :class:`~matching.embeddings.Embedder`, the lexical similarity is fused with the
cosine of the titles' sentence embeddings (:data:`~matching.embeddings.TITLE_FUSION`, or
:data:`~matching.embeddings.TITLE_RANKER` for labels grouped by occupation): a
fifth of MELO's relevant labels share no word with their query ("balayeur" and "agent de
propreté urbaine"), which only knowledge of occupations can match.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from matching.embeddings import TITLE_FUSION, TITLE_RANKER, Embedder, Fusion, TitleRanker, fuse
from matching.model import ModelConfig, TextModel

__all__ = ["TITLE_CONFIG", "TitleMatcher"]

TITLE_CONFIG = ModelConfig(word_ngrams=(1, 1), char_ngrams=(2, 4), char_weight=1.0)


class TitleMatcher:
    """Labels indexed once; :meth:`similarities` scores a title against all of them.

    ``embedder`` adds the semantic similarity (labels embedded once, as passages, unless
    their ``label_vectors`` are given, e.g. read from the database). ``groups`` (one
    hashable per label) says which labels name the same thing (an occupation's preferred and
    alternative labels): the two similarities are then fused by ``ranker`` (see
    :class:`~matching.embeddings.TitleRanker`), where a label counts as much as the best of
    its group; without groups, by ``fusion`` (measured better for labels on their own).
    """

    def __init__(
        self,
        labels: Sequence[str],
        config: ModelConfig = TITLE_CONFIG,
        *,
        embedder: Embedder | None = None,
        label_vectors: np.ndarray | None = None,
        ranker: TitleRanker = TITLE_RANKER,
        groups: Sequence[Hashable] | None = None,
        fusion: Fusion = TITLE_FUSION,
    ) -> None:
        self.labels = list(labels)
        self.model, self.matrix = TextModel.fit(self.labels or [""], config)
        self.embedder = embedder
        self.ranker = ranker
        self.fusion = fusion
        self.groups: np.ndarray | None = None
        if groups is not None:
            if len(groups) != len(self.labels):
                raise ValueError("one group per label is required")
            numbers: dict[Hashable, int] = {}
            self.groups = np.fromiter(
                (numbers.setdefault(g, len(numbers)) for g in groups), dtype=np.int64
            )
        self.vectors: np.ndarray | None = None
        if embedder is not None:
            self.vectors = (
                label_vectors if label_vectors is not None else embedder.passages(self.labels)
            )
            if len(self.vectors) != len(self.labels):
                raise ValueError("one vector per label is required")

    def lexical_similarities(self, title: str) -> np.ndarray:
        """Lexical similarity in [0, 1] of ``title`` with every label, in label order."""
        return self.model.similarities(self.matrix, self.model.query([(title, 1.0)]))

    def semantic_similarities(self, title: str) -> np.ndarray | None:
        """Cosine of the embeddings of ``title`` and of every label; None without a model."""
        if self.embedder is None or self.vectors is None:
            return None
        return self.vectors @ self.embedder.queries([title])[0]

    def similarities(self, title: str) -> np.ndarray:
        """Similarity in [0, 1] of ``title`` with every label, in label order: lexical,
        fused with the semantic one when there is an embedder (by the ranker when the labels
        come in groups)."""
        lexical = self.lexical_similarities(title)
        semantic = self.semantic_similarities(title)
        if semantic is None or self.groups is None:
            return fuse(lexical, semantic, self.fusion)
        return self.ranker.similarities(lexical, semantic, self.groups)

    def best(self, title: str, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` most similar labels as ``(label index, similarity)``, best first."""
        sims = self.similarities(title)
        order = np.lexsort((np.arange(len(sims)), -sims))[:k]
        return [(int(i), float(sims[i])) for i in order]
