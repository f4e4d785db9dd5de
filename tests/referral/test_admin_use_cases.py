"""Use cases of the administration on the unit of work: the commit follows the block, a
refusal keeps nothing; the stage history and its credits are written in one place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from referral.applications import credits, status_history
from referral.errors import InvalidInput
from referral.models import AuditEvent, CreditEvent, Direction, Notification, Role, User
from referral.notifications import candidate_messages as cm
from referral.people import invitations, staff_import
from referral.unit_of_work import UnitOfWork, committing

CSV = (
    "employee_number;email;first_name;last_name;job_title;direction_code;roles\n"
    "E1;lea.petit@region.example;Léa;Petit;Juriste;;\n"
)


@pytest.fixture
def conf(app):
    return app.extensions["relais"].settings


def test_committing_keeps_the_block_s_rows_and_runs_the_commit_hooks(session):
    seen = []
    with committing(UnitOfWork(session)) as uow:
        uow.session.add(Direction(name="Finances", code="FIN"))
        uow.after_commit(lambda: seen.append("committed"))
    session.expire_all()
    assert session.scalar(select(Direction.code)) == "FIN"
    assert seen == ["committed"]


def test_committing_keeps_nothing_of_a_refused_block(session):
    seen = []
    with pytest.raises(InvalidInput), committing(UnitOfWork(session)) as uow:
        uow.session.add(Direction(name="Finances", code="FIN"))
        uow.session.flush()
        uow.after_rollback(lambda: seen.append("rolled back"))
        raise InvalidInput("refused")
    assert session.scalar(select(Direction.id)) is None
    assert seen == ["rolled back"]


def test_an_import_dry_run_writes_nothing_and_invites_nobody(session, conf, make_user):
    admin = make_user(Role.ADMIN)
    session.commit()
    with committing(UnitOfWork(session, actor=admin, settings=conf)) as uow:
        report = staff_import.import_accounts(
            uow,
            CSV.encode(),
            dry_run=True,
            invite_urls={"set_password_url": "https://x/", "sign_in_url": None},
        )
    assert report.created == ["lea.petit@region.example"] and report.invited == 0
    assert session.scalar(select(User).where(User.email == "lea.petit@region.example")) is None
    assert session.scalars(select(Notification)).all() == []


def test_an_import_invites_the_accounts_it_created(session, conf, make_user):
    admin = make_user(Role.ADMIN)
    session.commit()
    with committing(UnitOfWork(session, actor=admin, settings=conf)) as uow:
        report = staff_import.import_accounts(
            uow,
            CSV.encode(),
            invite_urls={"set_password_url": "https://relais.example/set/", "sign_in_url": None},
        )
    assert report.invited == 1
    # The request records the batch; the worker writes the e-mails.
    assert session.scalars(select(Notification)).all() == []
    assert invitations.send_queued(session, conf) == 1
    rows = session.scalars(select(Notification)).all()
    assert [r.recipient_email for r in rows] == ["lea.petit@region.example"]
    assert "https://relais.example/set/" in rows[0].body_text


def test_a_stage_change_writes_its_history_and_its_credits_at_its_moment(
    session, make_offer, make_user, make_application
):
    agent = make_user()
    application = make_application(make_offer(), agent=agent)
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    change, written = status_history.record(
        session, application, "hired", at=at, probation_days=90, reason=None
    )
    assert (change.from_status, change.to_status, change.at) == ("new", "hired", at)
    assert application.status == "hired" and application.status_changed_at == at
    hire = next(e for e in written if e.milestone == "hired")
    assert hire.state == "pending" and hire.eligible_at == at + timedelta(days=90)
    assert {e.milestone for e in written} == {"applied", "shortlisted", "interview", "hired"}
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "credit.change"))
    assert audit.at == at
    # Once the probation is over, the hire credit is eligible (the seeds do this at the end).
    credits.refresh_states(session, at + timedelta(days=91))
    assert session.get(CreditEvent, hire.id).state == "eligible"


def test_reviewed_emails_are_queued_all_or_none(
    session, conf, urls, make_offer, make_user, make_application
):
    recruiter = make_user(Role.RECRUITER)
    offer = make_offer()
    moved = [make_application(offer) for _ in range(2)]
    changes = [
        status_history.record(
            session, a, "screening", at=datetime.now(UTC), probation_days=90, by=recruiter
        )[0]
        for a in moved
    ]
    session.commit()
    drafts = [cm.propose(session, conf, c, recruiter=recruiter, urls=urls) for c in changes]
    assert all(d is not None for d in drafts)
    good, bad = changes
    answers = {good.id: ("Votre candidature", "Bonjour"), bad.id: (" ", "Texte gardé")}
    uow = UnitOfWork(session, actor=recruiter, settings=conf, urls=urls)
    with pytest.raises(cm.DraftsRefused) as refused, committing(uow):
        cm.send_reviewed(uow, drafts, answers)
    assert list(refused.value.refusals) == [(bad.id, "subject")]
    assert session.scalars(select(Notification)).all() == []

    answers[bad.id] = None  # the recruiter writes to the first candidate only
    with committing(UnitOfWork(session, actor=recruiter, settings=conf, urls=urls)) as uow:
        done = cm.send_reviewed(uow, drafts, answers)
    assert (done.sent, done.skipped) == (1, 1)
    rows = session.scalars(select(Notification)).all()
    assert [r.recipient_email for r in rows] == [moved[0].candidate.email]
