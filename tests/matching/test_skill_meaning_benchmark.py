"""The benchmark behind "no skill is credited by meaning" runs, with the real model."""

from __future__ import annotations

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
