"""The pages of the candidate e-mails: the admins' wordings with their preview, the e-mail
proposed after a move (single and bulk), interviews, the candidate's status page, and the
delivery state on the candidate's page."""

from __future__ import annotations

import html
from datetime import date, timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from referral.applications import candidate_status
from referral.models import (
    Application,
    CandidateMessageTemplate,
    CVFile,
    Interview,
    Notification,
    Role,
    StatusChange,
)
from referral.worker import deliver_due
from tests.applying import pdf_bytes

pytest_plugins = ["tests.shortlist_fixtures"]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def settings(app):
    return app.extensions["relais"].settings


@pytest.fixture
def recruiter(make_user, auth):
    user = make_user(Role.RECRUITER, locale="en", first_name="Antoine", last_name="Girard")
    auth.login(user)
    return user


def candidate_rows(session, kind="candidate_message"):
    session.expire_all()
    return session.scalars(
        select(Notification).where(Notification.kind == kind).order_by(Notification.id)
    ).all()


# --- the admins' wordings ------------------------------------------------------------------


def test_an_admin_previews_saves_and_resets_a_wording(client, auth, make_user, session):
    auth.login(make_user(Role.ADMIN, locale="en"))
    page = text(client.get("/admin/candidate-emails/"))
    assert "Interview invitation" in page and "Rejected" in page and "shipped" in page
    url = "/admin/candidate-emails/rejected/en"
    form = {"subject": "About {{ offer_title }}", "body": "Dear {{ first_name }},\nNo."}
    preview = client.post(url, data={**form, "action": "preview"})
    assert preview.status_code == 200
    assert "About Project officer" in text(preview) and "Dear Camille," in text(preview)
    assert session.scalar(select(func.count(CandidateMessageTemplate.id))) == 0  # not saved
    bad = client.post(url, data={"subject": "x", "body": "{{ ''.__class__ }}", "action": "save"})
    assert bad.status_code == 422
    assert "tries something templates may not do" in text(bad)
    assert "{{ ''.__class__ }}" in text(bad)  # what was typed is kept
    unknown = client.post(url, data={"subject": "x", "body": "{{ salary }}", "action": "save"})
    assert unknown.status_code == 422 and "not a placeholder" in text(unknown)
    saved = client.post(url, data={**form, "action": "save"}, follow_redirects=True)
    assert "The e-mail is saved." in text(saved) and "edited" in text(saved)
    row = session.scalar(select(CandidateMessageTemplate))
    assert (row.kind, row.locale, row.subject) == ("rejected", "en", "About {{ offer_title }}")
    client.post(url + "/reset")
    assert session.scalar(select(func.count(CandidateMessageTemplate.id))) == 0


def test_the_wordings_page_is_in_french_too(client, auth, make_user):
    auth.login(make_user(Role.ADMIN, locale="fr"))
    page = text(client.get("/admin/candidate-emails/interview_cancel/fr"))
    assert "Entretien annulé" in page and "Aperçu" in page


def test_only_admins_edit_wordings(client, recruiter):
    assert client.get("/admin/candidate-emails/").status_code == 403


# --- after a move --------------------------------------------------------------------------


def test_a_move_proposes_the_email_which_the_recruiter_edits_and_sends_once(
    client, recruiter, session, make_offer, make_application
):
    application = make_application(make_offer(title="Juriste"))
    response = client.post(
        f"/recruiter/applications/{application.id}/move",
        data={f"a{application.id}-to_status": "screening", f"a{application.id}-current": "new"},
    )
    assert response.status_code == 302 and "/recruiter/messages?change=" in response.location
    page = client.get(response.location)
    assert page.status_code == 200
    assert "Votre candidature au poste Juriste est à l'étude" in text(page)  # the candidate's fr
    change = session.scalar(select(StatusChange))
    form = {
        "change": str(change.id),
        f"send-{change.id}": "y",
        f"subject-{change.id}": "Juriste : votre dossier",
        f"body-{change.id}": "Bonjour,\nNous étudions votre dossier avec soin.",
    }
    done = client.post(response.location, data=form)
    assert done.status_code == 302
    client.post(response.location, data=form)  # a double click
    rows = candidate_rows(session)
    assert len(rows) == 1
    assert rows[0].subject == "Juriste : votre dossier"
    assert "Nous étudions votre dossier avec soin." in rows[0].body_text
    assert "/status/" in rows[0].body_text and rows[0].status == "pending"
    assert "already queued" in text(client.get(response.location))


