"""Applying: one transaction from the form to the credit and the notifications."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from referral.applications import applying as applications
from referral.applications import cvstore
from referral.applications.applying import OfferClosed, apply
from referral.errors import InvalidInput
from referral.models import (
    Application,
    Candidate,
    CreditEvent,
    CVFile,
    Notification,
    OfferStatus,
    Role,
    StatusChange,
    utcnow,
)
from referral.notifications import outbox as notifications
from referral.sharing.touches import Touch
from tests.applying import *  # noqa: F403
from tests.applying import apply_input, pdf_bytes, scanned_pdf_bytes


@pytest.fixture
def conf(app):
    return app.extensions["relais"].settings


def _apply(session, conf, offer, **kwargs):
    kwargs.setdefault("data", apply_input())
    kwargs.setdefault("cv_data", pdf_bytes())
    kwargs.setdefault("cv_filename", "cv.pdf")
    result = apply(session, conf, offer_id=offer.id, **kwargs)
    session.commit()
    return result


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_an_application_through_a_link_credits_the_agent_and_notifies(
    session, conf, make_offer, make_user, make_link
):
    recruiter = make_user(Role.RECRUITER)
    offer = make_offer(recruiter=recruiter)
    agent = make_user(first_name="Alice", last_name="Martin")
    link = make_link(offer=offer, agent=agent)
    result = _apply(session, conf, offer, touches=[Touch(link.code, utcnow() - timedelta(days=3))])

    app_row = result.application
    assert result.created and app_row.source == "share_link"
    assert app_row.credited_agent_id == agent.id and app_row.share_link_id == link.id
    assert app_row.attribution_reason == "LinkedIn link of Alice Martin visited 3 days before"
    assert 0 < app_row.score <= 100 and app_row.score_explanation["required_matched"] is not None
    candidate = result.candidate
    assert (candidate.email, candidate.phone) == ("marie.curie@example.org", "+33612345678")
    assert candidate.consent_at is not None
    assert candidate.retention_until >= date.today() + timedelta(days=24 * 30)
    cv = session.get(CVFile, app_row.cv_file_id)
    assert cv.text_status == "ok" and "Chef de projet" in cv.text
    stored = cvstore.path_for(conf, cv)
    assert stored.read_bytes().startswith(b"%PDF-")
    assert cv.sha256 == cvstore.sha256(stored.read_bytes()) and cv.size == stored.stat().st_size
    assert "static" not in str(stored) and cv.original_name == "cv.pdf"
    assert [(e.agent_id, e.milestone, e.points) for e in session.scalars(select(CreditEvent))] == [
        (agent.id, "applied", 1)
    ]
    kinds = sorted((n.kind, n.recipient_email) for n in session.scalars(select(Notification)))
    assert kinds == sorted(
        [
            ("receipt", "marie.curie@example.org"),
            ("new_application", offer.hiring_manager.email),
            ("new_application", recruiter.email),
            ("referral_update", agent.email),
        ]
    )
    assert session.scalar(select(StatusChange.to_status)) == "new"


def test_the_same_person_applying_again_updates_the_application(session, conf, make_offer):
    offer = make_offer()
    first = _apply(session, conf, offer)
    second = _apply(
        session,
        conf,
        offer,
        data=apply_input(email=" Marie.Curie@Example.org "),
        cv_data=pdf_bytes("Version 2 du CV"),
        locale="en",
    )
    assert not second.created and second.application.id == first.application.id
    assert count(session, Application) == 1 and count(session, Candidate) == 1
    assert count(session, CVFile) == 2  # each version kept
    assert "Version 2" in session.get(CVFile, second.application.cv_file_id).text
    receipts = session.scalars(select(Notification).where(Notification.kind == "receipt")).all()
    assert len(receipts) == 2 and "was updated" in receipts[1].subject


def test_a_later_application_to_another_offer_reuses_the_candidate(session, conf, make_offer):
    a, b = make_offer(), make_offer()
    first = _apply(session, conf, a)
    second = _apply(session, conf, b, cv_data=pdf_bytes("Autre CV"))
    assert second.created and second.candidate.id == first.candidate.id
    assert count(session, Candidate) == 1 and count(session, CVFile) == 2


def test_a_double_submission_of_one_form_makes_one_application(session, conf, make_offer):
    offer = make_offer()
    first = _apply(session, conf, offer, nonce="form-nonce-1")
    again = _apply(session, conf, offer, nonce="form-nonce-1")
    assert again.duplicate_submission and again.application.id == first.application.id
    assert count(session, CVFile) == 1 and count(session, Application) == 1
    assert count(session, Notification) == 2  # one receipt, one new_application


def test_bad_input_saves_nothing_and_writes_no_file(session, conf, make_offer):
    offer = make_offer()
    with pytest.raises(InvalidInput) as info:
        apply(
            session,
            conf,
            offer_id=offer.id,
            data=apply_input(email="nope", phone="12", first_name=" ", consent=False),
            cv_data=b"",
            cv_filename="cv.pdf",
        )
    assert info.value.errors == {
        "email": "invalid",
        "phone": "invalid",
        "first_name": "required",
        "consent": "required",
        "cv": "empty",
    }
    session.rollback()
    assert count(session, Candidate) == 0 and count(session, Application) == 0
    assert not any(conf.uploads_path.iterdir())


def test_a_failure_after_the_file_is_written_removes_it(session, conf, make_offer, monkeypatch):
    offer = make_offer()

    def boom(*_args, **_kwargs):
        raise RuntimeError("mail templates broken")

    monkeypatch.setattr(applications.notifications, "notify", boom)
    with pytest.raises(RuntimeError):
        apply(
            session,
            conf,
            offer_id=offer.id,
            data=apply_input(),
            cv_data=pdf_bytes(),
            cv_filename="a.pdf",
        )
    session.rollback()
    assert not any(conf.uploads_path.iterdir())
    assert count(session, Application) == 0


def test_a_scan_is_accepted_and_flagged(session, conf, make_offer):
    result = _apply(session, conf, make_offer(), cv_data=scanned_pdf_bytes())
    assert session.get(CVFile, result.application.cv_file_id).text_status == "no_text"


def test_a_closed_offer_takes_no_application(session, conf, make_offer):
    closed = make_offer(status=OfferStatus.CLOSED)
    past = make_offer(closing_date=date.today() - timedelta(days=1))
    for offer in (closed, past):
        with pytest.raises(OfferClosed):
            apply(
                session,
                conf,
                offer_id=offer.id,
                data=apply_input(),
                cv_data=pdf_bytes(),
                cv_filename="a.pdf",
            )


def test_stage_words_for_agents_are_neutral():
    assert applications.stage_of("rejected") == applications.stage_of("withdrawn") == "not_retained"
    assert applications.stage_of("offer") == "interview"


def test_a_strong_match_is_the_one_message_about_the_application(
    session, conf, make_offer, make_user, make_link
):
    import dataclasses

    recruiter = make_user(Role.RECRUITER, locale="en")
    manager = make_user(Role.MANAGER, locale="en")
    notifications.set_preferences(session, manager, {"new_application": "digest"})
    session.commit()
    offer = make_offer(recruiter=recruiter, hiring_manager=manager)
    agent = make_user(first_name="Alice", last_name="Martin", locale="en")
    link = make_link(offer=offer, agent=agent)
    strong = dataclasses.replace(conf, strong_match_threshold=0)
    _apply(session, strong, offer, touches=[Touch(link.code, utcnow() - timedelta(days=3))])

    kinds = sorted((n.kind, n.recipient_email) for n in session.scalars(select(Notification)))
    assert kinds == sorted(
        [
            ("receipt", "marie.curie@example.org"),
            ("strong_match", manager.email),
            ("strong_match", recruiter.email),
            ("referral_update", agent.email),
        ]
    )
    for mail in session.scalars(select(Notification).where(Notification.kind == "strong_match")):
        assert mail.status == "pending"  # at once, even for a reader of digests
        assert "Marie Curie applied for" in mail.body_text
        assert "Source: share link" in mail.body_text
        assert "(LinkedIn link of Alice Martin visited 3 days before)" in mail.body_text
        assert "LinkedIn link of Alice Martin visited 3 days before" in mail.body_html
    update = session.scalars(select(Notification).where(Notification.kind == "referral_update"))
    assert update.one().subject == f"Marie Curie has applied for “{offer.title}”"


def test_applying_through_a_deactivated_agents_link_records_the_link_without_credit(
    session, conf, make_offer, make_user, make_link
):
    offer = make_offer()
    agent = make_user(first_name="Alice", last_name="Martin")
    link = make_link(offer=offer, agent=agent)
    agent.active = False
    session.commit()
    result = _apply(session, conf, offer, ref_code=link.code)
    row = result.application
    assert (row.source, row.share_link_id, row.credited_agent_id) == ("share_link", link.id, None)
    assert "deactivated" in row.attribution_reason
    assert count(session, CreditEvent) == 0
    assert "referral_update" not in {n.kind for n in session.scalars(select(Notification))}
    # Reactivating the agent does not rewrite what was decided when the person applied.
    agent.active = True
    session.commit()
    session.refresh(row)
    assert (row.source, row.share_link_id, row.credited_agent_id) == ("share_link", link.id, None)
