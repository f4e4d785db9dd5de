import pickle

import numpy as np
import pytest

from matching import (
    CandidateDoc,
    IndexVersionError,
    MatchIndex,
    ModelConfig,
    OfferCriteria,
    TextModel,
)
from matching.index import INDEX_VERSION

CVS = [
    CandidateDoc("a", "Développeur Python Django, API REST, 5 ans d'expérience", applied_at=1),
    CandidateDoc("b", "Comptable public, nomenclature M57, mandatement", applied_at=2),
    CandidateDoc("c", "Chef de projet informatique agile, Scrum", applied_at=3),
]
OFFER = OfferCriteria("Développeur Python", required_skills=("Python",))


def test_top_k_and_rank_subset():
    index = MatchIndex.build(CVS)
    top = index.top_k(OFFER, 2)
    assert [r.key for r in top][0] == "a" and len(top) == 2
    assert [r.key for r in index.rank(OFFER, keys=["b", "c"])] in (["c", "b"], ["b", "c"])


def test_add_without_refit_and_save_load(tmp_path):
    index = MatchIndex.build(CVS)
    vocabulary = dict(index.model.vocabulary)
    index.add(CandidateDoc("d", "Développeuse Python et Flask", applied_at=4))
    assert index.model.vocabulary == vocabulary and len(index) == 4
    with pytest.raises(ValueError):
        index.add(CandidateDoc("d", "again"))
    path = tmp_path / "index.joblib"
    index.save(path)
    loaded = MatchIndex.load(path)
    assert [r.key for r in loaded.top_k(OFFER, 4)] == [r.key for r in index.top_k(OFFER, 4)]
    assert loaded.top_k(OfferCriteria("Développeuse Flask"), 1)[0].key == "d"


def test_load_refuses_other_versions(tmp_path):
    index = MatchIndex.build(CVS)
    path = tmp_path / "index.joblib"
    index.save(path)
    import joblib

    data = joblib.load(path)
    data["version"] = INDEX_VERSION + 1
    joblib.dump(data, path)
    with pytest.raises(IndexVersionError, match="rebuild"):
        MatchIndex.load(path)
    other = tmp_path / "other.pkl"
    other.write_bytes(pickle.dumps({"hello": 1}))
    with pytest.raises(IndexVersionError):
        MatchIndex.load(other)


def test_progress_callback_is_called():
    calls = []
    MatchIndex.build(CVS, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (3, 3) and calls[0][0] == 0


def test_char_part_equals_explicit_char_wb_cosine():
    """The factorised char similarity equals a char_wb TF-IDF computed the plain way."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [c.cv_text for c in CVS] + ["Développeuse Python, projets informatiques"]
    model, matrix = TextModel.fit(texts)
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=model.config.char_ngrams)
    docs = vectorizer.fit_transform([" ".join(model.words(t)) for t in texts])
    for query in texts:  # queries made of known n-grams: same norm on both sides
        char = model.parts(matrix, model.query([(query, 1.0)], char=True)).char
        expected = (docs @ vectorizer.transform([" ".join(model.words(query))]).T).toarray()
        assert np.allclose(char, expected.ravel(), atol=1e-5)


def _explicit_fuzzy(texts, queries, config):
    """The fuzzy cosine computed the plain way: words as unit char_wb TF-IDF vectors (idf
    over the documents), texts as word-TF-IDF-weighted sums of them, cosine of the sums."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    analyzer = TextModel(config).words
    doc_words, query_words = [analyzer(t) for t in texts], [analyzer(q) for q in queries]
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=config.char_ngrams, norm=None)
    char.fit([" ".join(words) for words in doc_words])
    word = TfidfVectorizer(analyzer=lambda words: words, norm=None).fit(doc_words)
    n_docs, vocabulary = len(texts), char.vocabulary_

    def summed(words):
        vector = np.zeros(len(vocabulary) + 1000)
        unseen = {}
        for token in set(words):
            idf = word.idf_[word.vocabulary_[token]] if token in word.vocabulary_ else None
            idf = np.log(1 + n_docs) + 1 if idf is None else idf
            grams = char.build_analyzer()(token)
            shape = np.zeros_like(vector)
            for gram in grams:
                if gram in vocabulary:
                    shape[vocabulary[gram]] += char.idf_[vocabulary[gram]]
                else:  # unseen n-grams count in the norm, as the largest idf
                    col = unseen.setdefault(gram, len(vocabulary) + len(unseen))
                    shape[col] += np.log(1 + n_docs) + 1
            vector += words.count(token) * idf * shape / np.linalg.norm(shape)
        return vector

    docs = normalize(np.array([summed(w) for w in doc_words]))
    return [docs @ normalize(summed(w)[None, :]).ravel() for w in query_words]


