"""Applications scored with the organisation's index: on arrival, on new criteria, on reindex."""

from __future__ import annotations

from referral.models import Application, Candidate, CVFile, Role, utcnow
from referral.offers import lifecycle as offers
from referral.offers import match_index, scoring

PYTHON_CV = (
    "Développeuse Python\nExpérience\n2016 - 2024 Développeuse Python, Région Sud\n"
    "Python, Django, PostgreSQL, gestion de projet, anglais courant."
)
NURSE_CV = "Infirmière\nExpérience\n2012 - 2024 Infirmière en EHPAD\nSoins, accompagnement."


def _apply(session, offer, text, n, status="ok"):
    candidate = Candidate(email=f"c{n}@mail.example", first_name=f"C{n}", last_name="X")
    session.add(candidate)
    session.flush()
    cv = CVFile(
        candidate_id=candidate.id,
        stored_name=f"cv-{n}",
        original_name="cv.txt",
        mime_type="text/plain",
        size=len(text),
        sha256="0" * 64,
        text=text,
        text_status=status,
    )
    session.add(cv)
    session.flush()
    application = Application(candidate_id=candidate.id, offer_id=offer.id, cv_file_id=cv.id)
    session.add(application)
    session.flush()
    return application


def test_scored_on_arrival_with_an_explanation_and_the_index_is_kept(app, session, make_offer):
    settings = app.extensions["relais"].settings
    offer = make_offer(
        title="Développeur Python",
        description="Applications web en Python.",
        required_skills=["Python", "Django"],
    )
    good = _apply(session, offer, PYTHON_CV, 1)
    scoring.score_application(session, settings, good)
    nurse = _apply(session, offer, NURSE_CV, 2)
    scoring.score_application(session, settings, nurse)
    assert good.score > nurse.score
    assert {m["skill"] for m in good.score_explanation["required_matched"]} == {"Python", "Django"}
    assert nurse.score_explanation["required_missing"] == ["Python", "Django"]
    assert good.score_explanation["top_terms"]
    # The index is saved in the instance folder and extended with each new CV.
    index = scoring.load_index(session, settings)
    assert match_index.index_path(settings).exists()
    assert good.cv_file_id in index and nurse.cv_file_id in index


def test_the_organisations_weights_make_the_score(app, session, make_offer):
    """RELAIS_SCORE_WEIGHTS: here only the required skills count."""
    import dataclasses

    only_skills = "similarity=0,required_skills=1,nice_skills=0,title=0,experience=0,languages=0"
    settings = dataclasses.replace(app.extensions["relais"].settings, score_weights=only_skills)
    offer = make_offer(title="Développeur Python", required_skills=["Python", "Kubernetes"])
    application = _apply(session, offer, PYTHON_CV, 6)
    scoring.score_application(session, settings, application)
    assert application.score == 50.0  # one of the two required skills
    components = application.score_explanation["components"]
    assert [(c["name"], c["weight"]) for c in components] == [("required_skills", 1.0)]
    assert scoring.rescore_offer(session, settings, offer) == 1 and application.score == 50.0


def test_an_unreadable_cv_scores_zero_with_its_reason(app, session, make_offer):
    settings = app.extensions["relais"].settings
    offer = make_offer(title="Développeur Python", required_skills=["Python"])
    scan = _apply(session, offer, "", 3, status="no_text")
    scoring.score_application(session, settings, scan)
    assert scan.score == 0
    assert scan.score_explanation["reason"] == "no text could be read from the CV"


def test_new_criteria_rescore_the_offers_applications(app, session, make_offer):
    settings = app.extensions["relais"].settings
    offer = make_offer(title="Développeur Python", required_skills=["Python"])
    python, nurse = _apply(session, offer, PYTHON_CV, 4), _apply(session, offer, NURSE_CV, 5)
    assert scoring.rescore_offer(session, settings, offer) == 2
    assert python.score > nurse.score
    offer.title, offer.required_skills = "Infirmier en EHPAD", ["soins infirmiers"]
    offer.description = "Soins et accompagnement des résidents en EHPAD."
    scoring.rescore_offer(session, settings, offer, utcnow())
    assert nurse.score > python.score


def test_reindex_refits_and_rescores_everything_deterministically(app, session, make_offer):
    settings = app.extensions["relais"].settings
    offer = make_offer(title="Développeur Python", required_skills=["Python"])
    applications = [_apply(session, offer, PYTHON_CV, 6), _apply(session, offer, NURSE_CV, 7)]
    calls = []
    cvs, scored = scoring.reindex(session, settings, lambda done, total: calls.append(total))
    assert (cvs, scored) == (2, 2) and calls
    first = [a.score for a in applications]
    scoring.reindex(session, settings)
    assert [a.score for a in applications] == first


