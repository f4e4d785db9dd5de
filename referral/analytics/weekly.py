"""Over time: the programme week by week (weeks start on Monday, in the organisation's time
zone), within the viewer's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Integer, case, func, literal, select, union
from sqlalchemy.orm import Session

from referral.analytics.rollup import visit_days
from referral.analytics.scope import (
    MIN_GROUP,
    Filters,
    Period,
    Scope,
    application_facts,
    link_facts,
    population_conditions,
)
from referral.local_calendar import WEEK_ORIGIN, day_number, local_midnight, week_index
from referral.models import Application, ApplicationSource, Direction, ShareLink, User


@dataclass
class Week:
    start: date
    agents: int = 0
    people: int = 0
    referral_applications: int = 0
    careers_applications: int = 0
    internal_applications: int = 0


def _week_number(day: date) -> int:
    return day_number(day) // 7


def weekly(
    session: Session,
    viewer: User,
    period: Period,
    filters: Filters = Filters(),  # noqa: B008 - frozen dataclass, immutable
) -> list[Week]:
    """Per week of the period (weeks start on Monday): agents who shared, people reached,
    applications from referrals (share link or direct referral), the careers site, internal.

    An agent *shared* in a week when they created a share link or when one of their links
    reached at least one person that week. Three queries; weeks without activity are zeros.
    """
    scope = Scope.of(viewer)
    start, end = period.start_at, period.end_at
    first = _week_number(period.start)
    weeks = {
        n: Week(start=WEEK_ORIGIN + timedelta(weeks=n))
        for n in range(first, _week_number(period.end) + 1)
    }
    # Absolute week numbers (days since WEEK_ORIGIN // 7), found from the period's first week.
    monday = WEEK_ORIGIN + timedelta(weeks=first)
    n_weeks = _week_number(period.end) - first + 1
    sqlite = session.get_bind().dialect.name == "sqlite"

    def week_of(ts):
        return week_index(ts, period.zone, monday, n_weeks, sqlite) + first

    link_week = week_of(ShareLink.created_at)
    created = link_facts(
        select(link_week.label("w"), ShareLink.agent_id.label("agent_id"))
        .select_from(ShareLink)
        .where(ShareLink.created_at >= start, ShareLink.created_at < end),
        None,
        filters,
        scope,
    )
    days = visit_days(period.start, period.after)
    visit_week = days.c.day // 7
    visited = link_facts(
        select(visit_week.label("w"), ShareLink.agent_id.label("agent_id"))
        .select_from(days)
        .join(ShareLink, ShareLink.id == days.c.link_id)
        .where(days.c.people > 0),
        None,
        filters,
        scope,
    )
    sharers = union(created, visited).subquery("sharers")
    for w, n in session.execute(select(sharers.c.w, func.count()).group_by(sharers.c.w)):
        if w in weeks:
            weeks[w].agents = n

    people = link_facts(
        select(visit_week.label("w"), func.coalesce(func.sum(days.c.people), 0))
        .select_from(days)
        .join(ShareLink, ShareLink.id == days.c.link_id),
        None,
        filters,
        scope,
    ).group_by(visit_week)
    for w, n in session.execute(people):
        if w in weeks:
            weeks[w].people = n

    app_week = week_of(Application.created_at)
    referred = Application.source.in_(
        (ApplicationSource.SHARE_LINK.value, ApplicationSource.REFERRAL.value)
    )
    applications = application_facts(
        select(
            app_week.label("w"),
            func.coalesce(func.sum(case((referred, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((Application.source == ApplicationSource.CAREERS.value, 1), else_=0)),
                0,
            ),
            func.coalesce(
                func.sum(
                    case((Application.source == ApplicationSource.INTERNAL.value, 1), else_=0)
                ),
                0,
            ),
        )
        .select_from(Application)
        .where(Application.created_at >= start, Application.created_at < end),
        None,
        filters,
        scope,
    ).group_by(app_week)
    for w, referral_n, careers_n, internal_n in session.execute(applications):
        if w in weeks:
            weeks[w].referral_applications = referral_n
            weeks[w].careers_applications = careers_n
            weeks[w].internal_applications = internal_n
    return [weeks[n] for n in sorted(weeks)]


# --- the share of agents who shared, per direction and month ------------------------------------


@dataclass(frozen=True)
class Month:
    """A calendar month of the period, cut to it: ``first`` to ``last`` included; ``partial``
    when the period (or today) cuts it, so that it is not read as a whole month."""

    first: date
    last: date
    partial: bool


@dataclass(frozen=True)
class DirectionSharing:
    """One direction's staff in post (``staff``) and, per month of the period, how many of
    them shared at least once (``sharers[i]`` for ``months[i]``). ``enough``: the direction
    has at least ``MIN_GROUP`` staff; otherwise its figures are not shown to anyone."""

    direction_id: int | None
    name: str
    staff: int
    sharers: tuple[int, ...]

    @property
    def enough(self) -> bool:
        return self.staff >= MIN_GROUP

    def shares(self) -> tuple[float | None, ...]:
        """The share of the staff who shared, per month (None when not ``enough``)."""
        if not self.enough:
            return tuple(None for _ in self.sharers)
        return tuple(n / self.staff for n in self.sharers)


def months_of(period: Period, today: date) -> list[Month]:
    """The calendar months the period touches, each cut to the period and to ``today``."""
    months = []
    first = period.start.replace(day=1)
    while first <= period.end:
        following = (first + timedelta(days=32)).replace(day=1)
        start, last = max(first, period.start), min(following - timedelta(days=1), period.end)
        cut = start != first or last != following - timedelta(days=1) or last >= today
        months.append(Month(first=start, last=last, partial=cut))
        first = following
    return months


def monthly_sharing(
    session: Session,
    viewer: User,
    period: Period,
    today: date,
    filters: Filters = Filters(),  # noqa: B008 - frozen dataclass, immutable
) -> tuple[list[Month], list[DirectionSharing]]:
    """Per direction of the staff (their own, a service counting in its direction; within
    the viewer's scope) and per month of the period: the staff in post today and how many
    shared at least once that month (created a share link, or one of their links reached a
    person: the weekly rule). Three small queries; months are local calendar months, the
    first and last often partial. Rows by direction name, staff without a direction last.
    """
    scope = Scope.of(viewer)
    months = months_of(period, today)
    starts = [local_midnight(m.first, period.zone) for m in months]
    day_starts = [day_number(m.first) for m in months]

    def month_of(column, bounds):
        # Month i holds what is before the start of month i + 1 (the rows are in the period).
        if len(bounds) == 1:
            return literal(0, Integer())
        return case(
            *((column < bound, i) for i, bound in enumerate(bounds[1:])), else_=len(bounds) - 1
        )

    created = link_facts(
        select(month_of(ShareLink.created_at, starts).label("m"), ShareLink.agent_id.label("a"))
        .select_from(ShareLink)
        .where(ShareLink.created_at >= period.start_at, ShareLink.created_at < period.end_at),
        None,
        filters,
        scope,
    )
    days = visit_days(period.start, period.after)
    # The links that reached someone in each month, once each, before their agents are read.
    reached = (
        select(days.c.link_id, month_of(days.c.day, day_starts).label("m"))
        .where(days.c.people > 0)
        .distinct()
        .subquery("reached")
    )
    visited = link_facts(
        select(reached.c.m, ShareLink.agent_id.label("a"))
        .select_from(reached)
        .join(ShareLink, ShareLink.id == reached.c.link_id),
        None,
        filters,
        scope,
    )
    sharers = union(created, visited).subquery("sharers")
    staff_of = population_conditions(viewer)
    directions = session.execute(select(Direction.id, Direction.parent_id, Direction.name)).all()
    group_of = _direction_groups({d: parent for d, parent, _name in directions})
    names = {d: name for d, _parent, name in directions}
    staff: dict[int | None, int] = {}
    for direction_id, n in session.execute(
        select(User.direction_id, func.count())
        .where(User.active, *staff_of)
        .group_by(User.direction_id)
    ):
        key = group_of.get(direction_id)
        staff[key] = staff.get(key, 0) + n
    counted = {key: [0] * len(months) for key in staff}
    # Each agent has one direction: the counts of a direction's services add up.
    for direction_id, month, n in session.execute(
        select(User.direction_id, sharers.c.m, func.count())
        .join(User, User.id == sharers.c.a)
        .where(User.active, *staff_of)
        .group_by(User.direction_id, sharers.c.m)
    ):
        counted[group_of.get(direction_id)][month] += n
    rows = [
        DirectionSharing(
            direction_id=key,
            name=names.get(key, "") if key is not None else "",
            staff=n,
            sharers=tuple(counted[key]),
        )
        for key, n in staff.items()
    ]
    rows.sort(key=lambda row: (row.direction_id is None, row.name.casefold()))
    return months, rows


def _direction_groups(parents: dict[int, int | None]) -> dict[int | None, int | None]:
    """Each direction's row in :func:`monthly_sharing` (``parents``: each unit's parent): a
    service (a unit without sub-units, two levels or more under the top of the tree) counts
    in the unit above it, its direction; every other unit stands for itself (its own staff)."""
    has_units = {parent for parent in parents.values() if parent is not None}

    def depth(direction_id: int) -> int:
        n, current = 0, parents.get(direction_id)
        while current is not None and n <= len(parents):
            n, current = n + 1, parents.get(current)
        return n

    def group(direction_id: int) -> int:
        parent = parents[direction_id]
        service = direction_id not in has_units and depth(direction_id) >= 2
        return parent if service and parent is not None else direction_id

    return {None: None, **{d: group(d) for d in parents}}
