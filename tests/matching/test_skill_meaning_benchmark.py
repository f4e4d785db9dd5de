"""The benchmark behind "no skill is credited by meaning" runs, with the real model."""

from __future__ import annotations

import numpy as np

from tests.matching.test_matching_benchmarks import load


def test_skill_meaning_runs_on_one_cv():
    module = load("skill_meaning")
    assert module.passages("Compétences\n• gestion de projet\nSQL. Python et Django") == [
        "gestion de projet",
        "Python et Django",
    ]
    result = module.measure(limit=1)
    assert result["cvs"] == 1 and result["passages"] > 10 and result["embed_passage_ms"] > 0
    rows = result["thresholds"]
    assert rows["0.84"]["not_named_above"] >= rows["0.90"]["not_named_above"]
    assert 0 < result["named_median"] <= 1 and result["best_not_named"]


def test_corrected_scores_are_reported_for_every_embedding_and_scope():
    module = load("skill_meaning")
    result = module.measure(limit=1, shown=3)
    methods = result["methods"]
    assert len(methods) == 4 * 3 * 2  # scores × embeddings × (offers' skills, vocabulary)
    row = methods["margin query/passage vocabulary"]
    assert row["named"] > 0 and row["not_named"] > row["named"]
    cells = list(row["thresholds"].values())
    assert cells[0]["not_named_above"] >= cells[-1]["not_named_above"]
    assert len(row["best_not_named"]) == 3
    # Only the passage's nearest skill has a nearest score: no pair of another is listed.
    assert all(p["score"] >= 0 for p in methods["nearest query/query offers"]["best_not_named"])
    assert 0 < result["passages_naming_a_skill"] <= result["passages"]


def test_ratio_margin_lowers_a_hub():
    module = load("skill_meaning")
    # Skill 0 is close to every passage (a hub); skill 1 to passage 1 only.
    scores = np.array([[0.90, 0.90, 0.90], [0.70, 0.90, 0.70]], dtype=np.float32)
    margin = module.ratio_margin(scores, k=2)
    assert margin[1, 1] > margin[0, 1]
    gap = module.nearest_gap(scores)
    assert gap[0, 0] > 0 and gap[1, 0] == -1
