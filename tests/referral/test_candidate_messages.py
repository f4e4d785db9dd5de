"""Candidate e-mails: the wordings (both languages, the sandbox), proposing and sending one
per move without ever sending twice, interviews and their calendar events, the status link,
and erasure."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from referral.applications import candidate_status, interviews, pipeline
from referral.errors import NotFound
from referral.messages import RuleBroken
from referral.models import (
    Interview,
    Notification,
    NotificationAttachment,
    Role,
    utcnow,
)
from referral.notifications import candidate_messages as cm
from referral.notifications.mailer import build_message
from referral.privacy import erasure as privacy
from tests.applying import pdf_bytes

pytest_plugins = ["tests.shortlist_fixtures"]


@pytest.fixture
def settings(app):
    return app.extensions["relais"].settings


@pytest.fixture
def recruiter(make_user):
    return make_user(Role.RECRUITER, first_name="Antoine", last_name="Girard")


@pytest.mark.parametrize("kind", cm.KINDS)
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_shipped_wording_renders_in_both_languages(kind, locale, settings):
    words = cm.DEFAULTS[(kind, locale)]
    preview = cm.validate_wording(kind, locale, *words, settings)
    assert "Camille Durand" in preview.body
    assert settings.organisation_name in preview.body
    assert "/status/" in preview.body  # every e-mail carries the status link
    assert "{{" not in preview.subject + preview.body
    french_words = ("Bonjour", "Suivre votre candidature")
    assert all(w in preview.body for w in french_words) == (locale == "fr")
    if kind in cm.INTERVIEW_KINDS:
        assert ("12 mars 2026" if locale == "fr" else "March 12, 2026") in preview.body


@pytest.mark.parametrize(
    "body, field_error",
    [
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "FORBIDDEN"),
        ("{{ candidate_name.__class__ }}", "FORBIDDEN"),
        ("{% set x = [] %}{{ x.append(1) }}", "FORBIDDEN"),
        ("{{ config }}", "UNKNOWN_PLACEHOLDER"),
        ("{{ interview_date }}", "UNKNOWN_PLACEHOLDER"),  # not in a stage e-mail
        ("{% if %}", "BAD_SYNTAX"),
    ],
)
def test_the_sandbox_refuses_code_and_unknown_names(body, field_error, settings):
    with pytest.raises(RuleBroken) as caught:
        cm.validate_wording("screening", "en", "Subject", body, settings)
    assert caught.value.template == getattr(cm, field_error)
    assert caught.value.field == "body"


def test_an_admin_wording_replaces_the_shipped_one_until_reset(session, settings, recruiter):
    admin = recruiter
    cm.save_wording(
        session,
        settings,
        "rejected",
        "fr",
        "Réponse : {{ offer_title }}",
        "Cher·e {{ first_name }}",
        actor=admin,
    )
    session.commit()
    assert cm.wording(session, "rejected", "fr").customised
    assert cm.wording(session, "rejected", "en").customised is False
    with pytest.raises(RuleBroken):
        cm.save_wording(session, settings, "rejected", "fr", "", "x", actor=admin)
    cm.reset_wording(session, "rejected", "fr", actor=admin)
    session.commit()
    assert cm.wording(session, "rejected", "fr").subject == cm.DEFAULTS[("rejected", "fr")][0]


def test_a_rejection_never_states_the_internal_reason(
    session, settings, recruiter, make_offer, make_application
):
    application = make_application(make_offer(title="Juriste"), status="screening")
    change = pipeline.move(
        session, application, "rejected", actor=recruiter, reason="experience", settings=settings
    )
    session.commit()
    draft = cm.propose(session, settings, change, recruiter=recruiter)
    assert "Juriste" in draft.body
    for word in ("experience", "expérience", "profil", "reason", "motif"):
        assert word not in draft.body.lower() and word not in draft.subject.lower()


def test_a_move_proposes_an_email_sent_once_whatever_the_clicks(
    session, settings, recruiter, make_offer, make_application
):
    application = make_application(make_offer(title="Data analyst"))
    change = pipeline.move(session, application, "screening", actor=recruiter, settings=settings)
    session.commit()
    draft = cm.propose(session, settings, change, recruiter=recruiter)
    assert draft.locale == "fr" and "Antoine Girard" in draft.body
    for _ in range(3):  # a double click, a second tab
        cm.send(
            session,
            settings,
            application,
            subject=draft.subject,
            body=draft.body + "\nPS",
            key=draft.key,
            locale=draft.locale,
        )
        session.commit()
    rows = session.scalars(select(Notification).where(Notification.kind == cm.MESSAGE_KIND)).all()
    assert len(rows) == 1
    assert rows[0].recipient_email == application.candidate.email
    assert rows[0].body_text.startswith(draft.body + "\nPS")
    assert "/status/" in rows[0].body_text
    assert cm.propose(session, settings, change, recruiter=recruiter).already_sent


def test_the_status_link_opens_its_application_only(
    session, settings, make_offer, make_application
):
    a = make_application(make_offer())
    b = make_application(make_offer())
    token = candidate_status.status_token(settings, a)
    assert candidate_status.application_for(session, settings, token).id == a.id
    other = candidate_status.status_token(settings, b)
    for bad in (token[:-2] + "xx", other.replace(".", "!"), "", "a" * 500):
        with pytest.raises(NotFound):
            candidate_status.application_for(session, settings, bad)


def _plan(session, settings, application, recruiter, nonce="n1"):
    data = interviews.InterviewInput(
        starts_at=utcnow() + timedelta(days=7),
        duration_minutes=45,
        location="Hôtel de Région, salle 204",
        panel=("Claire Martin", "Antoine Girard"),
    )
    interview = interviews.schedule(
        session, settings, application, data, actor=recruiter, nonce=nonce
    )
    session.commit()
    return interview


def _event(row: Notification) -> tuple[icalendar.Calendar, icalendar.Event]:
    (attachment,) = row.attachments
    cal = icalendar.Calendar.from_ical(attachment.content)
    (event,) = cal.walk("VEVENT")
    return cal, event


def test_an_invitation_carries_an_ics_that_parses_back(
    session, settings, recruiter, make_offer, make_application
):
    application = make_application(make_offer(title="Chef de projet"), status="interview")
    interview = _plan(session, settings, application, recruiter)
    assert _plan(session, settings, application, recruiter).id == interview.id  # double click
    row = session.scalar(select(Notification).where(Notification.kind == cm.INTERVIEW_KIND))
    cal, event = _event(row)
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == interview.uid and int(event["SEQUENCE"]) == 0
    assert "DTSTAMP" in event and "ORGANIZER" in event
    assert str(event["ATTENDEE"]) == "mailto:" + application.candidate.email
    assert event.decoded("DTSTART") == interview.starts_at
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)
    assert "Claire Martin" in row.body_text and "salle 204" in row.body_text
    message = build_message(row, settings)
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert parts and parts[0].get_param("method") == "REQUEST"
    assert parts[0].get_filename() == "invitation.ics"


def test_rescheduling_and_cancelling_update_the_same_event(
    session, settings, recruiter, make_offer, make_application
):
    application = make_application(make_offer(), status="interview")
    interview = _plan(session, settings, application, recruiter)
    later = interviews.InterviewInput(
        starts_at=utcnow() + timedelta(days=9),
        duration_minutes=60,
        video_url="https://visio.example.org/jury-42",
    )
    interviews.reschedule(session, settings, interview, later, actor=recruiter, sequence=0)
    session.commit()
    with pytest.raises(RuleBroken):  # the form of version 0 sent again
        interviews.reschedule(session, settings, interview, later, actor=recruiter, sequence=0)
    interviews.cancel(session, settings, interview, actor=recruiter, sequence=1)
    session.commit()
    rows = session.scalars(
        select(Notification).where(Notification.kind == cm.INTERVIEW_KIND).order_by(Notification.id)
    ).all()
    events = [_event(r) for r in rows]
    assert [str(c["METHOD"]) for c, _ in events] == ["REQUEST", "REQUEST", "CANCEL"]
    assert {str(e["UID"]) for _, e in events} == {interview.uid}
    assert [int(e["SEQUENCE"]) for _, e in events] == [0, 1, 2]
    assert str(events[2][1]["STATUS"]) == "CANCELLED"
    assert "visio.example.org" in rows[1].body_text


def test_interview_input_is_checked(session, settings, recruiter, make_offer, make_application):
    application = make_application(make_offer(), status="interview")
    soon = utcnow() + timedelta(days=1)
    cases = [
        (interviews.InterviewInput(utcnow() - timedelta(hours=1), 45, "Salle 1"), "starts_at"),
        (interviews.InterviewInput(soon, 45), "location"),
        (interviews.InterviewInput(soon, 45, video_url="javascript:alert(1)"), "video_url"),
        (interviews.InterviewInput(soon, 5, "Salle 1"), "duration_minutes"),
    ]
    for data, field in cases:
        with pytest.raises(RuleBroken) as caught:
            interviews.schedule(session, settings, application, data, actor=recruiter)
        assert caught.value.field == field
    assert session.scalar(select(func.count(Interview.id))) == 0


def test_erasing_a_candidate_erases_their_emails_attachments_and_interviews(
    session, settings, recruiter, make_offer, make_application
):
    application = make_application(make_offer(), status="interview")
    _plan(session, settings, application, recruiter)
    change = pipeline.move(session, application, "offer", actor=recruiter, settings=settings)
    draft = cm.propose(session, settings, change, recruiter=recruiter)
    cm.send(
        session,
        settings,
        application,
        subject=draft.subject,
        body=draft.body,
        key=draft.key,
        locale=draft.locale,
    )
    session.commit()
    email = application.candidate.email
    privacy.erase(session, settings, application.candidate, utcnow(), actor=recruiter)
    session.commit()
    assert session.scalar(select(func.count(Interview.id))) == 0
    assert session.scalar(select(func.count(NotificationAttachment.id))) == 0
    assert (
        session.scalar(
            select(func.count(Notification.id)).where(Notification.recipient_email == email)
        )
        == 0
    )
    with pytest.raises(NotFound):
        candidate_status.application_for(
            session, settings, candidate_status.status_token(settings, application)
        )


def test_a_candidate_withdraws_and_planned_interviews_are_cancelled(
    session, settings, recruiter, make_offer, make_application
):
    application = make_application(make_offer(), status="interview")
    interview = _plan(session, settings, application, recruiter)
    candidate_status.withdraw(session, settings, application)
    session.commit()
    assert application.status == "withdrawn"
    assert interview.status == "cancelled"
    kinds = session.scalars(select(Notification.kind).order_by(Notification.id)).all()
    assert kinds.count(cm.INTERVIEW_KIND) == 2 and kinds.count(cm.MESSAGE_KIND) == 1
    with pytest.raises(RuleBroken):
        candidate_status.withdraw(session, settings, application)


def test_a_worker_retry_writes_the_same_email_again_not_a_second_one(
    session, sessions, settings, recruiter, make_offer, make_application
):
    from referral.worker import deliver_due

    application = make_application(make_offer(), status="interview")
    _plan(session, settings, application, recruiter)
    assert deliver_due(sessions, settings).sent == 1
    row = session.scalar(select(Notification))
    session.refresh(row)
    # The worker died after the hand-over, before marking the row sent: it goes again.
    row.status, row.next_attempt_at = "pending", utcnow()
    session.commit()
    assert deliver_due(sessions, settings).sent == 1
    files = list(settings.outbox_path.glob("*.eml"))
    assert len(files) == 1
    assert b"text/calendar" in files[0].read_bytes()


def test_the_receipt_links_to_the_status_page(client, session, make_offer):
    from tests.web.test_apply_form import form

    offer = make_offer()
    assert client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes())).status_code == 302
    receipt = session.scalar(select(Notification).where(Notification.kind == "receipt"))
    link = receipt.body_text.split("/status/")[1].split()[0]
    assert client.get("/status/" + link).status_code == 200
    assert "/status/" + link in receipt.body_html


@pytest.mark.parametrize("kind", [cm.MESSAGE_KIND, cm.INTERVIEW_KIND])
@pytest.mark.parametrize(
    "locale, words", [("fr", "Suivre votre candidature"), ("en", "Follow your application")]
)
def test_the_mail_templates_carry_the_status_link_in_both_languages(kind, locale, words):
    from referral.notifications.outbox import render

    context = {
        "subject": "Objet <b>",
        "body": "Bonjour <Camille>,\n\nLigne 1\nLigne 2",
        "organisation_name": "Région Exemple",
        "link": "http://localhost/status/abc",
        "recipient_name": "Camille",
    }
    subject, text, html = render(kind, locale, context)
    assert subject == "Objet <b>"
    assert words in text and "http://localhost/status/abc" in text
    assert words in html and 'href="http://localhost/status/abc"' in html
    assert "Bonjour &lt;Camille&gt;," in html and "Ligne 1<br>Ligne 2" in html
