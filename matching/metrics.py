"""Ranking quality metrics, computed the way ``trec_eval`` computes them.

A *run* maps a query id to ``{document id: score}``; *qrels* map a query id to its set of
relevant document ids (binary relevance). Documents of one query are ordered by score
descending, ties by document id descending, as trec_eval does; :func:`evaluate` averages
over every query of the qrels (a query with no retrieved document scores 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = [
    "average_precision",
    "evaluate",
    "ndcg_at_k",
    "reciprocal_rank",
    "trec_order",
]


def trec_order(scores: Mapping[str, float], depth: int | None = None) -> list[str]:
    """Document ids sorted as trec_eval sorts them: score descending, then id descending."""
    ranked = sorted(scores.items(), key=lambda item: (item[1], item[0]), reverse=True)
    ids = [doc for doc, _ in ranked]
    return ids if depth is None else ids[:depth]


def average_precision(ranking: Sequence[str], relevant: set[str] | frozenset[str]) -> float:
    """Average precision of ``ranking``, divided by the number of ``relevant`` documents.

    Relevant documents that were not retrieved count as misses (precision 0), as in
    trec_eval's ``map``. Returns 0.0 when there is no relevant document.
    """
    if not relevant:
        return 0.0
    hits = 0
    total = 0.0
    for rank, doc in enumerate(ranking, start=1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def reciprocal_rank(ranking: Sequence[str], relevant: set[str] | frozenset[str]) -> float:
    """1 / rank of the first relevant document of ``ranking``; 0.0 if none is retrieved."""
    for rank, doc in enumerate(ranking, start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranking: Sequence[str], relevant: set[str] | frozenset[str], k: int = 10) -> float:
    """Binary-relevance nDCG at ``k`` (gain 1, discount ``1 / log2(rank + 1)``)."""
    dcg = sum(
        1.0 / math.log2(rank + 1)
        for rank, doc in enumerate(ranking[:k], start=1)
        if doc in relevant
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal if ideal else 0.0


def evaluate(
    run: Mapping[str, Mapping[str, float]],
    qrels: Mapping[str, set[str] | frozenset[str]],
    *,
    depth: int = 100,
    k: int = 10,
) -> dict[str, float]:
    """Mean ``map``, ``mrr`` and ``ndcg10`` (nDCG at ``k``) of ``run`` over the queries of ``qrels``.

    Each query's documents are cut to the first ``depth`` in trec_eval order.
    """
    if not qrels:
        return {"map": 0.0, "mrr": 0.0, "ndcg10": 0.0}
    totals = {"map": 0.0, "mrr": 0.0, "ndcg10": 0.0}
    for query, relevant in qrels.items():
        ranking = trec_order(run.get(query, {}), depth)
        totals["map"] += average_precision(ranking, relevant)
        totals["mrr"] += reciprocal_rank(ranking, relevant)
        totals["ndcg10"] += ndcg_at_k(ranking, relevant, k)
    return {name: value / len(qrels) for name, value in totals.items()}
