"""Skill evidence as recruiters read it, in English and in French: a skill is credited only
where the CV names it, the excerpt marks the words that do, the skill filter of the shortlist
trusts that, and what meaning matched (a past title) says so."""

from __future__ import annotations

import html
import re

from referral import worker
from referral.models import Role
from referral.offers import scoring
from tests.referral.test_scoring import _apply
from tests.web.test_shortlist_page import rows

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}
# Seeded CV 16 once got "droit public" from these lines (words taken across sections).
LEUVEN = (
    "Procurement lawyer\nEducation\nLLM European Law, KU Leuven\nSkills\n"
    "public procurement\nExcel\nfinancial analysis"
)
LAWYER = (
    "Juriste en droit public\nExpérience\n2016 - 2024 Juriste, Région Grand Est\n"
    "Conseil en droit public aux services ; rédaction des marchés publics."
)


def _page(client, url, headers):
    return html.unescape(client.get(url, headers=headers).get_data(as_text=True))


def _scored(app, session, make_offer):
    settings = app.extensions["relais"].settings
    offer = make_offer(
        title="Juriste marchés publics",
        description="Conseil juridique aux services acheteurs.",
        required_skills=["droit public", "marchés publics"],
    )
    leuven = _apply(session, offer, LEUVEN, 1)
    lawyer = _apply(session, offer, LAWYER, 2)
    for application in (leuven, lawyer):
        scoring.score_application(session, settings, application)
    session.commit()
    return settings, offer, leuven, lawyer


def test_a_skill_whose_words_sit_in_two_sections_is_missing_not_found(
    app, session, client, auth, make_user, make_offer
):
    _settings, offer, leuven, lawyer = _scored(app, session, make_offer)
    matched = {m["skill"]: m for m in leuven.score_explanation["required_matched"]}
    assert set(matched) == {"marchés publics"}
    assert matched["marchés publics"]["matched"] == "public procurement"
    assert leuven.score_explanation["required_missing"] == ["droit public"]

    auth.login(make_user(Role.RECRUITER))
    english = _page(client, f"/recruiter/candidates/{leuven.candidate_id}", EN)
    assert "<mark>public procurement</mark>" in english
    assert "A skill counts only where the CV names it" in english
    missing = english[english.index("Required skills missing") :]
    assert '<span class="tag missing">droit public</span>' in missing
    french = _page(client, f"/recruiter/candidates/{leuven.candidate_id}", FR)
    assert "Compétences requises trouvées dans le CV" in french
    assert "Une compétence ne compte que là où le CV la nomme" in french
    assert "<mark>public procurement</mark>" in french

    # The filter of the shortlist trusts the evidence: only the CV that names the skill.
    url = f"/recruiter/offers/{offer.id}/shortlist"
    assert rows(_page(client, url + "?skill=droit+public", EN)) == ["C2 X"]
    assert sorted(rows(_page(client, url + "?skill=marchés+publics", FR))) == ["C1 X", "C2 X"]
    both = _page(client, url, EN)
    assert "<mark>droit public</mark>" in both


def test_a_title_matched_by_meaning_says_so_on_the_shortlist_in_both_languages(
    app, session, client, auth, make_user, make_offer
):
    settings = app.extensions["relais"].settings
    offer = make_offer(
        title="Agent de propreté urbaine",
        description="Nettoiement des rues et des espaces publics.",
        required_skills=["entretien des espaces verts"],
    )
    application = _apply(
        session,
        offer,
        "Street sweeper\nExperience\n2015 - 2024 Street sweeper, City of Leeds\n"
        "Cleaning streets and squares, litter picking.",
        1,
    )
    scoring.score_application(session, settings, application)
    session.commit()
    worker.semantic_tick(session, settings)
    session.commit()
    title, cosine = application.score_explanation["title_by_meaning"]
    assert "Street sweeper" in title and 0.8 < cosine <= 1

    auth.login(make_user(Role.RECRUITER))
    url = f"/recruiter/offers/{offer.id}/shortlist"
    english = _page(client, url, EN)
    assert (
        f"Title matched by meaning: “{title}” ≈ “Agent de propreté urbaine” ({cosine:.2f})"
        in english
    )
    french = _page(client, url, FR)
    assert (
        f"Intitulé rapproché par le sens : « {title} » ≈ « Agent de propreté urbaine » "
        f"({cosine:.2f})" in french
    )
    # Never as a skill found in the CV: the offer's skill is not named, so it is missing.
    assert application.score_explanation["required_matched"] == []
    assert re.search(r'class="tag missing">.*entretien des espaces verts</span>', english)
