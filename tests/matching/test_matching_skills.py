import json

import pytest

from matching.skills import DEFAULT_SKILLS_PATH, find_skills, load_vocabulary

CV = """Expérience : chef de projets informatiques (2015 - 2020).
Développement en Pyhton et JavaScript ; rédaction des dossiers pour les marchés publics.
Management of projects and teams. Excel avancé."""


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary()


def test_seed_file_shape():
    entries = json.loads(DEFAULT_SKILLS_PATH.read_text(encoding="utf-8"))
    assert 150 <= len(entries) <= 250
    assert len({e["id"] for e in entries}) == len(entries)
    for entry in entries:
        assert set(entry) == {"id", "fr", "en", "aliases"}
        assert isinstance(entry["aliases"], list)


def test_resolve_aliases_in_both_languages(vocab):
    assert vocab.resolve("JS").id == "javascript"
    assert vocab.resolve("conduite de projet").id == "project-management"
    assert vocab.resolve("project management").id == "project-management"
    assert vocab.resolve("Marchés publics").id == "public-procurement"
    assert vocab.resolve("basket weaving") is None


def test_load_from_any_path(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps([{"id": "x", "fr": "soudure", "en": "welding", "aliases": []}]))
    vocab = load_vocabulary(path)
    assert [s.id for s in vocab.skills] == ["x"]
    assert find_skills("Welding and painting", ["soudure"], vocab)[0].found


def test_typo_is_found_with_excerpt(vocab):
    hit = find_skills(CV, ["Python"], vocab)[0]
    assert hit.found and hit.matched == "Pyhton" and 0.8 <= hit.score < 1
    assert "Pyhton" in hit.excerpt and len(hit.excerpt) < 200


def test_alias_plural_and_word_order(vocab):
    hits = {
        h.skill: h for h in find_skills(CV, ["JS", "gestion de projet", "marché public"], vocab)
    }
    assert hits["JS"].found and hits["JS"].matched == "JavaScript"
    assert hits["gestion de projet"].found  # "chef de projets" (alias, plural)
    assert hits["marché public"].matched == "marchés publics"
    reordered = find_skills("Je maîtrise la gestion budgétaire", ["budgétaire gestion"])[0]
    assert reordered.found


def test_missing_skills_are_reported_not_found(vocab):
    hits = find_skills(CV, ["Java", "comptabilité publique", "soudure"], vocab)
    assert [h.found for h in hits] == [False, False, False]
    assert all(h.excerpt == "" and h.score == 0 for h in hits)


def test_short_words_need_an_exact_match():
    assert not find_skills("Expert en Jaav", ["Java"])[0].found


def test_programming_language_names_with_symbols():
    hits = find_skills("Expert ASP.NET, Node.JS, C# et C++", [".NET", "Node.js", "C#", "C++", "C"])
    assert [h.found for h in hits] == [True, True, True, True, False]
    assert hits[0].matched == "ASP.NET"


def test_suggestions_for_offer_forms(vocab):
    assert vocab.suggest("gestion de proj")[0].id == "project-management"
    assert vocab.suggest("marchés")[0].id == "public-procurement"
    assert vocab.suggest("   ") == []


def test_words_picked_across_lines_are_not_a_skill(vocab):
    # The words of "public law" sit in two sections: the CV never names the skill.
    cv = "Education\nLLM European Law, KU Leuven\nSkills\npublic procurement\nExcel"
    hits = find_skills(cv, ["droit public", "marchés publics"], vocab)
    assert not hits[0].found
    assert hits[1].found and hits[1].matched == "public procurement"
    # Nor across a bullet, a sentence's end or a dash between two items.
    assert not find_skills("• data\n• science", ["data science"])[0].found
    assert not find_skills("Big data. Science po", ["data science"])[0].found
    assert not find_skills("Analyste data — science po", ["data science"])[0].found


def test_a_long_line_wrapped_by_a_pdf_is_still_one_passage(vocab):
    cv = (
        "Agent  de  maintenance  des  bâtiments  avec  6  ans  d'expérience,  motivé  par  le  gestion\n"
        "budgétaire régionale.\nCompétences\nsoudure"
    )
    hit = find_skills(cv, ["gestion budgétaire"], vocab)[0]
    assert hit.found and hit.matched == "gestion\nbudgétaire"
    # A short line followed by a lower-case one is a list, not a wrapped sentence.
    assert not find_skills("Skills\ndata\nscience\n", ["data science"])[0].found


def test_a_near_spelling_that_is_another_word_is_not_a_skill(vocab):
    # Each of these once credited the CV with a skill it does not name.
    assert not find_skills("Enzo CARPENTIER", ["menuiserie"], vocab)[0].found
    assert not find_skills("Rédaction de communiqués", ["React"], vocab)[0].found
    assert not find_skills("MSc, University of Bristol", ["égalité et diversité"], vocab)[0].found
    assert not find_skills("Tableaux de bord", ["Excel"], vocab)[0].found
    # A transposed pair of letters and a British spelling are still the word.
    assert find_skills("Organization of events", ["organisation"])[0].found
    assert find_skills("Expert Pyhton", ["Python"])[0].found


def test_one_word_of_the_cv_stands_for_one_word_of_the_label():
    # "formation" cannot be both "formation" and "formateur" of one label.
    assert not find_skills("Formation : BTS", ["formation formateur"])[0].found
