"""The credit ledger: awards, reversals, next rounds, probation, payment, leaderboard."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.applications import credits
from referral.errors import InvalidInput
from referral.models import Application, Candidate, CreditEvent, CreditRule, utcnow
from tests.applying import *  # noqa: F403


@pytest.fixture
def credited(session, make_offer, make_user):
    """An application credited to an agent, as ``(application, agent)``."""

    def make(agent=None):
        agent = agent or make_user()
        candidate = Candidate(
            email=f"c{agent.id}-{utcnow().timestamp()}@example.org", first_name="A", last_name="B"
        )
        session.add(candidate)
        session.flush()
        app = Application(
            candidate_id=candidate.id, offer_id=make_offer().id, credited_agent_id=agent.id
        )
        session.add(app)
        session.commit()
        return app, agent

    return make


def ledger(session, app):
    rows = session.scalars(
        select(CreditEvent).where(CreditEvent.application_id == app.id).order_by(CreditEvent.id)
    )
    return [(e.milestone, e.round, e.points, e.state) for e in rows]


def move(session, app, old, new, now=None, probation_days=180):
    written = credits.on_status_change(
        session, app, old, new, actor=None, now=now, probation_days=probation_days
    )
    app.status = new
    session.commit()
    return written


def test_default_rules_are_written_when_the_table_is_empty(session):
    rules = credits.ensure_rules(session)
    session.commit()
    assert {m: r.points for m, r in rules.items()} == {
        "applied": 1,
        "shortlisted": 3,
        "interview": 5,
        "hired": 20,
    }
    assert len(session.scalars(select(CreditRule)).all()) == 4


def test_each_milestone_is_credited_once(session, credited):
    app, agent = credited()
    move(session, app, None, "new")
    move(session, app, "new", "screening")
    assert move(session, app, "screening", "screening") == []  # nothing new
    move(session, app, "screening", "interview")
    move(session, app, "interview", "offer")
    assert ledger(session, app) == [
        ("applied", 0, 1, "eligible"),
        ("shortlisted", 0, 3, "eligible"),
        ("interview", 0, 5, "eligible"),
    ]
    assert credits.agent_total(session, agent.id) == 9


def test_a_jump_credits_every_milestone_passed(session, credited):
    app, _agent = credited()
    move(session, app, None, "interview")
    assert [row[0] for row in ledger(session, app)] == ["applied", "shortlisted", "interview"]


def test_a_move_back_writes_a_negative_line_and_a_new_round_later(session, credited):
    app, agent = credited()
    move(session, app, None, "new")
    move(session, app, "new", "interview")
    move(session, app, "interview", "screening")
    assert ledger(session, app)[-1] == ("interview", 0, -5, "void")
    assert credits.agent_total(session, agent.id) == 4
    move(session, app, "screening", "interview")
    assert ledger(session, app)[-1] == ("interview", 1, 5, "eligible")
    assert credits.agent_total(session, agent.id) == 9
    # Nothing was ever deleted: 3 awards, 1 reversal, 1 award of the next round.
    assert len(ledger(session, app)) == 5


def test_rejection_keeps_what_was_reached_but_a_failed_hire_is_reversed(session, credited):
    app, agent = credited()
    move(session, app, None, "interview")
    move(session, app, "interview", "rejected")
    assert credits.agent_total(session, agent.id) == 9
    app2, agent2 = credited()
    move(session, app2, None, "hired")
    assert credits.agent_total(session, agent2.id) == 29
    move(session, app2, "hired", "withdrawn")
    assert credits.agent_total(session, agent2.id) == 9
    assert ledger(session, app2)[-1] == ("hired", 0, -20, "void")


def test_no_agent_no_credit(session, credited):
    app, _ = credited()
    app.credited_agent_id = None
    assert move(session, app, None, "hired") == []


def test_a_hire_is_pending_then_eligible_then_paid(session, credited, make_user):
    app, _agent = credited()
    now = utcnow()
    move(session, app, None, "hired", now=now, probation_days=180)
    hire = session.scalar(select(CreditEvent).where(CreditEvent.milestone == "hired"))
    assert hire.state == "pending" and hire.eligible_at == now + timedelta(days=180)
    admin = make_user()
    with pytest.raises(InvalidInput):
        credits.record_payment(
            session, hire.id, actor=admin, reward_model="bonus", now=now + timedelta(days=10)
        )
    assert credits.refresh_states(session, now + timedelta(days=181)) == 1
    credits.record_payment(
        session, hire.id, actor=admin, reward_model="bonus", now=now + timedelta(days=181)
    )
    session.commit()
    assert (hire.state, hire.paid_by_id) == ("paid", admin.id)
    # A paid hire that falls through leaves a negative line to deduct, not a void one.
    move(session, app, "hired", "withdrawn")
    assert ledger(session, app)[-1] == ("hired", 0, -20, "eligible")


def test_a_concurrent_duplicate_is_skipped_by_the_unique_key(session, credited):
    app, _ = credited()
    move(session, app, None, "new")
    # Another request wrote the same line first: the insert fails in its savepoint, skipped.
    event = CreditEvent(
        application_id=app.id,
        agent_id=app.credited_agent_id,
        milestone="applied",
        round=0,
        points=1,
    )
    assert credits._insert(session, event) is None
    session.commit()
    assert len(ledger(session, app)) == 1


def test_rules_changes_apply_to_later_credits(session, credited, make_user):
    admin = make_user()
    credits.update_rule(session, "applied", points=2, active=True, actor=admin)
    credits.update_rule(session, "shortlisted", points=3, active=False, actor=admin)
    session.commit()
    app, agent = credited()
    move(session, app, None, "screening")
    assert ledger(session, app) == [("applied", 0, 2, "eligible")]


def test_the_leaderboard_ranks_by_period_and_direction_and_hides_who_left(
    session, credited, make_user, make_direction
):
    d1, d2 = make_direction(), make_direction()
    a = make_user(direction_id=d1.id)
    b = make_user(direction_id=d2.id)
    app_a, _ = credited(a)
    app_b, _ = credited(b)
    move(session, app_a, None, "interview")
    move(session, app_b, None, "new")
    assert [(r.rank, r.agent.id, r.points) for r in credits.leaderboard(session)] == [
        (1, a.id, 9),
        (2, b.id, 1),
    ]
    assert [r.agent.id for r in credits.leaderboard(session, direction_ids={d2.id})] == [b.id]
    future = utcnow() + timedelta(days=1)
    assert credits.leaderboard(session, since=future) == []
    credits.set_on_leaderboard(session, a, False)
    session.commit()
    assert [r.agent.id for r in credits.leaderboard(session)] == [b.id]
