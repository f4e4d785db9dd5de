import random

import numpy as np

from matching import CandidateDoc, MatchIndex, load_vocabulary
from matching.skills import CvWords, _targets, find_skills_many
from tests.matching.test_matching_index import _synthetic


def _index():
    cvs, _ = _synthetic(120)
    cvs.append(CandidateDoc("typos", "Comptabilté publique, Pyhton, gestoin de projets, Excell"))
    index = MatchIndex.build(cvs[:80])
    index.add(cvs[80:])
    return index, cvs


def _words_of(skills, vocabulary=None):
    """The words and the keys of the labels of ``skills``."""
    targets = _targets(tuple(skills), vocabulary or load_vocabulary())
    return (
        {w for t in targets for label in t.labels for w in label},
        {key for t in targets for key in t.keys},
    )


def test_skill_words_find_the_hits_that_every_word_finds():
    """Exact and fuzzy hits (excerpts, matched text, scores) of vocabulary skills are the
    same from a CV's stored skill words as from all its words."""
    index, cvs = _index()
    vocabulary = load_vocabulary()
    rng = random.Random(3)
    labels = [label for skill in vocabulary.skills for label in (skill.fr, skill.en)]
    fuzzy = 0
    for _ in range(40):
        skills = rng.sample(labels, 8)
        stored = index._table.words(range(len(cvs)), [cv.text() for cv in cvs], *_words_of(skills))
        full = [CvWords(cv.text()) for cv in cvs]
        got = find_skills_many(stored, skills, vocabulary)
        assert got == find_skills_many(full, skills, vocabulary)
        fuzzy += sum(0 < hit.score < 1 for hits in got for hit in hits)
    assert fuzzy > 0  # the typos were matched fuzzily


def test_term_spans_give_the_spelling_of_each_stored_term():
    index, cvs = _index()
    rows, spans = index.matrix.rows, index._table.term_spans
    assert spans.shape == (rows.nnz, 2)
    spelled = 0
    for row, cv in enumerate(cvs):
        words = CvWords(cv.text())
        for i in range(rows.indptr[row], rows.indptr[row + 1]):
            start, end = spans[i]
            form = words.form(index.model.features[rows.indices[i]])
            assert (cv.text()[start:end].lower() if start >= 0 else None) == form
            spelled += start >= 0
    assert spelled > rows.nnz // 2


def test_the_table_survives_save_and_load(tmp_path):
    index, cvs = _index()
    index.save(tmp_path / "index.joblib")
    loaded = MatchIndex.load(tmp_path / "index.joblib")
    assert np.array_equal(loaded._table.term_spans, index._table.term_spans)
    words = _words_of(["Python", "Gestion de projet", "Comptabilité publique"])
    texts = [cv.text() for cv in cvs]
    assert [w.positions for w in loaded._table.words(range(len(cvs)), texts, *words)] == [
        w.positions for w in index._table.words(range(len(cvs)), texts, *words)
    ]


def test_stored_exact_hits_are_the_first_windows_of_every_label():
    """Every vocabulary label's stored exact hit in every CV is CvWords.exact's."""
    index, cvs = _index()
    table = index._table
    keys = set(table.label_keys)
    words = {w for key in keys for w in key.split(" ")}
    stored = table.words(range(len(cvs)), [cv.text() for cv in cvs], words, keys)
    found = 0
    for cv, mine in zip(cvs, stored, strict=True):
        full = CvWords(cv.text())
        for key in keys:
            assert mine.exact(key) == full.exact(key), key
            found += mine.exact(key) is not None and " " in key
    assert found > 50  # many labels of several words
