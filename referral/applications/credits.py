"""The credit ledger: points for the agent credited with an application, per milestone.

Rules (documented here because the pipeline relies on them):

- Milestones and the stage that reaches them: ``applied`` (new), ``shortlisted`` (screening),
  ``interview`` (interview; the offer stage counts as interview too), ``hired`` (hired).
- Moving to a pipeline stage awards every milestone up to that stage not held yet, and
  reverses every milestone held *above* it (a move back, e.g. interview → screening, is a
  correction: the interview was not reached after all).
- Rejected or withdrawn keep what was really reached (an agent who brought a person to an
  interview keeps those points) but reverse ``hired``: a hire that falls through is not a hire.
- A reversal is a compensating negative line, never a deletion. A milestone reached again
  after its reversal opens the next round. The unique key (application, milestone, round,
  reversal) of the table makes a concurrent double credit impossible: each insert runs in a
  SAVEPOINT and a duplicate is skipped.
- ``hired`` points are ``pending`` until the probation period is over, then ``eligible``, then
  ``paid`` when an admin records the payment. Other milestones are eligible at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from referral import audit
from referral.errors import InvalidInput, NotFound
from referral.models import (
    Application,
    ApplicationStatus,
    CreditEvent,
    CreditRule,
    CreditState,
    Milestone,
    User,
    utcnow,
)

if TYPE_CHECKING:
    from referral.unit_of_work import UnitOfWork

DEFAULT_POINTS = {
    Milestone.APPLIED.value: 1,
    Milestone.SHORTLISTED.value: 3,
    Milestone.INTERVIEW.value: 5,
    Milestone.HIRED.value: 20,
}
MILESTONES = [m.value for m in Milestone]  # in pipeline order
# How many milestones each pipeline stage has reached.
REACHED = {
    ApplicationStatus.NEW.value: 1,
    ApplicationStatus.SCREENING.value: 2,
    ApplicationStatus.INTERVIEW.value: 3,
    ApplicationStatus.OFFER.value: 3,
    ApplicationStatus.HIRED.value: 4,
}
ENDED = {ApplicationStatus.REJECTED.value, ApplicationStatus.WITHDRAWN.value}


def ensure_rules(session: Session) -> dict[str, CreditRule]:
    """The credit rules, the defaults written first when the table is empty."""
    rules = {r.milestone: r for r in session.scalars(select(CreditRule))}
    missing = [m for m in MILESTONES if m not in rules]
    for milestone in missing:
        try:
            with session.begin_nested():
                rule = CreditRule(
                    milestone=milestone, points=DEFAULT_POINTS[milestone], active=True
                )
                session.add(rule)
                session.flush()
            rules[milestone] = rule
        except IntegrityError:
            rules[milestone] = session.get(CreditRule, milestone)
    return rules


def current_rules(session: Session) -> dict[str, CreditRule]:
    """The credit rules as they apply now, read only: a milestone with no row yet shows its
    default, in a rule that is not added to the session, so that reading the rules (the admin's
    page) writes nothing; the first credit or the first save writes the defaults
    (:func:`ensure_rules`)."""
    rules = {r.milestone: r for r in session.scalars(select(CreditRule))}
    return {
        milestone: rules.get(milestone)
        or CreditRule(milestone=milestone, points=DEFAULT_POINTS[milestone], active=True)
        for milestone in MILESTONES
    }


def update_rule(
    session: Session, milestone: str, *, points: int, active: bool, actor: User
) -> CreditRule:
    """Change the points of a milestone (future credits only; the ledger is never rewritten)."""
    if milestone not in MILESTONES:
        raise NotFound("No such milestone.")
    if points < 0 or points > 10_000:
        raise InvalidInput("Points must be between 0 and 10000.", {"points": "range"})
    rule = ensure_rules(session)[milestone]
    before = (rule.points, rule.active)
    rule.points, rule.active = points, active
    audit.record(
        session,
        actor,
        "credit_rule.update",
        "credit_rule",
        None,
        milestone=milestone,
        before=list(before),
        after=[points, active],
    )
    return rule


def _held(events: list[CreditEvent]) -> dict[str, tuple[CreditEvent, int]]:
    """Per milestone, the award currently in force (not reversed) and its round."""
    awards: dict[tuple[str, int], CreditEvent] = {}
    reversed_keys = set()
    for event in events:
        key = (event.milestone, event.round)
        if event.is_reversal:
            reversed_keys.add(key)
        else:
            awards[key] = event
    held = {}
    for (milestone, round_), event in awards.items():
        if (milestone, round_) not in reversed_keys:
            held[milestone] = (event, round_)
    return held


def _next_round(events: list[CreditEvent], milestone: str) -> int:
    rounds = [e.round for e in events if e.milestone == milestone and not e.is_reversal]
    return max(rounds) + 1 if rounds else 0


def _insert(session: Session, event: CreditEvent) -> CreditEvent | None:
    """Add a ledger line in a savepoint; None when a concurrent request wrote it first."""
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        return None
    return event


def _events(session: Session, application: Application) -> list[CreditEvent]:
    return list(
        session.scalars(
            select(CreditEvent)
            .where(CreditEvent.application_id == application.id)
            .order_by(CreditEvent.id)
        )
    )


def on_status_change(
    session: Session,
    application: Application,
    old_status: str | None,
    new_status: str,
    *,
    actor: User | None,
    now: datetime | None = None,
    probation_days: int | None = None,
) -> list[CreditEvent]:
    """Award or compensate the credited agent's milestones for a move to ``new_status``.

    Returns the ledger lines written (none when no agent is credited, or nothing changes).
    ``probation_days`` defaults to the configured ``RELAIS_PROBATION_DAYS``.
    """
    now = now or utcnow()
    if probation_days is None:
        from referral.config import load_settings

        probation_days = load_settings().probation_days
    if application.credited_agent_id is None:
        return []
    if new_status in ENDED:
        target = None
    elif new_status in REACHED:
        target = REACHED[new_status]
    else:
        return []
    events = _events(session, application)
    held = _held(events)
    rules = ensure_rules(session)
    written: list[CreditEvent] = []
    for index, milestone in enumerate(MILESTONES, start=1):
        if target is None:
            should_hold = milestone in held and milestone != Milestone.HIRED.value
        else:
            should_hold = index <= target
        if should_hold and milestone not in held:
            rule = rules[milestone]
            if not rule.active:
                continue
            is_hire = milestone == Milestone.HIRED.value
            event = _insert(
                session,
                CreditEvent(
                    application_id=application.id,
                    agent_id=application.credited_agent_id,
                    milestone=milestone,
                    round=_next_round(events, milestone),
                    is_reversal=False,
                    points=rule.points,
                    state=CreditState.PENDING if is_hire else CreditState.ELIGIBLE,
                    eligible_at=now + timedelta(days=probation_days) if is_hire else now,
                    created_at=now,
                ),
            )
            if event is not None:
                written.append(event)
        elif not should_hold and milestone in held:
            event = _reverse(session, held[milestone][0], now)
            if event is not None:
                written.append(event)
    if written:
        audit.record(
            session,
            actor,
            "credit.change",
            "application",
            application.id,
            old_status=old_status,
            new_status=new_status,
            events=[[e.milestone, e.round, e.points] for e in written],
        ).at = now  # when the stage was reached (the seeds replay past moves)
    return written


def _reverse(session: Session, award: CreditEvent, now: datetime) -> CreditEvent | None:
    """The compensating line of ``award``. An unpaid award is voided with its reversal; a
    paid one leaves an eligible negative line, to be deducted from the next payment."""
    paid = award.state == CreditState.PAID
    reversal = _insert(
        session,
        CreditEvent(
            application_id=award.application_id,
            agent_id=award.agent_id,
            milestone=award.milestone,
            round=award.round,
            is_reversal=True,
            points=-award.points,
            reverses_id=award.id,
            state=CreditState.ELIGIBLE if paid else CreditState.VOID,
            eligible_at=now,
            created_at=now,
        ),
    )
    if reversal is not None and not paid:
        award.state = CreditState.VOID
    return reversal


def reverse_all(
    session: Session, application: Application, *, now: datetime | None = None
) -> list[CreditEvent]:
    """Compensate every milestone held by ``application`` (a duplicate removed by a merge)."""
    now = now or utcnow()
    written = []
    for award, _round in _held(_events(session, application)).values():
        event = _reverse(session, award, now)
        if event is not None:
            written.append(event)
    return written


def refresh_states(session: Session, now: datetime | None = None) -> int:
    """Pending hire credits whose probation is over become eligible; returns how many."""
    now = now or utcnow()
    due = session.scalars(
        select(CreditEvent).where(
            CreditEvent.state == CreditState.PENDING, CreditEvent.eligible_at <= now
        )
    ).all()
    for event in due:
        event.state = CreditState.ELIGIBLE
    return len(due)


def record_payment(
    session: Session,
    event_id: int,
    *,
    actor: User,
    reward_model: str,
    now: datetime | None = None,
) -> CreditEvent:
    """Mark an eligible hire credit as paid; only when the organisation pays bonuses
    (``reward_model`` "bonus"): under "recognition" points are never paid."""
    if reward_model != "bonus":
        raise InvalidInput("Points are for recognition here: they are not paid.")
    now = now or utcnow()
    event = session.get(CreditEvent, event_id)
    if event is None or event.milestone != Milestone.HIRED.value:
        raise NotFound("No such hire credit.")
    refresh_states(session, now)
    if event.state != CreditState.ELIGIBLE:
        raise InvalidInput("Only an eligible credit can be paid.", {"state": event.state})
    event.state = CreditState.PAID
    event.paid_at = now
    event.paid_by_id = actor.id
    audit.record(
        session,
        actor,
        "credit.paid",
        "credit_event",
        event.id,
        agent_id=event.agent_id,
        points=event.points,
    )
    return event


def hire_credits(session: Session) -> list[CreditEvent]:
    """Every hire credit line (awards and reversals), newest first, with agent and offer."""
    return list(
        session.scalars(
            select(CreditEvent)
            .where(CreditEvent.milestone == Milestone.HIRED.value)
            .options(
                joinedload(CreditEvent.agent),
                joinedload(CreditEvent.application).joinedload(Application.candidate),
                joinedload(CreditEvent.application).joinedload(Application.offer),
            )
            .order_by(CreditEvent.created_at.desc(), CreditEvent.id.desc())
        )
    )


def agent_events(session: Session, agent_id: int) -> list[CreditEvent]:
    """An agent's ledger lines, newest first."""
    return list(
        session.scalars(
            select(CreditEvent)
            .where(CreditEvent.agent_id == agent_id)
            .order_by(CreditEvent.created_at.desc(), CreditEvent.id.desc())
        )
    )


