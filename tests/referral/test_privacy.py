"""Erasing candidates' personal data: on request and at the end of the retention period."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from referral import worker
from referral.applications import cvstore, pipeline
from referral.applications.applying import apply
from referral.models import (
    Application,
    AuditEvent,
    Candidate,
    CandidateNote,
    CreditEvent,
    CVFile,
    DuplicateFlag,
    Role,
    utcnow,
)
from referral.offers import match_index, scoring
from referral.privacy import erasure as privacy
from referral.sharing.touches import Touch
from tests.applying import *  # noqa: F403
from tests.applying import apply_input, pdf_bytes


@pytest.fixture
def conf(app):
    return app.extensions["relais"].settings


@pytest.fixture
def applied(session, conf, make_offer, make_user, make_link):
    """Marie applied through Alice's link, with a CV, a message and a recruiter's note."""

    def make(email="marie.curie@example.org", first_name="Marie", when=None):
        offer = make_offer()
        link = make_link(offer=offer, agent=make_user(first_name="Alice"))
        when = when or utcnow()
        result = apply(
            session,
            conf,
            offer_id=offer.id,
            data=apply_input(email=email, first_name=first_name, message="Je connais Alice."),
            cv_data=pdf_bytes(f"{first_name} Curie\nChef de projet, Python, SQL"),
            cv_filename="cv.pdf",
            touches=[Touch(link.code, when - timedelta(days=1))],
            now=when,
        )
        session.add(CandidateNote(candidate_id=result.candidate.id, body="Très bon profil"))
        session.commit()
        return result.application

    return make


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_erasing_removes_the_person_and_keeps_the_figures(session, conf, applied, make_user):
    application = applied()
    candidate = application.candidate
    other = applied(email="m.curie@example.org", first_name="Marie").candidate
    assert count(session, DuplicateFlag) == 1  # same name, same city: flagged on arrival
    stored = cvstore.path_for(conf, session.get(CVFile, application.cv_file_id))
    assert stored.exists()
    recruiter = make_user(Role.RECRUITER)

    erasure = privacy.erase(session, conf, candidate, utcnow(), actor=recruiter)
    session.commit()
    assert stored.exists()  # the files go after the commit
    cv_id = application.cv_file_id
    assert cv_id in scoring.load_index(session, conf)
    erasure.complete(conf)
    assert not stored.exists()
    # The index forgets the CV text when the worker builds it again (next tick).
    assert scoring.rebuild_if_requested(session, conf)
    assert cv_id not in scoring.load_index(session, conf)
    assert not scoring.rebuild_if_requested(session, conf)  # asked once, built once

    session.expire_all()
    candidate = session.get(Candidate, candidate.id)
    assert candidate.erased_at is not None
    assert (candidate.first_name, candidate.last_name, candidate.city) == ("", "", "")
    assert candidate.email == f"erased-{candidate.id}@erased.invalid"
    assert candidate.phone is None and candidate.retention_until is None
    assert count(session, CVFile, CVFile.candidate_id == candidate.id) == 0
    assert count(session, CandidateNote, CandidateNote.candidate_id == candidate.id) == 0
    assert count(session, DuplicateFlag) == 0
    # The application stays, for the figures and the agent's credit, without the person.
    kept = session.get(Application, application.id)
    assert kept.status == "new" and kept.credited_agent_id is not None
    assert kept.message == "" and kept.score_explanation is None and kept.cv_file_id is None
    assert count(session, CreditEvent, CreditEvent.application_id == kept.id) == 1
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "candidate.erased"))
    assert [(e.actor_id, e.entity_id) for e in event] == [(recruiter.id, candidate.id)]
    # The other Marie is untouched; erasing twice does nothing more.
    assert session.get(Candidate, other.id).first_name == "Marie"
    assert privacy.erase(session, conf, candidate, utcnow()).candidates == 0


def test_the_same_person_applying_after_an_erasure_is_a_new_candidate(
    session, conf, applied, make_offer
):
    candidate = applied().candidate
    privacy.erase(session, conf, candidate, utcnow())
    session.commit()
    again = apply(
        session,
        conf,
        offer_id=make_offer().id,
        data=apply_input(),
        cv_data=pdf_bytes(),
        cv_filename="cv.pdf",
    )
    session.commit()
    assert again.candidate.id != candidate.id and again.candidate.erased_at is None


def test_the_retention_purge_spares_open_applications_and_recent_candidates(
    session, conf, applied, make_user
):
    long_ago = utcnow() - timedelta(days=3 * 365)
    done = applied(email="done@example.org", when=long_ago)
    pipeline.move(
        session, done, "rejected", actor=make_user(Role.RECRUITER), reason="profile", settings=conf
    )
    in_progress = applied(email="open@example.org", when=long_ago)
    recent = applied(email="recent@example.org")
    session.commit()

    assert [c.id for c in privacy.expired(session, utcnow())] == [done.candidate_id]
    erasure = privacy.purge_expired(session, conf, utcnow())
    session.commit()
    erasure.complete(conf)
    session.expire_all()
    assert session.get(Candidate, done.candidate_id).erased_at is not None
    assert session.get(Candidate, in_progress.candidate_id).erased_at is None
    assert session.get(Candidate, recent.candidate_id).erased_at is None


def test_the_worker_purges_daily_and_the_index_forgets_the_cv(
    session, sessions, conf, applied, make_user
):
    long_ago = utcnow() - timedelta(days=3 * 365)
    application = applied(when=long_ago)
    pipeline.move(
        session,
        application,
        "withdrawn",
        actor=make_user(Role.RECRUITER),
        reason="candidate_declined",
        settings=conf,
    )
    session.commit()
    cv_id = application.cv_file_id
    assert cv_id in scoring.load_index(session, conf)

    settings = dataclasses.replace(conf, timezone="UTC")
    now = datetime.now(UTC)
    worker.run_once(sessions, settings, now)  # the daily jobs, then the index built again
    session.expire_all()
    assert session.get(Candidate, application.candidate_id).erased_at is not None
    assert cv_id not in scoring.load_index(session, conf)
    # Once a day.
    assert "worker.retention_purge" not in worker.run_daily_jobs(sessions, settings, now)


def test_a_rebuild_asked_for_while_building_is_kept_for_the_next_tick(
    session, conf, applied, monkeypatch
):
    applied()
    match_index.request_rebuild(conf)
    real_build = scoring.build_index

    def build_while_another_erasure_asks(*args, **kwargs):
        index = real_build(*args, **kwargs)
        match_index.request_rebuild(conf)
        return index

    monkeypatch.setattr(scoring, "build_index", build_while_another_erasure_asks)
    assert scoring.rebuild_if_requested(session, conf)
    monkeypatch.setattr(scoring, "build_index", real_build)
    assert scoring.rebuild_if_requested(session, conf)  # the second request
    assert not scoring.rebuild_if_requested(session, conf)


def test_a_failed_rebuild_is_tried_again_by_the_worker(
    session, sessions, conf, applied, monkeypatch
):
    applied()
    match_index.request_rebuild(conf)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(scoring, "build_index", broken)
    worker.run_once(sessions, conf)  # logged, and the deliveries still run
    monkeypatch.undo()
    assert scoring.rebuild_if_requested(session, conf)


def test_relais_candidates_purge(runner, session, applied, make_user, conf):
    application = applied(when=utcnow() - timedelta(days=3 * 365))
    pipeline.move(
        session,
        application,
        "rejected",
        actor=make_user(Role.RECRUITER),
        reason="profile",
        settings=conf,
    )
    session.commit()
    result = runner.invoke(["candidates", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "1 candidate(s) would be erased." in result.output
    session.expire_all()
    assert session.get(Candidate, application.candidate_id).erased_at is None
    result = runner.invoke(["candidates", "purge"])
    assert "Erased the personal data of 1 candidate(s)." in result.output
    session.expire_all()
    assert session.get(Candidate, application.candidate_id).erased_at is not None


def test_only_recruiters_and_admins_may_erase(session, conf, applied, make_user):
    from referral.errors import Forbidden

    candidate = applied().candidate
    with pytest.raises(Forbidden):
        privacy.erase(session, conf, candidate, utcnow(), actor=make_user(Role.MANAGER))
    assert candidate.erased_at is None


def test_erasing_rewrites_the_messages_that_name_the_candidate(session, conf, applied, make_user):
    from referral.models import Notification, NotificationStatus
    from referral.notifications import digests

    application = applied()
    rows = list(session.scalars(select(Notification)))
    assert {r.kind for r in rows} >= {"receipt", "new_application", "referral_update"}
    staff = [r for r in rows if r.recipient_id is not None]
    assert all("Marie Curie" in r.body_text for r in staff)
    assert {r.candidate_id for r in staff} == {application.candidate_id}
    # One of them waits for its reader's daily digest, which quotes its subject.
    held = next(r for r in staff if r.kind == "new_application")
    held.status = NotificationStatus.HELD.value
    [digest] = digests.send_digests(session, utcnow() + timedelta(minutes=1))
    assert "Marie Curie" in digest.body_text
    session.commit()

    privacy.erase(session, conf, application.candidate, utcnow(), actor=make_user(Role.ADMIN))
    session.commit()
    session.expire_all()
    left = list(session.scalars(select(Notification)))
    assert "receipt" not in {r.kind for r in left}  # sent to the person: gone
    assert not any(r.recipient_email == "marie.curie@example.org" for r in left)
    for row in left:
        for text in (row.subject, row.body_text, row.body_html):
            assert "Curie" not in text
    erased = {"en": "Erased candidate", "fr": "Candidat effacé"}
    for row in [r for r in left if r.candidate_id == application.candidate_id] + [digest]:
        assert erased[row.locale] in row.body_text


def test_an_erased_candidate_takes_no_note_and_no_move(session, conf, applied, make_user):
    from referral.applications import shortlists
    from referral.errors import InvalidInput

    application = applied()
    recruiter = make_user(Role.RECRUITER)
    privacy.erase(session, conf, application.candidate, utcnow(), actor=recruiter)
    session.commit()

    with pytest.raises(InvalidInput) as refused:
        shortlists.add_note(session, application.candidate, "Marie, 06…", actor=recruiter)
    assert "personal data was erased" in str(refused.value)
    assert "body" in refused.value.errors
    with pytest.raises(pipeline.PipelineError) as refused_move:
        pipeline.move(session, application, "screening", actor=recruiter, settings=conf)
    assert "can no longer change stage" in str(refused_move.value)
    assert pipeline.targets(application, recruiter, conf) == []
    session.rollback()
    assert count(session, CandidateNote) == 0
    assert session.get(Application, application.id).status == "new"
