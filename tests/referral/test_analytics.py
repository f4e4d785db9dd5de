"""Analytics figures checked against the hand-counted fixtures of analytics_fixtures.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from referral.analytics import funnel as funnels
from referral.analytics import leaderboards, rollup, scope, training_effect, weekly
from referral.analytics.scope import Filters, Period
from referral.errors import Forbidden, InvalidInput, NotFound
from referral.local_calendar import day_number
from referral.models import Role, Training, TrainingAttendee, VisitDay, VisitDayZone
from tests.referral.analytics_fixtures import (
    MARCH,
    ZONE,
    application,
    at,
    build_base,
    link,
    roll_up,
    unlink_directions,
    visits,
)


@pytest.fixture
def base(session, make_direction, make_user, make_offer):
    yield build_base(session, make_direction, make_user, make_offer)
    unlink_directions(session)


@pytest.fixture
def recruiter(make_user):
    return make_user(Role.RECRUITER)


def test_funnel_totals_and_conversion(session, base, recruiter):
    f = funnels.funnel(session, recruiter, MARCH, grouping="offer")
    t = f.total
    # Links in March: L1, L2, L3 (L0 was created in February).
    assert t.links == 3
    # People: L1 3 (the repeat is not a new person), L2 1, L3 2, L0 1 (its February visit is out).
    assert (t.people, t.bots) == (7, 3)
    # Applications A1–A5 (A6 is in April); A1, A2, A5 through links.
    assert (t.applications, t.from_links) == (5, 3)
    # Shortlisted: A1 (screening, then rejected: still counts), A2, A3; interviews A2, A3; hire A2.
    assert (t.shortlisted, t.interviews, t.hires) == (3, 2, 1)
    assert t.rates["application_to_shortlist"] == pytest.approx(3 / 5)
    assert t.rates["people_to_application"] == pytest.approx(3 / 7)
    assert t.rates["shortlist_to_interview"] == pytest.approx(2 / 3)
    assert t.rates["interview_to_hire"] == pytest.approx(1 / 2)
    # First application: offer1 A4 after 1 day, offer2 A5 after 10 days; offer1 filled in 8 days.
    assert t.days_to_first_application == pytest.approx(5.5)
    assert t.days_to_fill == pytest.approx(8.0)
    by_offer = {r.key: r for r in f.rows}
    one, two = by_offer[base.offer1.id], by_offer[base.offer2.id]
    assert (one.links, one.people, one.bots, one.applications) == (2, 4, 2, 4)
    assert (one.shortlisted, one.interviews, one.hires) == (3, 2, 1)
    assert (one.days_to_first_application, one.days_to_fill) == (pytest.approx(1), pytest.approx(8))
    assert (two.links, two.people, two.bots, two.applications, two.shortlisted) == (1, 3, 1, 1, 0)
    assert two.days_to_fill is None
    assert "Offre un" in one.label


def test_funnel_by_channel_and_agent(session, base, recruiter):
    rows = {r.key: r for r in funnels.funnel(session, recruiter, MARCH, grouping="channel").rows}
    assert (rows["linkedin"].links, rows["linkedin"].people, rows["linkedin"].applications) == (
        2,
        5,
        3,
    )
    assert (rows["email"].links, rows["email"].people) == (1, 1)
    assert rows["whatsapp"].people == 1
    assert rows["referral"].applications == 1 and rows["careers"].applications == 1
    # Time to first application through LinkedIn: offer1 A1 after 2 days, offer2 A5 after 10.
    assert rows["linkedin"].days_to_first_application == pytest.approx(6)
    agents = funnels.funnel(session, recruiter, MARCH, grouping="agent")
    by_agent = {r.key: r for r in agents.rows}
    assert (by_agent[base.a1.id].people, by_agent[base.a1.id].applications) == (4, 2)
    assert by_agent[None].applications == 1  # the careers-site application
    assert by_agent[base.a1.id].days_to_first_application is None  # totals only
    assert agents.total.days_to_first_application == pytest.approx(5.5)


def test_funnel_filters_direction_includes_sub_directions(session, base, recruiter):
    f = funnels.funnel(session, recruiter, MARCH, Filters(direction_id=base.root.id), "direction")
    assert [r.key for r in f.rows] == [base.child.id]
    assert (f.total.links, f.total.people, f.total.applications) == (2, 4, 4)
    f = funnels.funnel(session, recruiter, MARCH, Filters(channel="email"), "offer")
    assert (f.total.links, f.total.people, f.total.applications) == (1, 1, 0)
    f = funnels.funnel(session, recruiter, MARCH, Filters(agent_id=base.a1.id), "offer")
    assert (f.total.links, f.total.people, f.total.applications, f.total.hires) == (1, 4, 2, 1)


def test_manager_sees_only_own_direction(session, base, make_user):
    manager = make_user(Role.MANAGER, direction_id=base.root.id)
    f = funnels.funnel(session, manager, MARCH, grouping="offer")
    assert [r.key for r in f.rows] == [base.offer1.id]
    assert (f.total.links, f.total.people, f.total.applications) == (2, 4, 4)
    # A filter on another direction cannot widen the scope.
    f = funnels.funnel(session, manager, MARCH, Filters(direction_id=base.other.id), "offer")
    assert (f.total.links, f.total.people, f.total.applications) == (0, 0, 0)
    lonely = make_user(Role.MANAGER)  # no direction: sees nothing
    assert funnels.funnel(session, lonely, MARCH).total.people == 0
    board = leaderboards.agent_leaderboard(session, manager, MARCH)
    assert {r.key for r in board} == {base.a1.id, base.a2.id}
    with pytest.raises(Forbidden):
        funnels.funnel(session, make_user(), MARCH)


def test_weekly_series(session, base, recruiter):
    weeks = weekly.weekly(session, recruiter, MARCH)
    assert [w.start for w in weeks] == [
        date(2026, 2, 23),
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
        date(2026, 3, 23),
        date(2026, 3, 30),
    ]
    by_start = {w.start: w for w in weeks}
    first, second = by_start[date(2026, 3, 2)], by_start[date(2026, 3, 9)]
    # Week of 2 March: a1 (L1, and L0's visit) and a2 (L2); people L1 2 + L2 1 + L0 1.
    assert (first.agents, first.people) == (2, 4)
    assert (first.referral_applications, first.careers_applications) == (3, 1)
    # Week of 9 March: a1 (a visit on L1) and a3 (L3); people 1 + 2; A5.
    assert (second.agents, second.people, second.referral_applications) == (2, 3, 1)
    assert sum(w.people for w in weeks) == 7
    assert by_start[date(2026, 2, 23)].agents == 0


def test_leaderboards_exclude_agents_who_left_or_opted_out(session, base, recruiter, make_user):
    gone = make_user(direction_id=base.child.id)
    gone.active = False
    hidden = make_user(direction_id=base.child.id)
    hidden.on_leaderboard = False
    for agent in (gone, hidden):
        row = link(session, agent, base.offer1, "copy", at(3, 5))
        visits(session, row, at(3, 6), people=9)
    session.commit()
    board = leaderboards.agent_leaderboard(session, recruiter, MARCH)
    # By applications: a1 (2), then a3 and a2 (1 each; a3 reached more people).
    assert [r.key for r in board] == [base.a1.id, base.a3.id, base.a2.id]
    a1 = board[0]
    assert (a1.links, a1.people, a1.applications, a1.hires, a1.points) == (1, 4, 2, 1, 60)
    assert a1.direction == "Child"
    by_people = leaderboards.agent_leaderboard(session, recruiter, MARCH, sort="people")
    assert by_people[0].key == base.a1.id and by_people[0].people == 4
    directions = {r.key: r for r in leaderboards.direction_leaderboard(session, recruiter, MARCH)}
    assert (directions[base.child.id].agents, directions[base.child.id].people) == (1, 4)
    assert directions[base.other.id].applications == 1


def test_bad_inputs(session, recruiter):
    with pytest.raises(InvalidInput):
        Period(date(2026, 3, 2), date(2026, 3, 1), ZONE)
    with pytest.raises(InvalidInput):
        funnels.funnel(session, recruiter, MARCH, grouping="nope")
    with pytest.raises(InvalidInput):
        leaderboards.leaderboards(session, recruiter, MARCH, sort="nope")
    with pytest.raises(NotFound):
        scope.agent_name(session, recruiter, 999999)


def test_visit_roll_up_is_exact_and_incremental(session, base, recruiter):
    before = funnels.funnel(session, recruiter, MARCH).total
    # The worker rolled up every day; the table holds one row per link and day.
    assert session.scalar(select(func.sum(VisitDay.people))) == 8  # 7 in March + 1 in February
    assert rollup.refresh_visit_days(session, ZONE) == 0  # nothing new: nothing written
    assert rollup.status(session, ZONE).current
    # A visit arriving later on the last day rolled up, and one on a new day.
    visits(session, base.links["L3"], at(3, 11, 18), people=1)
    visits(session, base.links["L2"], at(3, 20), people=2, bots=1)
    session.commit()
    # Reading writes nothing: the figures stay those of the last roll-up, and say so.
    assert funnels.funnel(session, recruiter, MARCH).total == before
    state = rollup.status(session, ZONE)
    assert not state.current and state.rolled_up_at is not None
    rolled_at = datetime.now(UTC)
    rollup.refresh_visit_days(session, ZONE, now=rolled_at)
    session.commit()
    after = funnels.funnel(session, recruiter, MARCH).total
    assert (after.people, after.bots) == (before.people + 3, before.bots + 1)
    assert rollup.status(session, ZONE) == rollup.RollupStatus(True, rolled_at)
    rollup.refresh_visit_days(session, ZONE, rebuild=True)
    # One row per link and day with visits: L1 ×3 days, L2 ×2, L3 ×1, L0 ×2.
    assert session.scalar(select(func.count()).select_from(VisitDay)) == 8
    # Visits: 12 in the fixture (L1 6, L2 1, L3 3, L0 2) and the 4 just added.
    assert session.scalar(select(func.sum(VisitDay.visits))) == 16
    assert funnels.funnel(session, recruiter, MARCH).total.people == before.people + 3


def test_never_rolled_up_is_not_current_unless_there_is_no_visit(session, make_user, make_offer):
    assert rollup.status(session, ZONE) == rollup.RollupStatus(True, None)
    offer = make_offer(published_at=at(3, 2))
    visits(session, link(session, make_user(), offer, "linkedin", at(3, 2)), at(3, 3), people=1)
    session.commit()
    assert rollup.status(session, ZONE) == rollup.RollupStatus(False, None)
    rollup.refresh_visit_days(session, ZONE)
    session.commit()
    assert rollup.status(session, ZONE).current
    # Another time zone: the roll-up counts other days, so it is not current there.
    assert not rollup.status(session, "UTC").current


def test_chart_geometry():
    from web import charts

    assert [charts.nice_ceiling(v) for v in (0, 0.3, 7, 10, 11, 240)] == [1, 0.5, 10, 10, 20, 250]
    bars = charts.bar_chart([("a", 10, "10"), ("b", 5, "5")])
    assert bars.bars[1].width == bars.bars[0].width / 2
    lines = charts.line_chart(["w1", "w2", "w3"], [("s", [0, 5, 10])], marker_index=1)
    first, _middle, last = lines.lines[0].points.split()
    assert float(first.split(",")[1]) == lines.bottom and float(last.split(",")[1]) == lines.top
    assert lines.left < lines.marker_x < lines.right


def test_interval_chart_is_centred_on_zero_and_draws_only_estimates():
    from web import charts

    chart = charts.interval_chart(
        [
            ("measured", 0.5, 0.25, 0.75, True, "+0.5"),
            ("contains 0", -0.1, -0.4, 0.2, False, "-0.1"),
            ("too early", None, None, None, False, "Too early to compare"),
        ]
    )
    measured, around_zero, early = chart.rows
    # Symmetric axis: 0 in the middle of the plot, the largest bound within it.
    assert chart.zero_x == (chart.left + chart.right) / 2
    assert [label for _x, label in chart.ticks] == ["-1", "-0.5", "0", "0.5", "1"]
    assert measured.x_low < measured.x < measured.x_high and measured.x_low > chart.zero_x
    assert around_zero.x_low < chart.zero_x < around_zero.x_high
    assert early.x is None and early.text == "Too early to compare"
    assert measured.y < around_zero.y < early.y < chart.height


# --- the organisation's calendar (Europe/Paris), not UTC's -----------------------------------

# Each season: the Monday a week starts, the instants (UTC) still on the Sunday before in
# Paris, and those already on the Monday. Winter is UTC+1: 22:30 UTC is 23:30 on Sunday,
# 23:30 UTC is 00:30 on Monday. Summer is UTC+2: 21:30 UTC is 23:30 on Sunday, 22:30 and
# 23:30 UTC are 00:30 and 01:30 on Monday.
SEASONS = {
    "winter": (
        date(2026, 2, 2),
        [datetime(2026, 2, 1, 22, 30, tzinfo=UTC)],
        [datetime(2026, 2, 1, 23, 30, tzinfo=UTC)],
    ),
    "summer": (
        date(2026, 7, 6),
        [datetime(2026, 7, 5, 21, 30, tzinfo=UTC)],
        [datetime(2026, 7, 5, 22, 30, tzinfo=UTC), datetime(2026, 7, 5, 23, 30, tzinfo=UTC)],
    ),
}


@dataclass
class AroundMidnight:
    monday: date
    sunday_agents: list
    monday_agents: list


def around_midnight(session, make_user, make_offer, season: str) -> AroundMidnight:
    """One agent per instant of the season: a share link created then, one person reached
    then, one application through the link then."""
    monday, sunday_times, monday_times = SEASONS[season]
    offer = make_offer(published_at=datetime(2026, 1, 5, 10, tzinfo=UTC))
    agents = {}
    for when in [*sunday_times, *monday_times]:
        agent = agents[when] = make_user(first_name="Minuit", last_name=when.strftime("%H%M"))
        row = link(session, agent, offer, "linkedin", when)
        visits(session, row, when, people=1)
        application(session, offer, when, source="share_link", link_row=row, agent=agent)
    session.commit()
    return AroundMidnight(
        monday, [agents[t] for t in sunday_times], [agents[t] for t in monday_times]
    )


@pytest.mark.parametrize("season", SEASONS)
def test_days_and_weeks_are_those_of_the_organisation(
    session, make_user, make_offer, recruiter, season
):
    case = around_midnight(session, make_user, make_offer, season)
    sunday, monday = case.monday - timedelta(days=1), case.monday
    n_sunday, n_monday = len(case.sunday_agents), len(case.monday_agents)
    # The roll-up counts each visit on its day in Paris.
    rollup.refresh_visit_days(session, ZONE)
    rolled = dict(
        session.execute(
            select(VisitDay.day, func.sum(VisitDay.people)).group_by(VisitDay.day)
        ).all()
    )
    assert rolled == {
        day_number(sunday): n_sunday,
        day_number(monday): n_monday,
    }
    # Weeks start on Monday at 00:00 in Paris.
    weeks = weekly.weekly(session, recruiter, Period(sunday, monday, ZONE))
    assert [w.start for w in weeks] == [monday - timedelta(weeks=1), monday]
    before, after = weeks
    assert (before.agents, before.people, before.referral_applications) == (n_sunday,) * 3
    assert (after.agents, after.people, after.referral_applications) == (n_monday,) * 3
    # A period of one day starts and ends at midnight in Paris.
    for day, n in ((sunday, n_sunday), (monday, n_monday)):
        total = funnels.funnel(session, recruiter, Period(day, day, ZONE)).total
        assert (total.links, total.people, total.applications) == (n, n, n)
        board = leaderboards.agent_leaderboard(session, recruiter, Period(day, day, ZONE))
        expected = case.sunday_agents if day == sunday else case.monday_agents
        assert {r.key for r in board} == {a.id for a in expected}
        assert sum(r.people for r in board) == n


def test_a_period_is_bounded_by_local_midnights():
    winter = Period(date(2026, 2, 2), date(2026, 2, 8), ZONE)
    assert winter.start_at == datetime(2026, 2, 1, 23, tzinfo=UTC)
    assert winter.end_at == datetime(2026, 2, 8, 23, tzinfo=UTC)
    # The clocks go forward on Sunday 29 March: that week is 167 hours long.
    spring = Period(date(2026, 3, 23), date(2026, 3, 29), ZONE)
    assert spring.start_at == datetime(2026, 3, 22, 23, tzinfo=UTC)
    assert spring.end_at == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert Period.last(7, date(2026, 7, 6), ZONE).start_at == datetime(2026, 6, 29, 22, tzinfo=UTC)


@pytest.mark.parametrize("season", SEASONS)
def test_a_trainings_weeks_start_at_local_midnight(session, make_user, make_offer, season):
    """The training is held two weeks after the case's Monday: with a two-week window, the
    before-period starts that Monday at 00:00 in Paris, and the Sunday just before it is in
    neither period."""
    case = around_midnight(session, make_user, make_offer, season)
    rollup.refresh_visit_days(session, ZONE)
    training = Training(
        title="Minuit", audience="agents", held_on=case.monday + timedelta(weeks=2, days=2)
    )
    session.add(training)
    session.flush()
    for agent in [*case.sunday_agents, *case.monday_agents]:
        session.add(TrainingAttendee(training_id=training.id, user_id=agent.id))
    session.commit()
    design = training_effect.training_design(
        session, training.id, today=case.monday + timedelta(weeks=6), zone=ZONE, weeks=2
    )
    assert design.before.start == case.monday
    rates = training_effect.agent_rates(session, design, ZONE)
    for measure in ("links", "people", "applications"):
        treated, _comparison = rates[measure]
        # Two weeks before: each Monday agent did one thing in the first, none in the second.
        assert {a.id: treated[a.id] for a in case.monday_agents} == {
            a.id: (0.5, 0.0) for a in case.monday_agents
        }, measure
        assert {a.id: treated[a.id] for a in case.sunday_agents} == {
            a.id: (0.0, 0.0) for a in case.sunday_agents
        }, measure


def test_the_roll_up_is_rebuilt_in_a_new_time_zone(session, make_user, make_offer):
    case = around_midnight(session, make_user, make_offer, "winter")
    sunday, monday = case.monday - timedelta(days=1), case.monday

    def days():
        per_day = select(VisitDay.day, func.sum(VisitDay.people)).group_by(VisitDay.day)
        return sorted(session.execute(per_day).all()), session.scalars(
            select(VisitDayZone.zone)
        ).all()

    rollup.refresh_visit_days(session, ZONE)
    paris = ([(day_number(sunday), 1), (day_number(monday), 1)], [ZONE])
    assert days() == paris
    # RELAIS_TIMEZONE changed: both visits are on Sunday 1 February in UTC.
    rollup.refresh_visit_days(session, "UTC")
    assert days() == ([(day_number(sunday), 2)], ["UTC"])
    assert rollup.refresh_visit_days(session, "UTC") == 0  # up to date: nothing written
    rollup.refresh_visit_days(session, ZONE)
    assert days() == paris


# --- the share of agents who shared, per direction and month --------------------------------


def test_share_of_agents_who_shared_per_direction_and_month(
    session, make_user, make_offer, make_direction
):
    finances, small = make_direction("Finances"), make_direction("Petite direction")
    agents = [make_user(direction_id=finances.id) for _ in range(5)]
    few = [make_user(direction_id=small.id) for _ in range(3)]
    left = make_user(direction_id=finances.id)
    left.active = False
    offer = make_offer(published_at=at(1, 5))
    link(session, agents[0], offer, "linkedin", at(2, 20))  # created in February
    old = link(session, agents[1], offer, "email", at(1, 10))  # created in January...
    visits(session, old, at(2, 3), people=1)  # ...reaches a person in February
    visits(session, old, at(2, 4), bots=3)  # a crawler is not a person
    link(session, agents[0], offer, "qr", at(3, 5))  # March, twice by the same agent
    link(session, agents[0], offer, "whatsapp", at(3, 6))
    link(session, agents[2], offer, "linkedin", datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
    link(session, few[0], offer, "linkedin", at(2, 12))
    link(session, left, offer, "linkedin", at(2, 12))  # has left: not in the staff
    session.commit()
    roll_up(session)
    viewer = make_user(Role.RECRUITER)
    period = Period(date(2026, 2, 1), date(2026, 3, 10), ZONE)
    months, rows = weekly.monthly_sharing(session, viewer, period, today=date(2026, 3, 10))
    assert [(m.first, m.last, m.partial) for m in months] == [
        (date(2026, 2, 1), date(2026, 2, 28), False),
        (date(2026, 3, 1), date(2026, 3, 10), True),  # cut by the period, and today
    ]
    by_name = {row.name: row for row in rows}
    # 28 February 23:30 UTC is 1 March in Paris: agents[2] shared in March.
    assert by_name["Finances"].staff == 5 and by_name["Finances"].sharers == (2, 2)
    assert by_name["Finances"].shares() == (0.4, 0.4)
    assert by_name["Petite direction"].staff == 3 and not by_name["Petite direction"].enough
    assert by_name["Petite direction"].shares() == (None, None)  # fewer than 5: no figure


def test_share_per_direction_keeps_a_manager_to_their_directions(
    session, make_user, make_offer, make_direction
):
    mine, other = make_direction("Mine"), make_direction("Other")
    manager = make_user(Role.MANAGER, direction_id=mine.id)
    for _ in range(5):
        make_user(direction_id=other.id)
    _months, rows = weekly.monthly_sharing(
        session, manager, Period(date(2026, 2, 1), date(2026, 2, 28), ZONE), date(2026, 3, 1)
    )
    assert [row.name for row in rows] == ["Mine"]


def test_a_services_staff_count_in_its_direction(session, make_user, make_offer, make_direction):
    dga = make_direction("DGA Ressources")
    finances = make_direction("Direction des finances", parent=dga)
    budget = make_direction("Service budget", parent=finances)
    in_service = [make_user(direction_id=budget.id) for _ in range(3)]
    for _ in range(2):
        make_user(direction_id=finances.id)
    make_user(direction_id=dga.id)
    link(session, in_service[0], make_offer(published_at=at(1, 5)), "linkedin", at(2, 10))
    session.commit()
    roll_up(session)
    _months, rows = weekly.monthly_sharing(
        session,
        make_user(Role.RECRUITER),
        Period(date(2026, 2, 1), date(2026, 2, 28), ZONE),
        date(2026, 3, 1),
    )
    by_name = {row.name: row for row in rows}
    assert "Service budget" not in by_name
    assert by_name["Direction des finances"].staff == 5
    assert by_name["Direction des finances"].sharers == (1,)
    assert by_name["DGA Ressources"].staff == 1  # attached to the DGA itself
