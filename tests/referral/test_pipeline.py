"""The pipeline rules of referral/applications/pipeline.py, on the database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from referral.applications import pipeline
from referral.config import Settings
from referral.errors import Forbidden, InvalidInput
from referral.models import (
    AuditEvent,
    CreditEvent,
    Notification,
    OfferStatus,
    Role,
    StatusChange,
)

pytest_plugins = ["tests.shortlist_fixtures"]


@pytest.fixture
def people(make_user):
    return {
        "recruiter": make_user(Role.RECRUITER),
        "agent": make_user(first_name="Aline", last_name="Agent"),
    }


def test_a_move_writes_history_audit_and_tells_the_agent_in_neutral_words(
    session, make_offer, make_application, people
):
    offer = make_offer()
    application = make_application(offer, score=80, agent=people["agent"])
    change = pipeline.move(session, application, "screening", actor=people["recruiter"])
    session.commit()

    assert application.status == "screening"
    row = session.scalars(select(StatusChange)).one()
    assert (row.from_status, row.to_status, row.by_user_id) == (
        "new",
        "screening",
        people["recruiter"].id,
    )
    assert change.id == row.id
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "application.move")).one()
    assert event.actor_id == people["recruiter"].id and event.entity_id == application.id
    assert event.details["to_status"] == "screening" and event.at is not None
    mail = session.scalars(select(Notification).where(Notification.kind == "referral_update")).one()
    assert mail.recipient_id == people["agent"].id


def test_rejecting_needs_a_reason_from_the_list_and_the_agent_never_sees_it(
    session, make_offer, make_application, people
):
    application = make_application(make_offer(), score=40, agent=people["agent"])
    with pytest.raises(InvalidInput) as missing:
        pipeline.move(session, application, "rejected", actor=people["recruiter"])
    assert "reason" in missing.value.errors
    with pytest.raises(InvalidInput):
        pipeline.move(session, application, "rejected", actor=people["recruiter"], reason="rude")
    assert session.scalars(select(StatusChange)).all() == []  # a refused move writes nothing

    pipeline.move(session, application, "rejected", actor=people["recruiter"], reason="experience")
    session.commit()
    assert application.status == "rejected" and application.rejection_reason == "experience"
    mail = session.scalars(select(Notification).where(Notification.kind == "referral_update")).one()
    assert "experience" not in mail.body_text.lower()


def test_the_list_of_rejection_reasons_is_a_setting(session, make_offer, make_application, people):
    application = make_application(make_offer())
    custom = Settings(rejection_reasons=("salary",))
    with pytest.raises(InvalidInput):
        pipeline.move(
            session,
            application,
            "rejected",
            actor=people["recruiter"],
            reason="profile",
            settings=custom,
        )
    pipeline.move(
        session,
        application,
        "rejected",
        actor=people["recruiter"],
        reason="salary",
        settings=custom,
    )
    assert application.rejection_reason == "salary"


@pytest.mark.parametrize("start", ["new", "screening", "interview", "offer", "hired"])
def test_withdrawn_from_any_stage_and_reopened_to_screening_only(
    session, make_offer, make_application, people, start
):
    application = make_application(make_offer(positions=5), status=start)
    pipeline.move(session, application, "withdrawn", actor=people["recruiter"])
    with pytest.raises(InvalidInput):
        pipeline.move(session, application, "interview", actor=people["recruiter"])
    pipeline.move(session, application, "screening", actor=people["recruiter"])
    assert application.status == "screening" and application.rejection_reason is None


@pytest.mark.parametrize("start", ["new", "screening"])
def test_no_jump_to_hired_without_a_confirmation(
    session, make_offer, make_application, people, start
):
    application = make_application(make_offer(), status=start)
    with pytest.raises(pipeline.ConfirmationRequired):
        pipeline.move(session, application, "hired", actor=people["recruiter"])
    assert application.status == start
    pipeline.move(session, application, "hired", actor=people["recruiter"], confirm=True)
    assert application.status == "hired"


def test_from_offer_to_hired_needs_no_confirmation(session, make_offer, make_application, people):
    application = make_application(make_offer(), status="offer")
    pipeline.move(session, application, "hired", actor=people["recruiter"])
    assert application.status == "hired"


def test_the_same_status_is_refused(session, make_offer, make_application, people):
    application = make_application(make_offer(), status="interview")
    with pytest.raises(InvalidInput):
        pipeline.move(session, application, "interview", actor=people["recruiter"])
    with pytest.raises(InvalidInput):
        pipeline.move(session, application, "promoted", actor=people["recruiter"])


def test_an_offer_is_filled_when_all_its_positions_are_hired_and_reopens_when_undone(
    session, make_offer, make_application, people
):
    offer = make_offer(positions=2)
    first = make_application(offer, status="offer")
    second = make_application(offer, status="offer")
    pipeline.move(session, first, "hired", actor=people["recruiter"])
    session.flush()
    assert offer.status == OfferStatus.PUBLISHED
    pipeline.move(session, second, "hired", actor=people["recruiter"])
    assert offer.status == OfferStatus.FILLED
    pipeline.move(session, second, "offer", actor=people["recruiter"])
    assert offer.status == OfferStatus.PUBLISHED
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "offer"))
    assert list(actions) == ["offer.filled", "offer.reopened"]


def test_a_hire_undone_after_the_closing_date_closes_the_offer(
    session, make_offer, make_application, people
):
    offer = make_offer(positions=1)
    application = make_application(offer, status="offer")
    pipeline.move(session, application, "hired", actor=people["recruiter"])
    assert offer.status == OfferStatus.FILLED
    offer.closing_date = date.today() - timedelta(days=1)
    pipeline.move(session, application, "withdrawn", actor=people["recruiter"])
    assert offer.status == OfferStatus.CLOSED


def test_managers_move_their_own_offers_up_to_the_configured_stage(
    session, make_offer, make_application, make_user, people
):
    manager = make_user(Role.MANAGER)
    own = make_application(make_offer(hiring_manager=manager))
    other = make_application(make_offer())
    pipeline.move(session, own, "interview", actor=manager)
    with pytest.raises(Forbidden):
        pipeline.move(session, own, "offer", actor=manager)
    with pytest.raises(Forbidden):
        pipeline.move(session, other, "screening", actor=manager)
    pipeline.move(
        session, own, "offer", actor=manager, settings=Settings(manager_max_stage="offer")
    )
    assert own.status == "offer"
    with pytest.raises(Forbidden):  # hired is always beyond a manager
        pipeline.move(
            session, own, "hired", actor=manager, settings=Settings(manager_max_stage="offer")
        )
    # Beyond the manager's stage (the default, interview), the application is out of reach.
    assert pipeline.targets(own, manager, Settings()) == []


def test_an_agent_moves_nothing(session, make_offer, make_application, people):
    application = make_application(make_offer())
    with pytest.raises(Forbidden):
        pipeline.move(session, application, "screening", actor=people["agent"])


def test_targets_list_what_the_actor_may_choose(
    session, make_offer, make_application, make_user, people
):
    manager = make_user(Role.MANAGER)
    application = make_application(make_offer(hiring_manager=manager))
    assert pipeline.targets(application, people["recruiter"], Settings()) == [
        "screening",
        "interview",
        "offer",
        "hired",
        "rejected",
        "withdrawn",
    ]
    assert pipeline.targets(application, manager, Settings()) == [
        "screening",
        "interview",
        "rejected",
        "withdrawn",
    ]


def test_bulk_move_moves_each_and_reports_the_refused(
    session, make_offer, make_application, people
):
    offer = make_offer()
    fresh = [make_application(offer) for _ in range(3)]
    closed = make_application(offer, status="rejected", rejection_reason="profile")
    report = pipeline.bulk_move(session, [*fresh, closed], "interview", actor=people["recruiter"])
    session.commit()
    assert report.moved == fresh
    assert [a for a, _exc in report.refused] == [closed]
    assert [a.status for a in fresh] == ["interview"] * 3 and closed.status == "rejected"
    assert len(session.scalars(select(StatusChange)).all()) == 3


def test_moving_to_interview_credits_the_agent_and_moving_back_reverses_it(
    session, make_offer, make_application, people
):
    """Needs ``credits.on_status_change`` of the applications branch."""
    application = make_application(make_offer(), score=70, agent=people["agent"])
    pipeline.move(session, application, "screening", actor=people["recruiter"])
    pipeline.move(session, application, "interview", actor=people["recruiter"])
    session.commit()
    events = session.scalars(
        select(CreditEvent).where(CreditEvent.agent_id == people["agent"].id)
    ).all()
    assert any(e.milestone == "interview" and e.points > 0 for e in events)
    before = sum(e.points for e in events)

    pipeline.move(session, application, "screening", actor=people["recruiter"])
    session.commit()
    events = session.scalars(
        select(CreditEvent).where(CreditEvent.agent_id == people["agent"].id)
    ).all()
    assert any(e.milestone == "interview" and e.points < 0 and e.is_reversal for e in events)
    assert sum(e.points for e in events) < before


def test_the_agent_is_told_of_progress_only_never_of_a_move_back_or_the_offer_stage(
    session, make_offer, make_application, people
):
    application = make_application(make_offer(), score=70, agent=people["agent"])
    for status in ("screening", "interview", "offer", "interview", "screening", "withdrawn"):
        pipeline.move(session, application, status, actor=people["recruiter"])
    session.commit()
    mails = session.scalars(
        select(Notification).where(Notification.kind == "referral_update").order_by(Notification.id)
    ).all()
    assert len(mails) == 3  # shortlisted, interview, not retained
    assert all(m.recipient_id == people["agent"].id for m in mails)
    assert all(m.link_url.endswith("/agent/referrals") for m in mails)


def test_bulk_hire_needs_the_confirmation_for_applications_that_skip_stages(
    session, make_offer, make_application, people
):
    offer = make_offer(positions=3)
    early = make_application(offer, status="screening")
    ready = make_application(offer, status="offer")
    report = pipeline.bulk_move(session, [early, ready], "hired", actor=people["recruiter"])
    assert report.moved == [ready]
    assert isinstance(report.refused[0][1], pipeline.ConfirmationRequired)
    report = pipeline.bulk_move(session, [early], "hired", actor=people["recruiter"], confirm=True)
    assert report.moved == [early] and early.status == "hired"


def test_a_closed_offer_becomes_filled_too_but_a_draft_does_not_change(
    session, make_offer, make_application, people
):
    closed = make_offer(status=OfferStatus.CLOSED)
    pipeline.move(
        session, make_application(closed, status="offer"), "hired", actor=people["recruiter"]
    )
    assert closed.status == OfferStatus.FILLED
    draft = make_offer(status=OfferStatus.DRAFT)
    pipeline.move(
        session, make_application(draft, status="offer"), "hired", actor=people["recruiter"]
    )
    assert draft.status == OfferStatus.DRAFT


def test_each_referral_update_says_what_happened_and_the_digest_lists_distinct_lines(
    session, make_offer, make_application, make_candidate, make_user, people
):
    from datetime import timedelta

    from referral.models import utcnow
    from referral.notifications import digests
    from referral.notifications import outbox as notifications

    offer = make_offer(title="Juriste")
    subjects = {}
    for locale in ("en", "fr"):
        agent = make_user(locale=locale)
        notifications.set_preferences(session, agent, {"referral_update": "digest"})
        application = make_application(offer, make_candidate("Zoé", "Lemaire"), agent=agent)
        for status in ("screening", "interview", "hired"):
            pipeline.move(session, application, status, actor=people["recruiter"], confirm=True)
        other = make_application(offer, make_candidate("Léo", "Roux"), agent=agent)
        pipeline.move(session, other, "withdrawn", actor=people["recruiter"])
        session.commit()
        rows = session.scalars(
            select(Notification)
            .where(Notification.recipient_id == agent.id)
            .order_by(Notification.id)
        ).all()
        subjects[locale] = [r.subject for r in rows]
        [digest] = [
            d
            for d in digests.send_digests(session, utcnow() + timedelta(minutes=1))
            if d.recipient_id == agent.id
        ]
        for subject in subjects[locale]:
            assert subject in digest.body_text  # one line per event, each its own
    assert subjects["en"] == [
        "Zoé Lemaire’s application for “Juriste” is being reviewed",
        "Zoé Lemaire moves to interview for “Juriste”",
        "Zoé Lemaire has been recruited for “Juriste”",
        "The process for “Juriste” has ended for Léo Roux",
    ]
    # French (whatever the state of the catalogue): four different lines, each naming them.
    assert len(set(subjects["fr"])) == 4
    assert all("Zoé Lemaire" in s for s in subjects["fr"][:3]) and "Léo Roux" in subjects["fr"][3]


def test_a_referral_update_never_names_nobody(session):
    from referral.notifications import outbox as notifications

    for locale, label in (("en", "Erased candidate"), ("fr", "Candidat effacé")):
        context = {"candidate_name": "", "offer_title": "Juriste", "stage": "hired"}
        subject, text, html = notifications.render(
            "referral_update", locale, {"recipient_name": "Aline", "link": "x", **context}
        )
        assert subject.startswith(label) and "Juriste" in subject
        assert label in text and label in html
