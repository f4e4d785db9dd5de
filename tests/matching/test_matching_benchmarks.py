import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ranking_speed_runs_small():
    result = load("ranking_speed").main(["--n", "300", "--k", "5", "--json"])
    assert result["n"] == 300 and result["rank_p50_ms"] > 0 and result["floor_ms"] >= 0


@pytest.mark.skipif(not (DATA / "melo-fr").exists(), reason="benchmark data not available")
def test_matching_quality_runs_on_a_subset():
    module = load("matching_quality")
    # Lexical only here: the semantic run embeds the 15,217 labels (minutes); it is measured
    # by the benchmark itself, and the fusion is tested in test_matching_embeddings.py.
    melo = module.melo(DATA, limit=30)
    assert set(melo) == {"char_tfidf", "word_tfidf", "bm25", "relais_lexical", "relais"}
    assert all(0 <= m["map"] <= 1 for m in melo.values())
    assert melo["relais"]["map"] > 0.3


@pytest.mark.skipif(not (DATA / "resumes").exists(), reason="benchmark data not available")
def test_resumes_quality_runs_on_a_subset():
    result = load("matching_quality").resumes(DATA, limit=40)
    assert set(result) == {"tfidf", "bm25", "relais"}
    assert all(0 <= m["ndcg10"] <= 1 for m in result.values())
