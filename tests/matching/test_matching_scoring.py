import json

import pytest

from matching import (
    EMPTY_CV_REASON,
    NETWORK_WEIGHTS,
    CandidateDoc,
    OfferCriteria,
    Score,
    Weights,
    experience_years,
    job_titles,
    languages,
    offers_for_agent,
    rank_candidates,
    rank_offers,
    score_candidate,
    similar_candidates,
)

OFFER = OfferCriteria(
    "Chargé / Chargée de communication digitale",
    missions="Animer les réseaux sociaux de la Région, rédiger des contenus web.",
    required_skills=("communication digitale", "rédaction web", "gestion de projet"),
    nice_skills=("vidéo",),
    languages=("anglais",),
    min_experience_years=3,
    key="o1",
)
GOOD = CandidateDoc(
    1,
    """Expérience professionnelle
Chargée de communication numérique, Mairie de Rennes
2019 - aujourd'hui
Community manager : réseaux sociaux, rédaction de contenus, montage vidéo.
Conduite de projet web. Anglais courant.""",
    applied_at=2,
)
POOR = CandidateDoc(2, "Comptable, 10 ans d'expérience en comptabilité publique M57.", applied_at=1)


def ranked(candidates, offer=OFFER, **kw):
    return rank_candidates(offer, candidates, reference_year=2026, **kw)


def test_best_candidate_first_with_explanation():
    first, second = ranked([POOR, GOOD])
    assert first.key == 1 and first.rank == 1 and second.rank == 2
    score = first.score
    assert 0 < second.score.value < score.value <= 100
    assert {c.name for c in score.components} == {
        "similarity",
        "required_skills",
        "nice_skills",
        "title",
        "experience",
        "languages",
    }
    assert sum(c.weight for c in score.components) == pytest.approx(1.0, abs=1e-3)
    assert sum(c.points for c in score.components) == pytest.approx(score.value, abs=0.05)
    assert score.missing_skills == ()
    assert all(h.excerpt for h in score.matched_skills)
    assert score.component("experience").value == 1.0
    assert "communication" in [t for t, _ in score.top_terms]


def test_components_not_asked_by_offer_are_dropped():
    offer = OfferCriteria("Développeur Python", missions="Développer des API en Python")
    score = ranked([CandidateDoc(1, "Développeur Python depuis 2018")], offer)[0].score
    names = {c.name for c in score.components}
    assert names == {"similarity", "title"}
    assert sum(c.weight for c in score.components) == pytest.approx(1.0)


def test_missing_candidate_data_counts_zero():
    offer = OfferCriteria(
        "Juriste",
        languages=("allemand",),
        min_experience_years=5,
        required_skills=("droit public",),
    )
    score = ranked([CandidateDoc(1, "Juriste en droit public.")], offer)[0].score
    assert score.component("experience").value == 0.0
    assert score.component("languages").value == 0.0
    assert score.component("required_skills").value == 1.0


def test_empty_or_unreadable_cv_scores_zero_with_reason():
    for candidate in (CandidateDoc(1, "  \n "), CandidateDoc(2, "texte", cv_readable=False)):
        score = score_candidate(OFFER, candidate)
        assert score.value == 0 and score.reason == EMPTY_CV_REASON


def test_json_round_trip():
    score = ranked([GOOD])[0].score
    data = json.loads(json.dumps(score.to_dict()))
    assert data["missing_skills"] == []
    assert Score.from_dict(data) == score


def test_determinism_and_ties_by_application_time_then_key():
    twins = [CandidateDoc(k, GOOD.cv_text, applied_at=at) for k, at in ((5, 3), (4, 1), (3, 1))]
    first = ranked(twins)
    assert [r.key for r in first] == [3, 4, 5]
    assert ranked(list(reversed(twins))) == first


def test_weights_change_the_score():
    heavy = Weights(
        similarity=0, required_skills=1, nice_skills=0, title=0, experience=0, languages=0
    )
    assert ranked([POOR], weights=heavy)[0].score.value == 0
    with pytest.raises(ValueError):
        Weights(similarity=-1)