def test_offers_for_an_agents_network(app, session, make_offer, make_user, make_direction):
    settings = app.extensions["relais"].settings
    numerique = make_direction(name="Direction du numérique")
    make_offer(title="Développeur Python", direction=numerique, required_skills=["Python"])
    make_offer(title="Agent d'entretien des lycées", required_skills=["entretien"])
    agent = make_user(job_title="Développeuse web", direction_id=numerique.id)
    fits = scoring.offers_for_agent(session, agent, settings)
    assert fits and fits[0][0].title == "Développeur Python"


def test_the_agent_home_shows_offers_for_their_network(
    client, auth, make_offer, make_user, make_direction
):
    numerique = make_direction(name="Direction du numérique")
    make_offer(title="Développeur Python", direction=numerique, required_skills=["Python"])
    agent = make_user(job_title="Développeuse web", direction_id=numerique.id)
    auth.login(agent)
    page = client.get("/agent/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Des offres pour votre réseau" in page
    network = page.split("Des offres pour votre réseau")[1].split("Toutes les offres ouvertes")[0]
    assert "Développeur Python" in network


def test_editing_an_offers_criteria_rescores_its_applications(
    app, client, auth, session, make_offer, make_user
):
    recruiter = make_user(Role.RECRUITER)
    offer = make_offer(title="Développeur Python", required_skills=["Python"])
    python, nurse = _apply(session, offer, PYTHON_CV, 8), _apply(session, offer, NURSE_CV, 9)
    scoring.rescore_offer(session, app.extensions["relais"].settings, offer)
    session.commit()
    assert python.score > nurse.score
    auth.login(recruiter)
    form = client.get(f"/manager/offers/{offer.id}/edit")
    assert form.status_code == 200
    updated = offers.update_offer(
        session,
        offer,
        recruiter,
        {"title": "Infirmier en EHPAD", "required_skills": ["soins infirmiers"]},
        settings=app.extensions["relais"].settings,
    )
    session.commit()
    assert updated.title == "Infirmier en EHPAD"
    session.refresh(python)
    session.refresh(nurse)
    assert nurse.score > python.score


def test_a_new_cv_is_an_addition_beside_the_index_file_until_they_are_folded_in(
    app, session, make_offer, monkeypatch
):
    settings = app.extensions["relais"].settings
    offer = make_offer(title="Développeur Python", required_skills=["Python"])
    first = _apply(session, offer, PYTHON_CV, 1)
    scoring.score_application(session, settings, first)  # builds the index file
    path = match_index.index_path(settings)
    before = path.stat().st_mtime_ns
    added = [_apply(session, offer, NURSE_CV + f" {n}", n) for n in (2, 3)]
    for application in added:
        scoring.score_application(session, settings, application)
    session.commit()
    # The file is not rewritten; each CV waits as a small file of its own.
    assert path.stat().st_mtime_ns == before
    additions = sorted(p.name for p in match_index._addition_files(path))
    assert additions == [f"{a.cv_file_id:012d}.joblib" for a in added]
    # Another process (an empty cache) reads the file and the additions.
    match_index._cache.clear()
    fresh = scoring.load_index(session, settings)
    assert all(a.cv_file_id in fresh for a in [first, *added])
    assert len(fresh) == 3
    # Past COMPACT_AFTER additions, they are folded into the file.
    monkeypatch.setattr(match_index, "COMPACT_AFTER", 2)
    last = _apply(session, offer, PYTHON_CV + " Flask", 4)
    scoring.score_application(session, settings, last)
    assert path.stat().st_mtime_ns != before
    assert match_index._addition_files(path) == []
    match_index._cache.clear()
    assert len(scoring.load_index(session, settings)) == 4


def test_an_erased_cvs_addition_does_not_come_back_with_a_rebuild(app, session, make_offer):
    settings = app.extensions["relais"].settings
    offer = make_offer(title="Développeur Python", required_skills=["Python"])
    kept = _apply(session, offer, PYTHON_CV, 1)
    scoring.score_application(session, settings, kept)
    gone = _apply(session, offer, NURSE_CV, 2)
    scoring.score_application(session, settings, gone)
    session.commit()
    cv_id = gone.cv_file_id
    gone.cv_file_id = None
    session.delete(session.get(CVFile, cv_id))
    session.commit()
    scoring.build_index(session, settings)
    assert match_index._addition_files(match_index.index_path(settings)) == []
    match_index._cache.clear()
    assert cv_id not in scoring.load_index(session, settings)
