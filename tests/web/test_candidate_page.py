"""The candidate page, CV download, notes, moves, merge, talent pool; and who may open them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from referral.models import (
    AuditEvent,
    Candidate,
    CandidateNote,
    DuplicateFlag,
    Role,
    StatusChange,
    utcnow,
)

pytest_plugins = ["tests.shortlist_fixtures"]


@pytest.fixture
def recruiter(make_user, auth):
    user = make_user(Role.RECRUITER, locale="en")
    auth.login(user)
    return user


def test_the_candidate_page_shows_identity_applications_history_cv_and_attribution(
    client, recruiter, make_offer, make_application, make_candidate, make_user, session
):
    agent = make_user(first_name="Aline", last_name="Partage")
    candidate = make_candidate("Élise", "Fournier", city="Lyon", phone="0601020304")
    offer = make_offer(title="Chef de projet SI")
    application = make_application(offer, candidate, score=77, agent=agent, matched=["python"])
    session.add(
        StatusChange(
            application_id=application.id,
            from_status="new",
            to_status="screening",
            by_user_id=recruiter.id,
            at=utcnow(),
        )
    )
    session.commit()
    html = client.get(f"/recruiter/candidates/{candidate.id}").get_data(as_text=True)
    assert "<h1>Élise Fournier</h1>" in html
    assert candidate.email in html and "0601020304" in html and "Lyon" in html
    assert "Chef de projet SI" in html and "Aline Partage" in html
    assert "Last share link visited: Aline Partage" in html  # the attribution reason
    assert "Status history" in html and recruiter.full_name in html
    assert "Gestion de projet agile" in html  # the extracted CV text
    assert f"/recruiter/cv/{candidate.cv_files[0].id}" in html
    assert '<details class="explanation">' in html


def test_a_cv_without_text_says_so(client, recruiter, make_offer, make_application, make_candidate):
    candidate = make_candidate(cv_text="", text_status="no_text")
    make_application(make_offer(), candidate)
    html = client.get(f"/recruiter/candidates/{candidate.id}").get_data(as_text=True)
    assert "No text could be read from this file" in html


def test_the_original_cv_downloads_as_an_attachment(
    client, recruiter, make_offer, make_application, make_candidate
):
    candidate = make_candidate(
        file_bytes=b"%PDF-1.4 the real cv",
        original_name="CV Élise.pdf",
        mime_type="application/pdf",
    )
    make_application(make_offer(), candidate)
    response = client.get(f"/recruiter/cv/{candidate.cv_files[0].id}")
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 the real cv"
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "CV%20%C3%89lise.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_cv_missing_on_disk_is_a_404(
    client, recruiter, make_offer, make_application, make_candidate
):
    candidate = make_candidate()  # no file written
    make_application(make_offer(), candidate)
    assert client.get(f"/recruiter/cv/{candidate.cv_files[0].id}").status_code == 404


def test_an_agent_opens_no_shortlist_candidate_cv_or_export_even_guessing_urls(
    client, auth, make_user, make_offer, make_application, make_candidate
):
    candidate = make_candidate(file_bytes=b"%PDF-1.4 secret")
    offer = make_offer()
    application = make_application(offer, candidate)
    auth.login(make_user())  # an agent
    for url in (
        f"/recruiter/offers/{offer.id}/shortlist",
        f"/recruiter/offers/{offer.id}/shortlist.csv",
        f"/recruiter/offers/{offer.id}/shortlist.xlsx",
        f"/recruiter/offers/{offer.id}/talent-pool",
        f"/recruiter/candidates/{candidate.id}",
        f"/recruiter/candidates/{candidate.id}/offers",
        f"/recruiter/cv/{candidate.cv_files[0].id}",
        "/recruiter/",
    ):
        assert client.get(url).status_code == 403, url
    for url, data in (
        (
            f"/recruiter/applications/{application.id}/move",
            {f"a{application.id}-to_status": "hired"},
        ),
        (f"/recruiter/offers/{offer.id}/shortlist/move", {"application_ids": [application.id]}),
        (f"/recruiter/candidates/{candidate.id}/notes", {"body": "x"}),
        (f"/recruiter/candidates/{candidate.id}/merge", {"other_id": 1, "keep": "this"}),
    ):
        assert client.post(url, data=data).status_code == 403, url
    assert application.status == "new"


def test_a_manager_reads_and_acts_on_their_own_offers_only(
    client, auth, make_user, make_offer, make_application, make_candidate, session
):
    manager = make_user(Role.MANAGER, locale="en")
    own_offer = make_offer(hiring_manager=manager, title="Mon offre")
    other_offer = make_offer(title="Offre voisine")
    mine = make_candidate("Mina", "Mienne", file_bytes=b"%PDF mine")
    theirs = make_candidate("Theo", "Autre", file_bytes=b"%PDF theirs")
    both = make_candidate("Bea", "Deux")
    own_app = make_application(own_offer, mine, score=60)
    other_app = make_application(other_offer, theirs, score=60)
    make_application(own_offer, both)
    make_application(other_offer, both)
    session.add(
        CandidateNote(
            candidate_id=both.id, application_id=None, author_id=None, body="Avis RH confidentiel"
        )
    )
    session.commit()
    auth.login(manager)

    assert client.get(f"/recruiter/offers/{own_offer.id}/shortlist").status_code == 200
    assert client.get(f"/recruiter/offers/{own_offer.id}/shortlist.csv").status_code == 200
    assert client.get(f"/recruiter/candidates/{mine.id}").status_code == 200
    assert client.get(f"/recruiter/cv/{mine.cv_files[0].id}").status_code == 200
    for url in (
        f"/recruiter/offers/{other_offer.id}/shortlist",
        f"/recruiter/offers/{other_offer.id}/shortlist.xlsx",
        f"/recruiter/candidates/{theirs.id}",
        f"/recruiter/cv/{theirs.cv_files[0].id}",
        f"/recruiter/offers/{own_offer.id}/talent-pool",
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(
            f"/recruiter/applications/{other_app.id}/move",
            data={f"a{other_app.id}-to_status": "screening"},
        ).status_code
        == 403
    )
    # A candidate who applied to both: only the application to the manager's offer, no loose note.
    html = client.get(f"/recruiter/candidates/{both.id}").get_data(as_text=True)
    assert "Mon offre" in html and "Offre voisine" not in html
    assert "Avis RH confidentiel" not in html and "Possible duplicates" not in html
    # Home: the manager's offers only.
    home = client.get("/recruiter/").get_data(as_text=True)
    assert "Mon offre" in home and "Offre voisine" not in home

    # Moves up to interview (the default setting), not beyond.
    url = f"/recruiter/applications/{own_app.id}/move"
    client.post(url, data={f"a{own_app.id}-to_status": "interview"})
    session.refresh(own_app)
    assert own_app.status == "interview"
    response = client.post(url, data={f"a{own_app.id}-to_status": "offer"}, follow_redirects=True)
    assert "up to the stage “Interview” only" in response.get_data(as_text=True)
    session.refresh(own_app)
    assert own_app.status == "interview"


def test_a_manager_may_go_up_to_offer_when_the_setting_says_so(
    app_config, engine, make_user, make_offer, make_application
):
    from web import create_app

    app_config["RELAIS_MANAGER_MAX_STAGE"] = "offer"
    other_app = create_app(app_config)
    manager = make_user(Role.MANAGER)
    application = make_application(make_offer(hiring_manager=manager), status="interview")
    client = other_app.test_client()
    client.post("/login", data={"email": manager.email, "password": "correct horse battery"})
    client.post(
        f"/recruiter/applications/{application.id}/move",
        data={f"a{application.id}-to_status": "offer"},
    )
    with other_app.extensions["relais"].sessions() as s:
        assert s.get(type(application), application.id).status == "offer"
    other_app.extensions["relais"].engine.dispose()


def test_moving_from_the_candidate_page_with_reason_and_confirmation(
    client, recruiter, make_offer, make_application, session
):
    application = make_application(make_offer(), score=50)
    url = f"/recruiter/applications/{application.id}/move"
    p = f"a{application.id}-"
    response = client.post(url, data={p + "to_status": "rejected"}, follow_redirects=True)
    assert "Choose the reason of the rejection." in response.get_data(as_text=True)
    response = client.post(url, data={p + "to_status": "hired"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Confirm the hire" in html and f'name="{p}confirm" value="y"' in html
    session.refresh(application)
    assert application.status == "new"
    response = client.post(url, data={p + "to_status": "hired", p + "confirm": "y"})
    assert response.status_code == 302
    session.refresh(application)
    assert application.status == "hired"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "application.move")).one()
    assert event.actor_id == recruiter.id


def test_notes_are_added_and_shown_to_recruiters_and_the_offer_manager(
    client, auth, make_user, make_offer, make_application, make_candidate, session
):
    manager = make_user(Role.MANAGER, locale="en")
    candidate = make_candidate()
    application = make_application(make_offer(hiring_manager=manager), candidate)
    recruiter = make_user(Role.RECRUITER, locale="en")
    auth.login(recruiter)
    url = f"/recruiter/candidates/{candidate.id}/notes"
    empty = client.post(url, data={"body": "   "})
    assert empty.status_code == 400 and "This field is required." in empty.get_data(as_text=True)
    client.post(
        url,
        data={"body": "Très bon entretien téléphonique.", "application_id": str(application.id)},
    )
    auth.logout()
    auth.login(manager)
    html = client.get(f"/recruiter/candidates/{candidate.id}").get_data(as_text=True)
    assert "Très bon entretien téléphonique." in html and recruiter.full_name in html
    client.post(
        url, data={"body": "À recevoir en second entretien.", "application_id": str(application.id)}
    )
    notes = session.scalars(select(CandidateNote).order_by(CandidateNote.id)).all()
    assert [n.author_id for n in notes] == [recruiter.id, manager.id]


def test_flagged_duplicates_show_with_a_merge_action(
    client, recruiter, make_offer, make_application, make_candidate, session
):
    """Merging needs ``candidates.merge`` of the applications branch."""
    keep = make_candidate("Jean", "Dupont", email="jean.dupont@mail.example")
    drop = make_candidate("Jean", "Dupont", email="j.dupont@mail.example")
    make_application(make_offer(), keep)
    make_application(make_offer(), drop)
    session.add(DuplicateFlag(candidate_id=keep.id, other_id=drop.id, reason="same name and phone"))
    session.commit()
    html = client.get(f"/recruiter/candidates/{keep.id}").get_data(as_text=True)
    assert "same name and phone" in html and "j.dupont@mail.example" in html
    assert f'action="/recruiter/candidates/{keep.id}/merge"' in html
    response = client.post(
        f"/recruiter/candidates/{keep.id}/merge", data={"other_id": drop.id, "keep": "this"}
    )
    assert response.status_code == 302
    session.expire_all()
    assert (
        session.get(Candidate, drop.id) is None
        or session.get(Candidate, drop.id).merged_into_id == keep.id
    )
    assert len(session.get(Candidate, keep.id).applications) == 2


def test_talent_pool_ranks_consenting_candidates_who_applied_elsewhere(
    client, recruiter, make_offer, make_application, make_candidate
):
    offer = make_offer(
        title="Développeur Python",
        description="Développement d'applications web en Python et Django, bases PostgreSQL.",
        required_skills=["python", "django"],
    )
    elsewhere = make_offer(title="Comptable")
    good = make_candidate(
        "Paula",
        "Python",
        cv_text="Développeuse Python Django PostgreSQL depuis 6 ans.",
        talent_pool_consent=True,
        consent_at=utcnow(),
    )
    weak = make_candidate(
        "Walter",
        "Faible",
        cv_text="Comptable, paie, budget, marchés.",
        talent_pool_consent=True,
        consent_at=utcnow(),
    )
    refused = make_candidate(
        "Nina", "Non", cv_text="Python Django PostgreSQL.", talent_pool_consent=False
    )
    expired = make_candidate(
        "Ezra",
        "Expire",
        cv_text="Python Django.",
        talent_pool_consent=True,
        consent_at=utcnow(),
        retention_until=date.today() - timedelta(days=1),
    )
    here = make_candidate(
        "Hugo", "Ici", cv_text="Python Django.", talent_pool_consent=True, consent_at=utcnow()
    )
    for c in (good, weak, refused, expired, here):
        make_application(elsewhere, c)
    make_application(offer, here)
    html = client.get(f"/recruiter/offers/{offer.id}/talent-pool").get_data(as_text=True)
    assert "Paula Python" in html and "Walter Faible" in html
    assert html.index("Paula Python") < html.index("Walter Faible")
    for name in ("Nina Non", "Ezra Expire", "Hugo Ici"):
        assert name not in html

    page = client.get(f"/recruiter/candidates/{good.id}/offers").get_data(as_text=True)
    assert ">Développeur Python</a>" in page
    assert ">Comptable</a>" not in page  # already applied there
    closed = client.get(f"/recruiter/candidates/{refused.id}/offers").get_data(as_text=True)
    assert "has not agreed to be considered" in closed


def test_the_whole_pool_is_ranked_and_the_best_fits_shown(
    client, recruiter, make_offer, make_application, make_candidate, session, monkeypatch
):
    """The best fit is found however many candidates the pool holds (not only the first
    ones by id), from the index's vectors; the page says how many were ranked."""
    from referral.offers import scoring, talentpool

    monkeypatch.setattr(talentpool, "POOL_SHOWN", 3)
    offer = make_offer(
        title="Développeur Python",
        description="Applications web en Python et Django, bases PostgreSQL.",
        required_skills=["python", "django"],
    )
    elsewhere = make_offer(title="Comptable")
    settings = client.application.extensions["relais"].settings
    scoring.load_index(session, settings)  # built before the pool's CVs arrive
    weak = [
        make_candidate(
            f"Walter{i}",
            "Faible",
            cv_text=f"Comptable, paie, budget, marchés publics, {i} ans.",
            talent_pool_consent=True,
            consent_at=utcnow(),
        )
        for i in range(7)
    ]
    best = make_candidate(
        "Paula",
        "Python",
        cv_text="Développeuse Python Django PostgreSQL depuis 6 ans.",
        talent_pool_consent=True,
        consent_at=utcnow(),
    )
    for candidate in [*weak, best]:
        make_application(elsewhere, candidate)
    session.commit()

    html = client.get(f"/recruiter/offers/{offer.id}/talent-pool").get_data(as_text=True)
    assert "The 3 best fits of the 8 candidates of the pool." in html
    assert html.count("Faible</a>") == 2
    assert html.index("Paula Python") < html.index("Faible</a>")
    assert best.cv_files[-1].id in scoring.load_index(session, settings)