def test_rank_offers_for_a_cv_and_for_an_agent():
    offers = [
        OfferCriteria("Comptable", required_skills=("comptabilité publique",), key="a"),
        OFFER,
        OfferCriteria("Cuisinier en lycée", key="c"),
    ]
    assert rank_offers(GOOD.cv_text, offers, reference_year=2026)[0].key == "o1"
    mine = rank_offers(
        "Gestionnaire comptable\nDirection des finances",
        offers,
        titles=["Gestionnaire comptable"],
        weights=NETWORK_WEIGHTS,
    )
    assert mine[0].key == "a"
    assert offers_for_agent("Gestionnaire comptable", "Direction des finances", offers) == mine


def test_similar_candidates():
    pool = [GOOD, POOR, CandidateDoc(3, "Community manager, réseaux sociaux et rédaction web.")]
    result = similar_candidates(GOOD, pool)
    assert [k for k, _ in result] == [3, 2]


def test_profile_reading():
    assert experience_years("2015 – 2020 puis 2021 - présent", 2026) == 10
    assert experience_years("5 ans d'expérience") == 5
    assert experience_years("5+ years of experience") == 5
    assert experience_years("depuis 2018", 2026) == 8
    assert experience_years("aucune date") is None
    assert languages("Anglais courant, notions d'espagnol, German") == {"en", "es", "de"}
    assert "Chargée de communication numérique, Mairie de Rennes" in job_titles(GOOD.cv_text)


def test_past_titles_are_quoted_as_the_cv_writes_them():
    """Bullets, ligatures and an unclosed bracket left by a cut date do not turn a title into
    its folded, lower-case search form: the explanation quotes it."""
    cv = (
        "Expérience professionnelle\n"
        "Chef de projet applicatif — Métropole de Lyon (depuis mars 2021)\n"
        "• Pilotage de projets de refonte applicative en méthodes agiles\n"
        "Œnologue (2015 – 2018)\n"
        "▪ Mise en œuvre d'une politique de cybersécurité\n"
    )
    assert job_titles(cv) == (
        "Chef de projet applicatif — Métropole de Lyon",
        "Pilotage de projets de refonte applicative en méthodes agiles",
        "Œnologue",
        "Mise en œuvre d'une politique de cybersécurité",
    )


def test_default_weights_sum_to_one():
    weights = Weights()
    total = sum(getattr(weights, name) for name in weights.__dataclass_fields__)
    assert total == pytest.approx(1.0)


def test_title_component_sees_gendered_forms_of_past_titles():
    offer = OfferCriteria("Directrice / Directeur des finances", missions="Piloter le budget.")
    same = CandidateDoc(1, "Expérience\nDirecteur des finances\n2015 - 2020\nPilotage budgétaire.")
    other = CandidateDoc(2, "Expérience\nJardinier paysagiste\n2015 - 2020\nPilotage budgétaire.")
    scores = {r.key: r.score for r in ranked([same, other], offer)}
    assert scores[1].past_titles == ("Directeur des finances",)
    assert scores[1].component("title").value > 0.8 > scores[2].component("title").value


def test_top_terms_are_words_from_the_cv():
    score = ranked([GOOD])[0].score
    terms = [t for t, _ in score.top_terms]
    assert 0 < len(terms) <= 10
    assert all(term.lower() in GOOD.cv_text.lower() for term in terms)
    assert "rédaction" in terms


def test_offer_without_skills_scores_on_text_and_title_only():
    offer = OfferCriteria("Chargée de communication")
    score = ranked([GOOD], offer)[0].score
    assert score.required_skills == () and score.missing_skills == ()
    assert score.component("required_skills") is None and score.value > 0


def test_inputs_without_any_word_do_not_crash():
    ranking = rank_candidates(OfferCriteria(""), [CandidateDoc(1, ""), CandidateDoc(2, "le la")])
    assert [r.score.value for r in ranking] == [0.0, 0.0]
    assert ranking[0].score.reason == EMPTY_CV_REASON
    assert rank_candidates(OFFER, []) == []
    assert rank_offers("", [OFFER])[0].score.value == 0.0