def test_an_email_can_be_skipped_and_a_rejection_hides_its_reason(
    client, recruiter, session, make_offer, make_application
):
    application = make_application(make_offer(), status="screening")
    response = client.post(
        f"/recruiter/applications/{application.id}/move",
        data={
            f"a{application.id}-to_status": "rejected",
            f"a{application.id}-reason": "experience",
        },
    )
    page = text(client.get(response.location))
    assert "Not enough experience" not in page and "experience" not in page.split("<form")[1]
    change = session.scalar(select(StatusChange))
    client.post(response.location, data={"change": str(change.id)})  # nothing ticked
    assert candidate_rows(session) == []


def test_an_empty_subject_is_refused_and_the_text_kept(
    client, recruiter, session, make_offer, make_application
):
    application = make_application(make_offer())
    response = client.post(
        f"/recruiter/applications/{application.id}/move",
        data={f"a{application.id}-to_status": "screening"},
    )
    change = session.scalar(select(StatusChange))
    bad = client.post(
        response.location,
        data={
            "change": str(change.id),
            f"send-{change.id}": "y",
            f"subject-{change.id}": " ",
            f"body-{change.id}": "Mon texte à garder",
        },
    )
    assert bad.status_code == 422
    assert "This field is required." in text(bad) and "Mon texte à garder" in text(bad)
    assert candidate_rows(session) == []


def test_a_bulk_move_sends_one_email_each(client, recruiter, session, make_offer, make_application):
    offer = make_offer()
    apps = [make_application(offer) for _ in range(3)]
    report = client.post(
        f"/recruiter/offers/{offer.id}/shortlist/move",
        data={"bulk-to_status": "screening", "application_ids": [str(a.id) for a in apps]},
    )
    page = text(report)
    assert "Review the e-mails to the candidates moved" in page
    compose = html.unescape(page.split('href="/recruiter/messages?')[1].split('"')[0])
    url = "/recruiter/messages?" + compose
    changes = session.scalars(select(StatusChange).order_by(StatusChange.id)).all()
    form_page = text(client.get(url))
    for a in apps:
        assert a.candidate.full_name in form_page
    data = {"change": [str(c.id) for c in changes]}
    for c in changes:
        data |= {f"send-{c.id}": "y", f"subject-{c.id}": f"Sujet {c.id}", f"body-{c.id}": "Texte"}
    client.post(url, data=data)
    rows = candidate_rows(session)
    assert sorted(r.recipient_email for r in rows) == sorted(a.candidate.email for a in apps)


def test_someone_else_s_offer_gives_no_compose_page(
    client, auth, make_user, session, make_offer, make_application
):
    manager = make_user(Role.MANAGER)
    application = make_application(make_offer())
    session.add(
        StatusChange(application_id=application.id, from_status="new", to_status="screening")
    )
    session.commit()
    change = session.scalar(select(StatusChange))
    auth.login(manager)
    assert client.get(f"/recruiter/messages?change={change.id}").status_code == 404


# --- interviews ----------------------------------------------------------------------------


def test_a_recruiter_plans_changes_and_cancels_an_interview(
    client, recruiter, session, make_offer, make_application
):
    application = make_application(make_offer(), status="interview")
    day = (date.today() + timedelta(days=10)).isoformat()
    new = client.get(f"/recruiter/applications/{application.id}/interviews/new")
    nonce = text(new).split('name="nonce" type="hidden" value="')[1].split('"')[0]
    form = {
        "day": day,
        "time": "10:30",
        "duration_minutes": "45",
        "location": "Salle 204",
        "panel": "Claire Martin\nAntoine Girard",
        "nonce": nonce,
    }
    url = f"/recruiter/applications/{application.id}/interviews/new"
    assert client.post(url, data=form).status_code == 302
    assert client.post(url, data=form).status_code == 302  # double click: one interview
    interview = session.scalar(select(Interview))
    assert session.scalar(select(func.count(Interview.id))) == 1
    assert interview.panel == ["Claire Martin", "Antoine Girard"]
    page = text(client.get(f"/recruiter/candidates/{application.candidate_id}"))
    assert "Salle 204" in page and "with a calendar invitation" in page
    assert "waiting to be sent" in page
    edit = client.post(
        f"/recruiter/interviews/{interview.id}",
        data={**form, "time": "14:00", "sequence": "0", "video_url": "ftp://x"},
    )
    assert edit.status_code == 422 and "https://" in text(edit)
    client.post(
        f"/recruiter/interviews/{interview.id}", data={**form, "time": "14:00", "sequence": "0"}
    )
    client.post(f"/recruiter/interviews/{interview.id}/cancel", data={"sequence": "1"})
    rows = candidate_rows(session, "interview")
    methods = [str(icalendar.Calendar.from_ical(r.attachments[0].content)["METHOD"]) for r in rows]
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    assert "14:00" in rows[1].body_text