def test_fuzzy_part_equals_explicit_soft_cosine():
    texts = [c.cv_text for c in CVS] + ["Développeuse Python, projets informatiques"]
    queries = ["Développeur Pyhton et comptable", "chef de projets agiles", "Zzyzx"]
    model, matrix = TextModel.fit(texts)
    for query, expected in zip(queries, _explicit_fuzzy(texts, queries, model.config), strict=True):
        fuzzy = model.parts(matrix, model.query([(query, 1.0)])).fuzzy
        assert np.allclose(fuzzy, expected, atol=1e-5)
        assert fuzzy.max() <= 1 + 1e-6


def test_typo_in_offer_still_meets_the_cv_through_char_ngrams():
    model, matrix = TextModel.fit([c.cv_text for c in CVS])
    parts = model.parts(matrix, model.query([("Pyhton Djnago", 1.0)], char=True))
    assert parts.word.max() == 0
    assert int(np.argmax(parts.char)) == 0 and int(np.argmax(parts.fuzzy)) == 0


def test_fuzzy_cosine_weighs_words_by_idf_not_by_length():
    """A short rare word shared with a document counts for more than a long common one."""
    texts = [
        "administrateur systemes linux",
        "administrateur reseaux",
        "administrateur bases",
        "administrateur paie",
        "developpeur linux",
    ]
    model, matrix = TextModel.fit(texts, ModelConfig(char_weight=1.0))
    sims = model.similarities(matrix, model.query([("administrateur linux", 1.0)]))
    assert int(np.argmax(sims)) == 0 and sims[4] > sims[1]


def test_model_pickle_keeps_scores_without_its_derived_matrix():
    model, matrix = TextModel.fit([c.cv_text for c in CVS])
    before = model.similarities(matrix, model.query([("Développeur Python", 1.0)]))
    data = pickle.dumps(model)
    assert b"_shapes" not in data
    loaded = pickle.loads(data)  # noqa: S301 (our own bytes, just written)
    after = loaded.similarities(matrix, loaded.query([("Développeur Python", 1.0)]))
    assert np.array_equal(before, after)


def test_select_keeps_rows_and_ratios_together():
    _, matrix = TextModel.fit([c.cv_text for c in CVS])
    picked = matrix.select([2, 0])
    assert picked.shape == (2, matrix.shape[1])
    assert list(picked.fuzzy_ratio) == [matrix.fuzzy_ratio[2], matrix.fuzzy_ratio[0]]
    assert list(picked.char_ratio) == [matrix.char_ratio[2], matrix.char_ratio[0]]
    assert (picked.rows[0] != matrix.rows[2]).nnz == 0


def test_top_k_is_repeatable_and_agrees_with_rank_candidates():
    from matching import rank_candidates

    index = MatchIndex.build(CVS)
    first = index.top_k(OFFER, 3, reference_year=2026)
    assert index.top_k(OFFER, 3, reference_year=2026) == first  # second call uses the caches
    direct = rank_candidates(OFFER, CVS, index, reference_year=2026)
    assert [(r.key, r.score) for r in direct] == [(r.key, r.score) for r in first]


def test_similar_profiles_in_the_index():
    from matching import similar_candidates

    index = MatchIndex.build([*CVS, CandidateDoc("d", "Développeuse Python, API REST, Django")])
    result = similar_candidates(CVS[0], index=index)
    assert [k for k, _ in result][0] == "d" and "a" not in dict(result)


