import math

import pytest

from matching.metrics import average_precision, evaluate, ndcg_at_k, reciprocal_rank, trec_order


def test_average_precision_counts_unretrieved_relevant():
    # relevant at ranks 1 and 3, and one relevant never retrieved: (1 + 2/3) / 3
    assert average_precision(["a", "x", "b"], {"a", "b", "c"}) == pytest.approx((1 + 2 / 3) / 3)


def test_reciprocal_rank():
    assert reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], {"a"}) == 0.0


def test_ndcg():
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["x", "a", "y"], {"a", "b"}, k=3) == pytest.approx(expected)


def test_trec_tie_break_is_docno_descending():
    assert trec_order({"d1": 1.0, "d3": 1.0, "d2": 2.0}) == ["d2", "d3", "d1"]


def test_evaluate_averages_over_qrels_queries():
    run = {"q1": {"a": 2.0, "b": 1.0}}
    result = evaluate(run, {"q1": {"a"}, "q2": {"z"}})
    assert result["map"] == pytest.approx(0.5) and result["mrr"] == pytest.approx(0.5)