def test_an_interview_in_the_past_is_refused_with_its_message(
    client, recruiter, make_offer, make_application
):
    application = make_application(make_offer(), status="interview")
    response = client.post(
        f"/recruiter/applications/{application.id}/interviews/new",
        data={"day": "2020-01-01", "time": "10:00", "duration_minutes": "45", "location": "Ici"},
    )
    assert response.status_code == 422 and "in the future" in text(response)


# --- the candidate's status page ----------------------------------------------------------


def status_path(settings, application) -> str:
    return "/status/" + candidate_status.status_token(settings, application)


def test_the_status_page_shows_the_stage_and_what_is_kept(
    client, settings, make_offer, make_application
):
    application = make_application(make_offer(title="Archiviste"), status="screening")
    page = client.get(status_path(settings, application))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    body = text(page)
    assert "Archiviste" in body and "En cours d'examen" in body
    assert application.candidate.email in body and "CV.pdf" in body
    assert client.get("/status/not-a-token").status_code == 404
    assert client.get(status_path(settings, application)[:-3]).status_code == 404


def test_the_candidate_withdraws_from_the_status_page(
    client, session, settings, make_offer, make_application
):
    application = make_application(make_offer(), status="screening")
    path = status_path(settings, application)
    unconfirmed = client.post(path + "/withdraw")
    assert unconfirmed.status_code == 422
    done = client.post(path + "/withdraw", data={"confirm": "y"}, follow_redirects=True)
    assert "Votre candidature est retirée." in text(done)
    session.expire_all()
    assert session.get(Application, application.id).status == "withdrawn"
    (row,) = candidate_rows(session)
    assert "retrait" in row.subject.lower()
    assert client.post(path + "/withdraw", data={"confirm": "y"}).status_code == 409


def test_the_candidate_replaces_their_cv(client, session, settings, make_offer, make_application):
    application = make_application(make_offer(), status="new")
    path = status_path(settings, application)
    bad = client.post(path + "/cv", data={"cv": (__import__("io").BytesIO(b""), "cv.pdf")})
    assert bad.status_code == 422 and "Le fichier est vide" in text(bad)
    good = client.post(
        path + "/cv",
        data={"cv": (__import__("io").BytesIO(pdf_bytes("Nouveau CV Python")), "nouveau.pdf")},
        follow_redirects=True,
    )
    assert "Votre nouveau CV est joint à votre candidature." in text(good)
    session.expire_all()
    cv = session.get(Application, application.id).cv_file
    assert cv.original_name == "nouveau.pdf" and "Python" in cv.text
    assert (settings.uploads_path / cv.stored_name).exists()


def test_the_candidate_erases_their_data(client, session, settings, make_offer, make_application):
    application = make_application(make_offer(), status="screening")
    email = application.candidate.email
    path = status_path(settings, application)
    client.post(path + "/withdraw", data={"confirm": "y"})
    assert client.post(path + "/erase").status_code == 422
    done = client.post(path + "/erase", data={"confirm": "y"})
    assert done.status_code == 200 and "Vos données sont effacées" in text(done)
    session.expire_all()
    assert session.scalar(select(func.count(CVFile.id))) == 0
    assert (
        session.scalar(
            select(func.count(Notification.id)).where(Notification.recipient_email == email)
        )
        == 0
    )
    assert client.get(path).status_code == 404


def test_the_delivery_state_follows_the_worker(
    client, recruiter, session, sessions, settings, make_offer, make_application
):
    application = make_application(make_offer(), status="screening")
    client.post(status_path(settings, application) + "/withdraw", data={"confirm": "y"})
    deliver_due(sessions, settings)
    page = text(client.get(f"/recruiter/candidates/{application.candidate_id}"))
    assert "E-mails to the candidate" in page and "sent ·" in page
    assert list(settings.outbox_path.glob("*.eml"))


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    return app_config


def test_the_status_page_actions_are_rate_limited(
    limited, client, settings, make_offer, make_application
):
    path = status_path(settings, make_application(make_offer()))
    codes = {client.post(path + "/withdraw").status_code for _ in range(31)}
    assert codes == {422, 429}
