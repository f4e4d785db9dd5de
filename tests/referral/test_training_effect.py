"""The training effect: whole weeks, clean groups, and an interval that covers the truth.

The simulations draw weekly counts per agent (Poisson, each agent with its own rate, a common
trend for everybody) with a known effect, and check the interval's coverage over 200 seeds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from referral.analytics import rollup
from referral.analytics import training_effect as te
from referral.errors import InvalidInput, NotFound
from referral.models import (
    Application,
    Candidate,
    Channel,
    ShareLink,
    StatusChange,
    Training,
    TrainingAttendee,
    Visit,
)

ZONE = "Europe/Paris"
TODAY = date(2026, 6, 17)  # a Wednesday


# --- windows ---------------------------------------------------------------------------------


def test_a_training_held_yesterday_is_in_progress_with_nothing_to_compare():
    k, before, after = te.windows(TODAY - timedelta(days=1), 8, TODAY)
    assert k == 0 and before.weeks == after.weeks == 0


def test_only_whole_weeks_after_the_training_week_count():
    held = date(2026, 5, 27)  # Wednesday; its week starts Monday 25 May
    k, before, after = te.windows(held, 8, TODAY)
    # Weeks of 1 June and 8 June are over by Wednesday 17 June; the week of 15 June is not.
    assert k == 2
    assert after == te.Window(date(2026, 6, 1), date(2026, 6, 15), 2)
    assert before == te.Window(date(2026, 5, 11), date(2026, 5, 25), 2)
    # On Monday 15 June the week of 8 June has just ended.
    assert te.windows(held, 8, date(2026, 6, 15))[0] == 2
    assert te.windows(held, 8, date(2026, 6, 14))[0] == 1


def test_an_old_training_has_its_whole_window():
    k, before, after = te.windows(date(2026, 1, 7), 8, TODAY)
    assert k == 8 and after.weeks == 8 and before.end == date(2026, 1, 5)
    assert before.start == date(2025, 11, 10) and after.end == date(2026, 3, 9)
    assert after.week_starts[0] == date(2026, 1, 12)


# --- the estimate ----------------------------------------------------------------------------


def _simulate(rng, effect: float, n_a=30, n_b=30, n_never=60, weeks=8):
    """Weekly shares of three groups over 30 weeks: cohort A trained in week 10, cohort B in
    week 22, the others never. Everybody follows a common trend (+0.5 per week from week 6);
    the trained share ``effect`` more per week after their training."""
    total = 30
    trend = np.where(np.arange(total) >= 6, 0.5, 0.0)
    groups = {"a": (n_a, 10), "b": (n_b, 22), "never": (n_never, None)}
    data = {}
    agent = 0
    for name, (n, trained) in groups.items():
        for _ in range(n):
            base = rng.gamma(2.0, 1.0)
            lam = base + trend
            if trained is not None:
                lam = lam + np.where(np.arange(total) > trained, effect, 0.0)
            data[agent] = (name, rng.poisson(lam))
            agent += 1
    training_week = 10
    before = slice(training_week - weeks, training_week)
    after = slice(training_week + 1, training_week + 1 + weeks)

    def rates(names):
        return {
            a: (counts[before].mean(), counts[after].mean())
            for a, (name, counts) in data.items()
            if name in names
        }

    return rates({"a"}), rates({"never"}), rates({"b"})


@pytest.mark.parametrize("comparison", ["never", "later"])
def test_a_known_effect_is_recovered_and_covered_in_most_simulations(comparison):
    effect, covered, estimates = 1.5, 0, []
    for seed in range(200):
        treated, never, later = _simulate(np.random.default_rng(seed), effect)
        result = te.difference_in_differences(treated, never if comparison == "never" else later)
        estimates.append(result.effect)
        covered += result.low <= effect <= result.high
        assert result.treated_n == 30 and result.confidence == 0.95
    assert covered >= 180
    assert abs(np.mean(estimates) - effect) < 0.1


def test_without_an_effect_the_interval_contains_zero_in_most_simulations():
    contains_zero = 0
    for seed in range(200):
        treated, never, _ = _simulate(np.random.default_rng(1000 + seed), 0.0)
        result = te.difference_in_differences(treated, never)
        contains_zero += result.low <= 0 <= result.high
        assert result.measurable == (not result.low <= 0 <= result.high)
    assert contains_zero >= 180


def test_a_clear_effect_is_measurable_and_the_means_are_per_agent_per_week():
    treated = {i: (1.0, 4.0 + (i % 2) * 0.5) for i in range(10)}  # changes 3 and 3.5
    comparison = {100 + i: (1.0, 1.5 + (i % 2) * 0.5) for i in range(20)}  # 0.5 and 1
    result = te.difference_in_differences(treated, comparison)
    assert result.effect == pytest.approx(2.5)
    assert 2 < result.low < 2.5 < result.high < 3 and result.measurable
    assert result.treated_before == pytest.approx(1.0)
    assert result.treated_after == pytest.approx(4.25)
    assert result.comparison_n == 20 and "SciPy" in result.method


def test_too_few_agents_give_no_effect():
    result = te.difference_in_differences({1: (0.0, 3.0)}, {2: (0.0, 0.0), 3: (1.0, 1.0)})
    assert result.effect is None and result.low is None and not result.measurable


def test_no_variation_at_all_gives_an_exact_zero():
    result = te.difference_in_differences({1: (0, 0), 2: (0, 0)}, {3: (0, 0), 4: (0, 0)})
    assert result.effect == result.low == result.high == 0 and not result.measurable


# --- from the database -----------------------------------------------------------------------


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _train(session, held_on: date, people) -> Training:
    training = Training(title=f"Formation {held_on}", audience="agents", held_on=held_on)
    session.add(training)
    session.flush()
    for person in people:
        session.add(TrainingAttendee(training_id=training.id, user_id=person.id))
    session.flush()
    return training


@pytest.fixture
def cohorts(session, make_user, make_offer, make_direction):
    """Directors trained on 7 January, agents on 4 March (both Wednesdays), a later cohort on
    1 June 2026, others never. Each agent creates one link a week; the agents of 4 March
    create two more a week after their training, and one of their links brings a hire."""
    directors = [make_user() for _ in range(4)]
    agents = [make_user() for _ in range(6)]
    later = [make_user() for _ in range(5)]
    never = [make_user() for _ in range(7)]
    left = make_user()
    direction = make_direction()
    offers = [make_offer(direction=direction, hiring_manager=directors[0]) for _ in range(9)]
    channels = [c.value for c in Channel]
    left.active = False
    first = _train(session, date(2026, 1, 7), directors)
    second = _train(session, date(2026, 3, 4), [*agents, left])
    third = _train(session, date(2026, 6, 1), later)
    monday = date(2026, 1, 5)
    for week in range(20):
        day = monday + timedelta(weeks=week, days=1)
        for person in [*directors, *agents, *later, *never]:
            extra = 2 if person in agents and day > date(2026, 3, 8) else 0
            for i in range(1 + extra):
                session.add(
                    ShareLink(
                        code=f"w{week}-{person.id}-{i}",
                        offer=offers[(week * 3 + i) // 7],
                        agent=person,
                        channel=channels[(week * 3 + i) % 7],
                        created_at=_at(day),
                    )
                )
    session.flush()
    row = session.scalars(
        select(ShareLink).where(
            ShareLink.agent_id == agents[0].id, ShareLink.created_at == _at(date(2026, 3, 17))
        )
    ).first()
    for i in range(3):
        session.add(
            Visit(
                link_id=row.id,
                occurred_at=row.created_at,
                visitor_hash=f"v{i}",
                is_bot=False,
                is_new_person=True,
            )
        )
    candidate = Candidate(email="hire@example.org", first_name="C", last_name="H")
    app = Application(
        candidate=candidate,
        offer=row.offer,
        source="share_link",
        share_link=row,
        credited_agent=agents[0],
        created_at=_at(date(2026, 3, 17)),
        status="hired",
    )
    session.add(app)
    session.flush()
    session.add(StatusChange(application=app, to_status="hired", at=_at(date(2026, 3, 24))))
    session.commit()
    return {
        "trainings": (first, second, third),
        "directors": directors,
        "agents": agents,
        "later": later,
        "never": never,
        "left": left,
    }


def _ids(people):
    return tuple(sorted(p.id for p in people))


def test_the_comparison_group_never_holds_another_trainings_attendee(session, cohorts):
    _, second, third = cohorts["trainings"]
    design = te.training_design(session, second.id, today=TODAY, zone=ZONE, weeks=8)
    assert design.treated_ids == _ids(cohorts["agents"])  # the one who left is in no group
    # The directors trained in January are not "untrained"; the later cohort, trained after
    # the window's end (4 May), still is during it.
    assert design.comparison_ids == _ids([*cohorts["later"], *cohorts["never"]])
    assert not set(design.comparison_ids) & {d.id for d in cohorts["directors"]}
    assert design.comparison_rule == "never_trained" and not design.in_progress

    staggered = te.training_design(
        session, second.id, today=TODAY, zone=ZONE, weeks=8, comparison="later_cohort"
    )
    assert staggered.comparison_ids == _ids(cohorts["later"])
    assert staggered.comparison_rule == "later_cohort"
    # The later cohort's own window reaches 3 August: nobody later, so nobody to compare.
    own = te.training_design(session, third.id, today=date(2026, 9, 1), zone=ZONE, weeks=8)
    assert not set(own.comparison_ids) & {p.id for p in cohorts["agents"] + cohorts["directors"]}


def test_a_known_effect_is_measured_from_the_database(session, cohorts):
    _, second, _ = cohorts["trainings"]
    rollup.refresh_visit_days(session, ZONE)
    design = te.training_design(session, second.id, today=TODAY, zone=ZONE, weeks=8)
    effects = te.training_effects(session, design, ZONE)
    links = effects["links"]
    assert links.effect == pytest.approx(2.0) and links.measurable
    assert links.treated_before == pytest.approx(1.0) and links.treated_after == pytest.approx(3.0)
    assert links.comparison_before == links.comparison_after == pytest.approx(1.0)
    assert (links.treated_n, links.comparison_n) == (6, 12)
    # One application and one hire for six agents in eight weeks: not a result.
    assert effects["applications"].treated_after == pytest.approx(1 / 6 / 8)
    assert not effects["applications"].measurable and not effects["hires"].measurable
    assert effects["hires"].treated_after == pytest.approx(1 / 6 / 8)
    assert effects["people"].treated_after == pytest.approx(3 / 6 / 8)
    assert set(effects) == set(te.MEASURES)


def test_a_training_held_yesterday_shows_no_effect(session, cohorts, make_user):
    training = _train(session, TODAY - timedelta(days=1), [make_user() for _ in range(5)])
    session.commit()
    design = te.training_design(session, training.id, today=TODAY, zone=ZONE)
    assert design.in_progress and not design.enough and design.observed_weeks == 0
    assert te.training_effects(session, design, ZONE) == {}


def test_a_young_training_is_compared_on_its_observed_weeks(session, cohorts):
    _, second, _ = cohorts["trainings"]
    design = te.training_design(session, second.id, today=date(2026, 3, 25), zone=ZONE, weeks=8)
    assert design.in_progress and design.enough and design.observed_weeks == 2
    assert design.before.start == date(2026, 2, 16) and design.after.end == date(2026, 3, 23)
    effects = te.training_effects(session, design, ZONE)
    assert effects["links"].effect == pytest.approx(2.0)


def test_bad_requests(session, cohorts):
    with pytest.raises(NotFound):
        te.training_design(session, 999999, today=TODAY, zone=ZONE)
    with pytest.raises(InvalidInput):
        te.training_design(session, cohorts["trainings"][0].id, today=TODAY, zone=ZONE, weeks=0)
    with pytest.raises(InvalidInput):
        te.training_design(
            session, cohorts["trainings"][0].id, today=TODAY, zone=ZONE, comparison="x"
        )