@pytest.mark.parametrize(
    "path",
    ["/recruiter/offers/999999/shortlist", "/recruiter/candidates/999999", "/recruiter/cv/999999"],
)
def test_unknown_objects_are_404(client, recruiter, path):
    assert client.get(path).status_code == 404


def test_a_move_made_meanwhile_by_someone_else_is_not_undone(
    client, recruiter, make_offer, make_application, session
):
    application = make_application(make_offer(), status="interview")  # the page showed "new"
    p = f"a{application.id}-"
    response = client.post(
        f"/recruiter/applications/{application.id}/move",
        data={p + "to_status": "screening", p + "current": "new"},
        follow_redirects=True,
    )
    assert "in the meantime" in response.get_data(as_text=True)
    session.refresh(application)
    assert application.status == "interview"


def test_the_candidate_page_loads_in_a_fixed_number_of_queries(
    client, recruiter, make_offer, make_application, make_candidate, count_queries, session
):
    def measure(n):
        candidate = make_candidate()
        for _ in range(n):
            app_ = make_application(make_offer(), candidate, score=50, status="screening")
            session.add(
                StatusChange(application_id=app_.id, to_status="screening", by_user_id=recruiter.id)
            )
            session.add(CandidateNote(candidate_id=candidate.id, author_id=recruiter.id, body="n"))
        session.commit()
        client.get(f"/recruiter/candidates/{candidate.id}")
        with count_queries() as counter:
            assert client.get(f"/recruiter/candidates/{candidate.id}").status_code == 200
        return counter.count

    assert measure(1) == measure(6)