def agent_total(session: Session, agent_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(CreditEvent.points), 0)).where(
                CreditEvent.agent_id == agent_id
            )
        )
        or 0
    )


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    agent: User
    points: int


def leaderboard(
    session: Session,
    *,
    since: datetime | None = None,
    direction_ids: set[int] | None = None,
    limit: int = 50,
) -> list[LeaderboardRow]:
    """Agents by points earned since ``since`` (net of reversals), those who left excluded."""
    total = func.sum(CreditEvent.points).label("points")
    query = (
        select(User, total)
        .join(CreditEvent, CreditEvent.agent_id == User.id)
        .where(User.on_leaderboard.is_(True), User.active.is_(True))
        .group_by(User.id)
        .having(func.sum(CreditEvent.points) > 0)
        .order_by(total.desc(), User.last_name, User.first_name, User.id)
        .limit(limit)
    )
    if since is not None:
        query = query.where(CreditEvent.created_at >= since)
    if direction_ids is not None:
        query = query.where(User.direction_id.in_(direction_ids or {-1}))
    rows = []
    rank, previous = 0, None
    for position, (user, points) in enumerate(session.execute(query).all(), start=1):
        if points != previous:
            rank, previous = position, points
        rows.append(LeaderboardRow(rank=rank, agent=user, points=int(points)))
    return rows


