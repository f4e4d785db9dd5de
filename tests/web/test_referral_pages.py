"""Agent pages over HTTP: recommend someone, "My referrals", the leaderboard."""

import html
import io

from sqlalchemy import select

from referral.applications import credits
from referral.models import Application, CandidateNote, Notification, Referral, Role
from tests.applying import *  # noqa: F403
from tests.applying import pdf_bytes


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def apply_via(client, offer, code, email="lea@example.org", first="Léa", last="Petit"):
    return client.post(
        f"/offers/{offer.id}/apply?ref={code}",
        data={
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": "",
            "city": "Lyon",
            "consent": "y",
            "cv": (io.BytesIO(pdf_bytes()), "cv.pdf"),
        },
    )


def test_an_agent_recommends_someone_and_sees_them_invited(
    client, auth, session, make_user, make_offer
):
    offer = make_offer(title="Juriste marchés publics")
    agent = make_user()
    auth.login(agent)
    page = client.get(f"/agent/refer?offer_id={offer.id}")
    assert page.status_code == 200 and "Recommander quelqu'un" in text(page)
    response = client.post(
        "/agent/refer",
        data={
            "offer_id": offer.id,
            "first_name": "Léa",
            "last_name": "Petit",
            "email": "lea@example.org",
            "relationship": "voisine",
            "reason": "Très rigoureuse",
        },
    )
    assert response.status_code == 302
    mine = text(client.get("/agent/referrals"))
    assert "Léa Petit" in mine and "Juriste marchés publics" in mine
    assert "Invitée, n'a pas encore postulé" in mine
    invitation = session.scalar(select(Notification).where(Notification.kind == "invitation"))
    assert invitation.recipient_email == "lea@example.org"


def test_a_second_agent_gets_a_clear_refusal(client, auth, session, make_user, make_offer):
    offer = make_offer()
    first = make_user(first_name="Paul", last_name="Roche")
    auth.login(first)
    data = {
        "offer_id": offer.id,
        "first_name": "Léa",
        "last_name": "Petit",
        "email": "lea@example.org",
        "relationship": "voisine",
        "reason": "Rigoureuse",
    }
    client.post("/agent/refer", data=data)
    auth.logout()
    auth.login(make_user())
    response = client.post("/agent/refer", data=data)
    assert response.status_code == 422
    assert "Un autre agent a déjà coopté cette personne" in text(response)
    assert 'value="Léa"' in text(response)
    assert len(session.scalars(select(Referral)).all()) == 1


def test_bad_referral_input_is_explained(client, auth, make_user, make_offer):
    offer = make_offer()
    auth.login(make_user())
    response = client.post("/agent/refer", data={"offer_id": offer.id, "email": "nope"})
    assert response.status_code == 422 and "Ce champ est obligatoire" in text(response)


def test_my_referrals_show_the_person_stage_and_points_never_the_cv_or_notes(
    client, auth, session, make_user, make_offer, make_link
):
    offer = make_offer(title="Comptable")
    agent = make_user()
    link = make_link(offer=offer, agent=agent)
    apply_via(client, offer, link.code)
    application = session.scalar(select(Application))
    session.add(CandidateNote(candidate_id=application.candidate_id, body="Note confidentielle RH"))
    credits.on_status_change(session, application, "new", "screening", actor=None)
    application.status = "screening"
    session.commit()
    auth.login(agent)
    page = text(client.get("/agent/referrals"))
    assert "Léa Petit" in page and "Comptable" in page
    assert "Candidature à l'étude" in page
    assert '<dd id="points-total">4</dd>' in page
    assert "Note confidentielle" not in page and "Chef de projet" not in page and "/cv/" not in page
    # Someone else's referrals are not shown to this agent.
    auth.logout()
    auth.login(make_user())
    assert "Léa Petit" not in text(client.get("/agent/referrals"))


def test_a_rejection_is_shown_in_neutral_words(
    client, auth, session, make_user, make_offer, make_link
):
    offer = make_offer()
    agent = make_user()
    link = make_link(offer=offer, agent=agent)
    apply_via(client, offer, link.code)
    application = session.scalar(select(Application))
    application.status = "rejected"
    application.rejection_reason = "experience"
    session.commit()
    auth.login(agent)
    page = text(client.get("/agent/referrals"))
    assert "Processus terminé" in page and "experience" not in page


def test_the_leaderboard_by_period_and_direction_and_leaving_it(
    client, auth, session, make_user, make_offer, make_link, make_direction
):
    direction = make_direction(name="Direction des lycées")
    star = make_user(first_name="Alice", last_name="Star", direction_id=direction.id)
    other = make_user(first_name="Bob", last_name="Autre")
    offer = make_offer()
    apply_via(client, offer, make_link(offer=offer, agent=star).code, email="a@example.org")
    apply_via(client, offer, make_link(offer=offer, agent=other).code, email="b@example.org")
    auth.login(star)
    page = text(client.get("/agent/leaderboard?period=month"))
    assert "<td>Alice Star</td>" in page and "<td>Bob Autre</td>" in page
    filtered = text(client.get(f"/agent/leaderboard?period=all&direction={direction.id}"))
    assert "<td>Alice Star</td>" in filtered and "Bob Autre" not in filtered
    assert client.get("/agent/leaderboard?period=zz&direction=zz").status_code == 200
    client.post("/agent/leaderboard/visibility", data={"visible": "0"})
    page = text(client.get("/agent/leaderboard"))
    assert "<td>Alice Star</td>" not in page and "Réapparaître dans le classement" in page
    client.post("/agent/leaderboard/visibility", data={"visible": "1"})
    assert "<td>Alice Star</td>" in text(client.get("/agent/leaderboard"))


def test_the_menu_shows_the_new_entries_to_the_right_roles(client, auth, make_user):
    auth.login(make_user())
    page = text(client.get("/agent/referrals"))
    assert "Mes cooptations" in page and "Classement" in page and "Doublons" not in page
    auth.logout()
    auth.login(make_user(Role.ADMIN))
    assert "Doublons" in text(client.get("/recruiter/"))
    assert "Crédits" in text(client.get("/admin/"))


def test_my_referrals_load_in_a_fixed_number_of_queries(
    client, auth, session, make_user, make_offer, make_link, count_queries
):
    agent = make_user()
    offer = make_offer()
    link = make_link(offer=offer, agent=agent)
    apply_via(client, offer, link.code, email="a@example.org")
    auth.login(agent)
    with count_queries() as few:
        client.get("/agent/referrals")
    for n in range(4):
        apply_via(client, offer, link.code, email=f"p{n}@example.org", first=f"P{n}")
    with count_queries() as many:
        client.get("/agent/referrals")
    assert many.count == few.count