def test_ids_too_large_for_the_database_are_404(client, recruiter, make_offer, make_application):
    application = make_application(make_offer())
    huge = 2**40
    for url in (
        f"/recruiter/offers/{huge}/shortlist",
        f"/recruiter/candidates/{huge}",
        f"/recruiter/candidates/{huge}/offers",
        f"/recruiter/cv/{huge}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/recruiter/applications/{huge}/move").status_code == 404
    merge = client.post(
        f"/recruiter/candidates/{application.candidate_id}/merge",
        data={"other_id": huge, "keep": "this"},
    )
    assert merge.status_code == 302
    bulk = client.post(
        f"/recruiter/offers/{application.offer_id}/shortlist/move",
        data={"bulk-to_status": "screening", "application_ids": [str(huge), str(application.id)]},
    )
    assert bulk.status_code == 200 and "1 application moved" in bulk.get_data(as_text=True)


def test_a_note_with_a_nul_character_is_saved_without_it(
    client, recruiter, make_offer, make_application, session
):
    application = make_application(make_offer())
    client.post(
        f"/recruiter/candidates/{application.candidate_id}/notes",
        data={"body": "Appel\x00 prévu", "application_id": str(application.id)},
    )
    assert session.scalars(select(CandidateNote.body)).one() == "Appel prévu"