def set_on_leaderboard(session: Session, user: User, visible: bool) -> None:
    user.on_leaderboard = visible
    audit.record(session, user, "leaderboard.visibility", "user", user.id, visible=visible)


# --- use cases (on the unit of work; the caller commits) ---------------------------------------


def rules_to_edit(uow: UnitOfWork) -> dict[str, CreditRule]:
    """The rules as the admin edits them, the defaults shown where none is saved yet (read only,
    see :func:`current_rules`)."""
    return current_rules(uow.session)


def save_rules(uow: UnitOfWork, rules: dict[str, tuple[int, bool]]) -> None:
    """An admin sets the points and on/off of each milestone: ``{milestone: (points, active)}``."""
    if uow.actor is None:
        raise ValueError("the credit rules are an admin's decision")
    for milestone, (points, active) in rules.items():
        update_rule(uow.session, milestone, points=points, active=active, actor=uow.actor)


def hire_credits_to_review(uow: UnitOfWork) -> list[CreditEvent]:
    """The hire credits, read only: a credit whose probation is over shows as eligible through
    :func:`state_on`; the worker's daily job (``refresh_states``) records it, and a payment
    records it first (:func:`record_payment`)."""
    return hire_credits(uow.session)


def pay(uow: UnitOfWork, event_id: int) -> CreditEvent:
    """An admin records the payment of an eligible hire credit (:func:`record_payment`)."""
    if uow.actor is None or uow.settings is None:
        raise ValueError("recording a payment needs the admin and the settings (reward model)")
    return record_payment(
        uow.session,
        event_id,
        actor=uow.actor,
        reward_model=uow.settings.reward_model,
        now=uow.now(),
    )


def state_on(event: CreditEvent, now: datetime) -> str:
    """The state a ledger line shows at ``now``: a hire credit whose probation is over reads
    as eligible even before the worker's daily job (``refresh_states``) records it, so that
    reading the ledger writes nothing."""
    if (
        event.state == CreditState.PENDING
        and event.eligible_at is not None
        and event.eligible_at <= now
    ):
        return CreditState.ELIGIBLE
    return event.state
