"""Erasing a candidate's personal data from their page (an erasure request)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.models import Application, Candidate, CandidateNote, Notification, Role


def app_settings(client):
    return client.application.extensions["relais"].settings


@pytest.fixture
def marie(make_offer, make_application, make_candidate, session):
    candidate = make_candidate("Marie", "Erasable", city="Lyon", phone="0601020304")
    application = make_application(make_offer(title="Juriste"), candidate, score=64)
    session.commit()
    return application


def test_a_recruiter_erases_a_candidate_after_confirming(client, auth, make_user, session, marie):
    auth.login(make_user(Role.RECRUITER, locale="en"))
    candidate_id = marie.candidate_id
    page = client.get(f"/recruiter/candidates/{candidate_id}").get_data(as_text=True)
    assert "Erase the personal data" in page and "I confirm: erase" in page

    refused = client.post(f"/recruiter/candidates/{candidate_id}/erase", data={})
    assert refused.status_code == 400
    assert "Tick the box to confirm the erasure." in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Candidate, candidate_id).erased_at is None

    done = client.post(
        f"/recruiter/candidates/{candidate_id}/erase", data={"confirm": "y"}, follow_redirects=True
    )
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "personal data is erased" in html
    assert "<h1>Erased candidate</h1>" in html
    assert "Erasable" not in html and "0601020304" not in html
    assert "Erase the personal data" not in html  # nothing left to erase
    shortlist = client.get(f"/recruiter/offers/{marie.offer_id}/shortlist").get_data(as_text=True)
    assert "Erased candidate" in shortlist and "Erasable" not in shortlist
    # The request did not wait for the matching index: the worker builds it again.
    marker = app_settings(client).instance_path / "matching-index.joblib.rebuild"
    assert marker.exists()


def test_in_french_the_page_says_so(client, auth, make_user, session, marie):
    auth.login(make_user(Role.ADMIN, locale="fr"))
    client.post(f"/recruiter/candidates/{marie.candidate_id}/erase", data={"confirm": "y"})
    html = client.get(f"/recruiter/candidates/{marie.candidate_id}").get_data(as_text=True)
    assert "<h1>Candidat effacé</h1>" in html


def test_a_manager_cannot_erase(client, auth, session, marie):
    manager = marie.offer.hiring_manager
    auth.login(manager)
    page = client.get(f"/recruiter/candidates/{marie.candidate_id}").get_data(as_text=True)
    assert "/erase" not in page
    response = client.post(
        f"/recruiter/candidates/{marie.candidate_id}/erase", data={"confirm": "y"}
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Candidate, marie.candidate_id).erased_at is None


@pytest.fixture
def erased(client, auth, make_user, session, make_offer, make_application, make_candidate):
    """Marie, referred by Karim's link, rejected, then erased by an English-speaking recruiter."""
    agent = make_user(first_name="Karim", locale="fr")
    candidate = make_candidate("Marie", "Erasable")
    application = make_application(
        make_offer(title="Juriste"), candidate, agent=agent, status="rejected"
    )
    recruiter = make_user(Role.RECRUITER, locale="en")
    auth.login(recruiter)
    client.post(f"/recruiter/candidates/{candidate.id}/erase", data={"confirm": "y"})
    session.expire_all()
    return application


def test_no_note_can_be_added_to_an_erased_candidate(client, session, erased):
    candidate_id = erased.candidate_id
    page = client.get(f"/recruiter/candidates/{candidate_id}").get_data(as_text=True)
    assert "Add the note" not in page
    assert "personal data was erased: no note can be added." in page.replace("&#39;", "'")

    response = client.post(
        f"/recruiter/candidates/{candidate_id}/notes",
        data={"body": "Marie Erasable, 06 01 02 03 04", "application_id": ""},
    )
    assert response.status_code == 400
    assert "no note can be added" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(CandidateNote)).all() == []


def test_an_erased_candidates_application_no_longer_moves(client, session, erased):
    page = client.get(f"/recruiter/candidates/{erased.candidate_id}").get_data(as_text=True)
    assert "Change stage" not in page
    assert "their applications can no longer change stage" in page.replace("&#39;", "'")

    response = client.post(
        f"/recruiter/applications/{erased.id}/move",
        data={f"a{erased.id}-to_status": "screening", f"a{erased.id}-current": "rejected"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert "their applications can no longer change stage" in html
    assert ": moved to" not in html
    session.expire_all()
    assert session.get(Application, erased.id).status == "rejected"
    updates = session.scalars(select(Notification).where(Notification.kind == "referral_update"))
    assert [n.body_text for n in updates] == []  # the agent is told nothing about nobody


def test_the_agent_sees_the_erased_candidate_named_as_such(client, auth, session, erased):
    auth.logout()
    auth.login(erased.credited_agent)
    page = client.get("/agent/referrals").get_data(as_text=True)
    brought = page.split('id="brought-title"')[1].split("</table>")[0]
    assert "<td>Candidat effacé</td>" in brought
    assert "<td></td>" not in brought