def _synthetic(n=80):
    import importlib.util
    import random
    from pathlib import Path

    from matching import load_vocabulary

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "ranking_speed.py"
    spec = importlib.util.spec_from_file_location("ranking_speed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = random.Random(7)
    skills = list(load_vocabulary().skills)
    cvs = [
        CandidateDoc(f"cv-{i}", module.synthetic_cv(rng, skills), applied_at=i) for i in range(n)
    ]
    cvs.append(CandidateDoc("empty", ""))
    cvs.append(CandidateDoc("msg", "", message="Développeur Python depuis 2019, anglais"))
    return cvs, module.synthetic_offers(rng, skills, 6)


@pytest.mark.parametrize("reference_year", [2026, 2020, None])
def test_fast_path_equals_rank_candidates(reference_year, tmp_path):
    """Everything read once per CV at index time gives the same scores and explanations as
    reading the CVs again for each offer (rank_candidates)."""
    from matching import rank_candidates

    cvs, offers = _synthetic()
    index = MatchIndex.build(cvs[:50])
    index.add(cvs[50:])
    index.save(tmp_path / "index.joblib")
    loaded = MatchIndex.load(tmp_path / "index.joblib")
    for offer in offers + [OFFER]:
        direct = {
            r.key: r.score
            for r in rank_candidates(offer, cvs, index, reference_year=reference_year)
        }
        for ranked in (index, loaded):
            fast = ranked.top_k(offer, 20, reference_year=reference_year)
            everyone = ranked.rank(offer, reference_year=reference_year)
            assert len(fast) == 20 and len(everyone) == len(cvs)
            for r in fast + everyone:
                _same_score(r.score, direct[r.key])


def _same_score(got, want):
    assert abs(got.value - want.value) <= 1e-6
    assert len(got.components) == len(want.components)
    for mine, theirs in zip(got.components, want.components, strict=True):
        assert mine.name == theirs.name and abs(mine.value - theirs.value) <= 1e-6
    # Rows built by fit and by transform differ in the last float32 bits: near-equal term
    # weights may come in another order, so a tie for the last place of the list may show
    # another term; the terms that matter are the same.
    a, b = got.to_dict(), want.to_dict()
    terms_a = {t["term"]: t["weight"] for t in a.pop("top_terms")}
    terms_b = {t["term"]: t["weight"] for t in b.pop("top_terms")}
    assert a == b
    last = min([*terms_a.values(), *terms_b.values()], default=0.0)
    for term in set(terms_a) ^ set(terms_b):
        weight = terms_a.get(term, terms_b.get(term))
        assert weight < 0.001 or abs(weight - last) <= 1e-4
    assert all(abs(w - terms_b[t]) <= 1e-4 for t, w in terms_a.items() if t in terms_b)


def test_load_refuses_a_version_1_file(tmp_path):
    index = MatchIndex.build(CVS)
    path = tmp_path / "index.joblib"
    index.save(path)
    import joblib

    data = joblib.load(path)
    data["version"] = 1
    del data["profiles"]
    joblib.dump(data, path)
    with pytest.raises(
        IndexVersionError, match=r"index version 1, this code reads version .*reindex"
    ):
        MatchIndex.load(path)


def _reference_top_k(index, offer, k, reference_year, keys=None):
    """What ``top_k`` must return, computed the straightforward way: every similarity by
    row-wise products, the ``k`` most similar rows (ties to the earlier row), each of them
    scored by reading its CV again (no stored profiles, words or titles)."""
    from matching.scoring import _order_key, score_rows

    model, matrix = index.model, index.matrix
    query = model.query(offer.fields())
    sims = model.similarities(matrix, query)
    allowed = range(len(index)) if keys is None else [index._rows[key] for key in keys]
    rows = sorted(allowed, key=lambda row: (-sims[row], row))[:k]
    chosen = [index.candidates[row] for row in rows]
    scores = score_rows(offer, chosen, model, matrix, rows, reference_year=reference_year)
    order = sorted(
        range(len(rows)), key=lambda i: _order_key(scores[i], chosen[i].applied_at, chosen[i].key)
    )
    return [(chosen[i].key, rank, scores[i]) for rank, i in enumerate(order, start=1)]


EDGE_CVS = [
    CandidateDoc(
        "typo", "Devloppeur Pyhton, Djnago et Postgre SQL ; gestion de projte", applied_at=0
    ),
    CandidateDoc("short", "Compétences : SQL, C#, .NET, Node.js, C++ et R", applied_at=0),
    CandidateDoc(
        "far", "Langues : breton, occitan. Notions de gestion. Projet associatif.", applied_at=0
    ),
]
EDGE_OFFERS = [
    OfferCriteria(
        "Développeur .NET",
        required_skills=("C#", ".NET", "SQL"),
        nice_skills=("Node.js", "gestion de projet agile"),
        languages=("breton", "klingon", "anglais"),
        min_experience_years=3,
    ),
    OfferCriteria(
        "Chargée de projet",
        required_skills=("Pilotage de projets transverses", "Tableaux de bord Excel"),
        nice_skills=("Python",),
        languages=("occitan",),
    ),
    OfferCriteria("", missions="Accueil des usagers", required_skills=("Accueil",)),
]


@pytest.mark.parametrize("reference_year", [2026, None])
def test_top_k_equals_the_straightforward_ranking(reference_year, tmp_path):
    """The fast ranking gives the same candidates, order, scores and explanations, to the
    last bit, as scoring the most similar CVs from their texts."""
    cvs, offers = _synthetic(300)
    cvs += EDGE_CVS
    index = MatchIndex.build(cvs[:200])
    index.add(cvs[200:])
    index.save(tmp_path / "index.joblib")
    loaded = MatchIndex.load(tmp_path / "index.joblib")
    for offer in offers + EDGE_OFFERS + [OFFER]:
        want = _reference_top_k(index, offer, 40, reference_year)
        plain = index.model.similarities(index.matrix, index.model.query(offer.fields()))
        for ranked in (index, loaded):
            assert np.array_equal(ranked.similarities(offer), plain)
            got = ranked.top_k(offer, 40, reference_year=reference_year)
            assert [(r.key, r.rank, r.score) for r in got] == want
        keys = [c.key for c in cvs[::3]]
        want = _reference_top_k(index, offer, len(keys), reference_year, keys)
        got = loaded.rank(offer, keys=keys, reference_year=reference_year)
        assert [(r.key, r.rank, r.score) for r in got] == want


@pytest.mark.parametrize("scipy_columns", [True, False])
def test_word_and_fuzzy_products_by_column_equal_the_row_products(scipy_columns, monkeypatch):
    from matching.index import _Columns

    if not scipy_columns:
        monkeypatch.setattr("matching.index._add_columns", None)

    cvs, offers = _synthetic(200)
    index = MatchIndex.build(cvs[:150])
    index.add(cvs[150:])  # rows the column copy does not hold yet
    columns = _Columns(index.matrix.rows[:150])
    for offer in offers:
        query = index.model.query(offer.fields())
        assert 0 < np.count_nonzero(query.word) < 100  # the column sums, not the fallback
        assert 0 < np.count_nonzero(query.fuzzy) < query.fuzzy.size // 2
        for vector in (query.word, query.fuzzy):
            assert np.array_equal(
                columns.product(index.matrix.rows, vector), index.matrix.rows @ vector
            )


def test_the_fuzzy_cutoff_keeps_the_words_that_look_like_the_query():
    model, _ = TextModel.fit([c.cv_text for c in CVS], ModelConfig(fuzzy_cutoff=0.2))
    everything, _ = TextModel.fit([c.cv_text for c in CVS])
    fields = [("Développeur Python", 1.0)]
    kept, full = model.query(fields).fuzzy, everything.query(fields).fuzzy
    assert 0 < np.count_nonzero(kept) < np.count_nonzero(full)
    assert kept.min() == 0 and kept[kept > 0].min() >= 0.2 * kept.max()
    assert np.array_equal(kept[kept > 0], full[kept > 0])
    assert {str(model.features[i]) for i in np.flatnonzero(kept)} == {"python", "developpeur"}


def test_the_char_part_is_left_out_of_queries_when_the_similarity_does_not_use_it():
    import pickle

    model, matrix = TextModel.fit([c.cv_text for c in CVS])
    assert model.config.fuzzy_share == 1
    fields = [("Développeur Python Django, gestion de projet", 1.0)]
    lean, full = model.query(fields), model.query(fields, char=True)
    assert not lean.char.any() and full.char.any()
    assert np.array_equal(model.similarities(matrix, lean), model.similarities(matrix, full))
    # The words' n-gram vectors are kept between queries, and not pickled.
    again = model.query(fields)
    assert np.array_equal(again.fuzzy, lean.fuzzy)
    copy = pickle.loads(pickle.dumps(model))  # noqa: S301 (our own bytes, just written)
    assert "_token_shapes" not in copy.__dict__
    assert np.array_equal(copy.query(fields).fuzzy, lean.fuzzy)


@pytest.mark.parametrize("size", [0, 5, 40, 1000, 5000])
def test_best_rows_are_the_largest_values_in_a_stable_order(size):
    from matching.index import _best_rows

    rng = np.random.default_rng(size)
    values = rng.integers(0, 30, size).astype(np.float32)  # many ties
    values[::7] = -1.0  # masked rows, as top_k marks the candidates left out
    expected = np.lexsort((np.arange(size), -values))
    for count in (1, 3, 50, 300, size):
        got = _best_rows(values, count)
        assert got.tolist() == expected[:count].tolist()


def test_the_garbage_collector_does_not_walk_the_indexed_candidates(tmp_path):
    """At 100,000 CVs, each of their objects would be looked at by every full collection."""
    import gc

    cvs, _ = _synthetic(60)
    index = MatchIndex.build(cvs)
    index.save(tmp_path / "index.joblib")
    for ranked in (index, MatchIndex.load(tmp_path / "index.joblib")):
        stored = ranked.candidates.tuples + ranked._facts
        assert {type(row) for row in stored} == {tuple}
        for _ in range(3):  # a tuple holding tuples is let go once they are
            gc.collect()
        assert not any(gc.is_tracked(row) for row in stored)
        assert [c.key for c in ranked.candidates] == [c.key for c in cvs]
        assert ranked.candidates[3] == cvs[3] and ranked.candidates[-2:] == cvs[-2:]


def test_ranking_while_another_thread_adds_cvs():
    """A server's threads share one index: rankings run while new CVs are added."""
    import threading

    cvs, offers = _synthetic(240)
    index = MatchIndex.build(cvs[:40])
    errors: list[BaseException] = []
    adding = threading.Event()

    def add():
        adding.set()
        for cv in cvs[40:]:
            index.add(cv)

    def rank():
        adding.wait()
        try:
            for _ in range(30):
                for ranked in index.top_k(offers[0], 10, reference_year=2026):
                    assert ranked.key in index
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=add)] + [threading.Thread(target=rank) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(index) == len(cvs)
