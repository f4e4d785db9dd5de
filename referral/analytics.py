"""Analytics of the ambassador programme: funnel, weekly series, trainings, leaderboards.

Every figure is an aggregate computed by the database (``count``/``sum``/``case``, grouped in
SQL); Python only merges the few aggregated rows. Each dashboard runs a fixed number of
queries whatever the volume.

Definitions (shown on the pages too):

- *people reached*: visits of a person (``is_new_person``, not a bot) on a share link;
  *bot previews*: visits of link-preview crawlers.
- The application stages are a *cohort*: applications received in the period, and how far
  each got so far. An application counts as *shortlisted* once it reached screening or any
  later stage, read from its status history, so a later rejection does not remove it;
  likewise for interviews and hires.
- The *direction* of the funnel and of the weekly series is the offer's direction (with its
  sub-directions); for leaderboards and trainings, it is the agent's direction.
- Managers see everything restricted to their own direction and its sub-directions: the
  restriction is applied here, in the queries, not by the pages.
- Days and weeks are those of the organisation's time zone (``Settings.timezone``, passed in
  as ``zone``): a visit at 00:30 in Paris counts on that day, and a period starts and ends
  at local midnight (see :mod:`referral.local_calendar`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from referral.errors import Forbidden, InvalidInput, NotFound
from referral.local_calendar import (
    WEEK_ORIGIN,
    day_number,
    local_day,
    local_midnight,
)
from referral.models import (
    Application,
    ApplicationSource,
    ApplicationStatus,
    Channel,
    CreditEvent,
    CreditState,
    Direction,
    Offer,
    Role,
    ShareLink,
    StatusChange,
    Training,
    TrainingAttendee,
    User,
    Visit,
    VisitDay,
    VisitDayZone,
)

GROUPINGS = ("offer", "direction", "channel", "agent")
MIN_GROUP = 5  # fewer agents than this: "not enough data" instead of a figure
DEFAULT_WEEKS = 8
MAX_WEEKS = 52
MAX_PERIOD_DAYS = 3 * 366
REACHED_RANK = {
    ApplicationStatus.SCREENING.value: 1,
    ApplicationStatus.INTERVIEW.value: 2,
    ApplicationStatus.OFFER.value: 3,
    ApplicationStatus.HIRED.value: 4,
}
SHORTLISTED, INTERVIEWED, HIRED = 1, 2, 4
# Pseudo-channels of applications that came without a share link.
APPLICATION_CHANNELS = (*[c.value for c in Channel], *[s.value for s in ApplicationSource])


# --- portable date arithmetic ----------------------------------------------------------------


def _elapsed_days(element, compiler, sqlite: bool, **kw) -> str:
    """Fractional days from the second clause to the first, in the dialect's own terms."""
    ts, origin = (compiler.process(c, **kw) for c in element.clauses)
    if sqlite:
        return f"(julianday({ts}) - julianday({origin}))"
    return f"(EXTRACT(EPOCH FROM ({ts} - {origin})) / 86400.0)"


class days_since(FunctionElement):
    """Days (fractional) from ``origin`` to ``ts``: julianday on SQLite, epoch on PostgreSQL.

    A duration, not a calendar: days and weeks of the calendar are
    :class:`referral.local_calendar.local_day`.
    """

    type = Float()
    inherit_cache = True
    name = "days_since"


@compiles(days_since)
def _days_since(element, compiler, **kw) -> str:
    return _elapsed_days(element, compiler, sqlite=False, **kw)


@compiles(days_since, "sqlite")
def _days_since_sqlite(element, compiler, **kw) -> str:
    return _elapsed_days(element, compiler, sqlite=True, **kw)


def _person_sum():
    person = and_(Visit.is_new_person, ~Visit.is_bot)
    return func.coalesce(func.sum(case((person, 1), else_=0)), 0)


def _bot_sum():
    return func.coalesce(func.sum(case((Visit.is_bot, 1), else_=0)), 0)


def refresh_visit_days(session: Session, zone: str, rebuild: bool = False) -> int:
    """Bring the visit roll-up up to date, in days of the time zone ``zone``. The caller
    commits. Returns 0 when there was nothing new, else the rows written as the driver
    reports them (-1: not reported).

    Re-counts the visits from the last day rolled up (today included) and upserts them, so
    it is cheap when up to date, exact, and safe when two requests run it at once. Every
    dashboard calls it first, in the caller's transaction; committing keeps the work.
    ``rebuild`` starts again from scratch: use it after loading visits of past days (demo
    seeds, imports), since the days before the last one rolled up are not read again. The
    roll-up starts again from scratch by itself when it is empty or was built in another
    time zone (``RELAIS_TIMEZONE`` changed).
    """
    built_in = select(VisitDayZone.zone).limit(1).scalar_subquery()
    last, built_zone = session.execute(select(func.max(VisitDay.day), built_in)).one()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    if rebuild or built_zone != zone:
        session.execute(delete(VisitDay))
        session.execute(delete(VisitDayZone))
        session.execute(insert(VisitDayZone).values(zone=zone).on_conflict_do_nothing())
        last = None
    recent = []
    if last is not None:
        since = local_midnight(WEEK_ORIGIN + timedelta(days=last), zone)
        recent = [Visit.occurred_at >= since]
        # Nothing new since the last roll-up: as many visits from that day on as rolled up.
        rolled = select(func.sum(VisitDay.visits)).where(VisitDay.day == last).scalar_subquery()
        recorded = select(func.count()).select_from(Visit).where(*recent).scalar_subquery()
        if session.scalar(select(recorded == rolled)):
            return 0
    day = local_day(Visit.occurred_at, zone)
    rows = (
        select(
            Visit.link_id,
            day.label("day"),
            func.count().label("visits"),
            _person_sum().label("people"),
            _bot_sum().label("bots"),
        )
        .where(*recent)
        .group_by(Visit.link_id, day)
    )
    statement = insert(VisitDay).from_select(["link_id", "day", "visits", "people", "bots"], rows)
    statement = statement.on_conflict_do_update(
        index_elements=["link_id", "day"],
        set_={
            "visits": statement.excluded.visits,
            "people": statement.excluded.people,
            "bots": statement.excluded.bots,
        },
    )
    return session.execute(statement).rowcount


def _visit_days(session: Session, zone: str, first: date, after: date):
    """People and bots per share link and local day, from day ``first`` to the day before
    ``after``, from the roll-up (brought up to date first)."""
    refresh_visit_days(session, zone)
    return (
        select(VisitDay.link_id, VisitDay.day, VisitDay.people, VisitDay.bots)
        .where(VisitDay.day >= day_number(first), VisitDay.day < day_number(after))
        .subquery("visit_days")
    )


# --- period, filters, scope ------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included, days of the time zone ``zone`` (the
    organisation's, ``Settings.timezone``)."""

    start: date
    end: date
    zone: str

    def __post_init__(self):
        if self.end < self.start:
            raise InvalidInput("The end of the period is before its start.", {"end": "before"})
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise InvalidInput("The period is limited to three years.", {"end": "too long"})

    @property
    def start_at(self) -> datetime:
        """The first instant of the period: local midnight, in UTC."""
        return local_midnight(self.start, self.zone)

    @property
    def after(self) -> date:
        """The day after the period."""
        return self.end + timedelta(days=1)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period: local midnight, in UTC."""
        return local_midnight(self.after, self.zone)

    @classmethod
    def last(cls, days: int, today: date, zone: str) -> Period:
        """The ``days`` days up to ``today`` (the local date), both included."""
        return cls(today - timedelta(days=days - 1), today, zone)


@dataclass(frozen=True)
class Filters:
    offer_id: int | None = None
    direction_id: int | None = None
    channel: str | None = None
    agent_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """What a viewer may see: everything, or one direction and its sub-directions."""

    restricted: bool = False
    direction_id: int | None = None

    @classmethod
    def of(cls, viewer: User) -> Scope:
        if viewer.has_role(Role.ADMIN, Role.RECRUITER):
            return cls()
        if viewer.has_role(Role.MANAGER):
            return cls(restricted=True, direction_id=viewer.direction_id)
        raise Forbidden("Analytics are for recruiters, administrators and managers.")


_cte_names = itertools.count(1)


def _subtree(direction_id: int, name: str):
    """The ids of a direction and of all its sub-directions (a recursive CTE).

    Each call gets a name of its own: one query may filter two columns by the same tree.
    """
    tree = (
        select(Direction.id.label("id"))
        .where(Direction.id == direction_id)
        .cte(f"{name}_{next(_cte_names)}", recursive=True)
    )
    child = aliased(Direction)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)


def _direction_conditions(column, filters: Filters, scope: Scope) -> list:
    conditions = []
    if filters.direction_id is not None:
        conditions.append(column.in_(_subtree(filters.direction_id, "filter_tree")))
    if scope.restricted:
        if scope.direction_id is None:
            conditions.append(false())
        else:
            conditions.append(column.in_(_subtree(scope.direction_id, "scope_tree")))
    return conditions


def population_conditions(viewer: User) -> list:
    """Conditions on :class:`User` that keep the staff a viewer may see (a manager: their
    direction and its sub-directions). Raises Forbidden for other viewers."""
    return _direction_conditions(User.direction_id, Filters(), Scope.of(viewer))


def _needs_offer(grouping: str | None, filters: Filters, scope: Scope) -> bool:
    return grouping == "direction" or filters.direction_id is not None or scope.restricted


# --- the funnel ------------------------------------------------------------------------------


@dataclass
class FunnelRow:
    key: Any
    label: str = ""
    links: int = 0
    people: int = 0
    bots: int = 0
    applications: int = 0
    from_links: int = 0
    shortlisted: int = 0
    interviews: int = 0
    hires: int = 0
    first_days_sum: float = 0.0
    first_days_n: int = 0
    fill_days_sum: float = 0.0
    fill_days_n: int = 0

    @property
    def days_to_first_application(self) -> float | None:
        return self.first_days_sum / self.first_days_n if self.first_days_n else None

    @property
    def days_to_fill(self) -> float | None:
        return self.fill_days_sum / self.fill_days_n if self.fill_days_n else None

    @property
    def rates(self) -> dict[str, float | None]:
        """Conversion between consecutive stages, as fractions (None when undefined)."""

        def ratio(a: int, b: int) -> float | None:
            return a / b if b else None

        return {
            "people_per_link": ratio(self.people, self.links),
            "people_to_application": ratio(self.from_links, self.people),
            "application_to_shortlist": ratio(self.shortlisted, self.applications),
            "shortlist_to_interview": ratio(self.interviews, self.shortlisted),
            "interview_to_hire": ratio(self.hires, self.interviews),
            "application_to_hire": ratio(self.hires, self.applications),
        }

    def add(self, other: FunnelRow) -> None:
        for name in (
            "links",
            "people",
            "bots",
            "applications",
            "from_links",
            "shortlisted",
            "interviews",
            "hires",
            "first_days_sum",
            "first_days_n",
            "fill_days_sum",
            "fill_days_n",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Funnel:
    grouping: str
    rows: list[FunnelRow]
    total: FunnelRow


def _link_key(grouping: str):
    return {
        "offer": ShareLink.offer_id,
        "direction": Offer.direction_id,
        "channel": ShareLink.channel,
        "agent": ShareLink.agent_id,
    }[grouping]


def _application_key(grouping: str):
    return {
        "offer": Application.offer_id,
        "direction": Offer.direction_id,
        "channel": func.coalesce(ShareLink.channel, Application.source),
        "agent": Application.credited_agent_id,
    }[grouping]


def _link_facts(query, grouping, filters: Filters, scope: Scope):
    """Joins and conditions shared by the facts read through share links."""
    if _needs_offer(grouping, filters, scope):
        query = query.join(Offer, Offer.id == ShareLink.offer_id)
        query = query.where(*_direction_conditions(Offer.direction_id, filters, scope))
    if filters.offer_id is not None:
        query = query.where(ShareLink.offer_id == filters.offer_id)
    if filters.channel:
        query = query.where(ShareLink.channel == filters.channel)
    if filters.agent_id is not None:
        query = query.where(ShareLink.agent_id == filters.agent_id)
    return query


def _application_facts(query, grouping, filters: Filters, scope: Scope):
    if _needs_offer(grouping, filters, scope):
        query = query.join(Offer, Offer.id == Application.offer_id)
        query = query.where(*_direction_conditions(Offer.direction_id, filters, scope))
    if grouping == "channel" or filters.channel:
        query = query.outerjoin(ShareLink, ShareLink.id == Application.share_link_id)
    if filters.offer_id is not None:
        query = query.where(Application.offer_id == filters.offer_id)
    if filters.channel:
        query = query.where(ShareLink.channel == filters.channel)
    if filters.agent_id is not None:
        query = query.where(Application.credited_agent_id == filters.agent_id)
    return query


def _reached(since: datetime):
    """Per application, the furthest stage reached in its history since ``since`` (subquery)."""
    rank = case(REACHED_RANK, value=StatusChange.to_status, else_=0)
    return (
        select(StatusChange.application_id.label("application_id"), func.max(rank).label("rank"))
        .where(StatusChange.at >= since)
        .group_by(StatusChange.application_id)
        .subquery("reached")
    )


def _stage_counts(reached, minimum: int):
    now_rank = case(REACHED_RANK, value=Application.status, else_=0)
    got_there = or_(now_rank >= minimum, func.coalesce(reached.c.rank, 0) >= minimum)
    return func.coalesce(func.sum(case((got_there, 1), else_=0)), 0)


def _hire_times():
    """Per offer: how many applications were hired, and when the last one was (the first
    move to "hired" of each, read from the status history)."""
    moves = (
        select(
            StatusChange.application_id.label("application_id"),
            func.min(StatusChange.at).label("at"),
        )
        .where(StatusChange.to_status == ApplicationStatus.HIRED.value)
        .group_by(StatusChange.application_id)
        .subquery("hire_moves")
    )
    return (
        select(
            Application.offer_id.label("offer_id"),
            func.count().label("hires"),
            func.max(moves.c.at).label("last_at"),
        )
        .select_from(moves)
        .join(Application, Application.id == moves.c.application_id)
        .group_by(Application.offer_id)
        .subquery("offer_hires")
    )


def funnel(
    session: Session,
    viewer: User,
    period: Period,
    filters: Filters = Filters(),  # noqa: B008 - frozen dataclass, immutable
    grouping: str = "offer",
) -> Funnel:
    """The funnel of the period grouped by offer, direction, channel or agent, with totals.

    Queries: links, visits, applications, time to first application (and time to fill for
    offer and direction groupings; for channel and agent, the offer-level totals), labels.
    """
    if grouping not in GROUPINGS:
        raise InvalidInput("Unknown grouping.", {"group": grouping})
    scope = Scope.of(viewer)
    start, end = period.start_at, period.end_at
    rows: dict[Any, FunnelRow] = {}

    def row(key) -> FunnelRow:
        if key not in rows:
            rows[key] = FunnelRow(key=key)
        return rows[key]

    key = _link_key(grouping).label("k")
    links = _link_facts(
        select(key, func.count().label("n"))
        .select_from(ShareLink)
        .where(ShareLink.created_at >= start, ShareLink.created_at < end),
        grouping,
        filters,
        scope,
    ).group_by(key)
    for k, n in session.execute(links):
        row(k).links = n

    days = _visit_days(session, period.zone, period.start, period.after)
    visits = _link_facts(
        select(
            key, func.coalesce(func.sum(days.c.people), 0), func.coalesce(func.sum(days.c.bots), 0)
        )
        .select_from(days)
        .join(ShareLink, ShareLink.id == days.c.link_id),
        grouping,
        filters,
        scope,
    ).group_by(key)
    for k, people, bots in session.execute(visits):
        r = row(k)
        r.people, r.bots = people, bots

    reached = _reached(start)
    app_key = _application_key(grouping).label("k")
    applications = _application_facts(
        select(
            app_key,
            func.count(),
            func.coalesce(
                func.sum(
                    case((Application.source == ApplicationSource.SHARE_LINK.value, 1), else_=0)
                ),
                0,
            ),
            _stage_counts(reached, SHORTLISTED),
            _stage_counts(reached, INTERVIEWED),
            _stage_counts(reached, HIRED),
        )
        .select_from(Application)
        .outerjoin(reached, reached.c.application_id == Application.id)
        .where(Application.created_at >= start, Application.created_at < end),
        grouping,
        filters,
        scope,
    ).group_by(app_key)
    for k, n, from_links, shortlisted, interviews, hires in session.execute(applications):
        r = row(k)
        r.applications, r.from_links = n, from_links
        r.shortlisted, r.interviews, r.hires = shortlisted, interviews, hires

    total = FunnelRow(key=None)
    offer_totals = _offer_times(session, period, filters, scope, grouping, rows)
    labels = _labels(session, grouping, [k for k in rows if k is not None])
    for k, r in rows.items():
        r.label = labels.get(k, "") if k is not None else ""
        total.add(r)
    if offer_totals is not None:
        # Time metrics of channel/agent rows are per group; the total comes from the offers.
        total.first_days_sum, total.first_days_n, total.fill_days_sum, total.fill_days_n = (
            offer_totals
        )
    ordered = sorted(rows.values(), key=lambda r: (-r.applications, -r.people, -r.links, r.label))
    return Funnel(grouping=grouping, rows=ordered, total=total)


def _offer_times(session, period, filters, scope, grouping, rows):
    """Time to first application and time to fill, for offers published in the period.

    Offer and direction groupings: fills the rows, returns None (the total is their sum).
    Channel grouping: fills the rows' time to first application through that channel;
    channel and agent groupings return the offer-level totals (first_sum, first_n,
    fill_sum, fill_n).
    """
    published = [
        Offer.published_at >= period.start_at,
        Offer.published_at < period.end_at,
        *_direction_conditions(Offer.direction_id, filters, scope),
        *([Offer.id == filters.offer_id] if filters.offer_id is not None else []),
    ]
    app_filters = []
    if filters.channel:
        app_filters.append(
            Application.share_link_id.in_(
                select(ShareLink.id).where(ShareLink.channel == filters.channel)
            )
        )
    if filters.agent_id is not None:
        app_filters.append(Application.credited_agent_id == filters.agent_id)
    # The first application of each offer: one index lookup per offer.
    first_at = (
        select(func.min(Application.created_at))
        .where(Application.offer_id == Offer.id, *app_filters)
        .correlate(Offer)
        .scalar_subquery()
    )
    hires = _hire_times()
    per_offer = (
        select(
            Offer.id.label("offer_id"),
            Offer.direction_id.label("direction_id"),
            days_since(first_at, Offer.published_at).label("first_days"),
            case(
                (hires.c.hires >= Offer.positions, days_since(hires.c.last_at, Offer.published_at)),
                else_=None,
            ).label("fill_days"),
        )
        .outerjoin(hires, hires.c.offer_id == Offer.id)
        .where(*published)
        .subquery("per_offer")
    )
    sums = (
        func.coalesce(func.sum(per_offer.c.first_days), 0.0),
        func.count(per_offer.c.first_days),
        func.coalesce(func.sum(per_offer.c.fill_days), 0.0),
        func.count(per_offer.c.fill_days),
    )
    if grouping in ("offer", "direction"):
        key = per_offer.c.offer_id if grouping == "offer" else per_offer.c.direction_id
        for k, f_sum, f_n, h_sum, h_n in session.execute(select(key, *sums).group_by(key)):
            r = rows.setdefault(k, FunnelRow(key=k))
            r.first_days_sum, r.first_days_n = float(f_sum), f_n
            r.fill_days_sum, r.fill_days_n = float(h_sum), h_n
        return None

    if grouping == "agent":
        # From publication to an agent's first referral says little: totals only.
        f_sum, f_n, h_sum, h_n = session.execute(select(*sums)).one()
        return float(f_sum), f_n, float(h_sum), h_n
    # Channel rows: from publication to the first application through that channel.
    group_key = _application_key(grouping).label("k")
    first_q = (
        select(
            Application.offer_id.label("offer_id"),
            group_key,
            func.min(Application.created_at).label("first_at"),
        )
        .select_from(Application)
        .where(Application.offer_id.in_(select(Offer.id).where(*published)), *app_filters)
    )
    if grouping == "channel":
        first_q = first_q.outerjoin(ShareLink, ShareLink.id == Application.share_link_id)
    first = first_q.group_by(Application.offer_id, group_key).subquery("first_application")
    per_group = (
        select(
            first.c.k,
            func.coalesce(func.sum(days_since(first.c.first_at, Offer.published_at)), 0.0),
            func.count(first.c.first_at),
        )
        .select_from(first)
        .join(Offer, Offer.id == first.c.offer_id)
        .group_by(first.c.k)
    )
    for k, f_sum, f_n in session.execute(per_group):
        if k in rows:
            rows[k].first_days_sum, rows[k].first_days_n = float(f_sum), f_n
    f_sum, f_n, h_sum, h_n = session.execute(select(*sums)).one()
    return float(f_sum), f_n, float(h_sum), h_n


def _labels(session: Session, grouping: str, keys: list) -> dict[Any, str]:
    """Display names of the groups, in one query (channels need none)."""
    if grouping == "channel" or not keys:
        return {k: str(k) for k in keys}
    if grouping == "offer":
        query = select(Offer.id, Offer.reference + " · " + Offer.title).where(Offer.id.in_(keys))
    elif grouping == "direction":
        query = select(Direction.id, Direction.name).where(Direction.id.in_(keys))
    else:
        query = select(User.id, User.first_name + " " + User.last_name).where(User.id.in_(keys))
    return dict(session.execute(query).all())


# --- over time -------------------------------------------------------------------------------


@dataclass
class Week:
    start: date
    agents: int = 0
    people: int = 0
    referral_applications: int = 0
    careers_applications: int = 0
    internal_applications: int = 0


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


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
    link_week = local_day(ShareLink.created_at, period.zone) // 7
    created = _link_facts(
        select(link_week.label("w"), ShareLink.agent_id.label("agent_id"))
        .select_from(ShareLink)
        .where(ShareLink.created_at >= start, ShareLink.created_at < end),
        None,
        filters,
        scope,
    )
    days = _visit_days(session, period.zone, period.start, period.after)
    visit_week = days.c.day // 7
    visited = _link_facts(
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

    people = _link_facts(
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

    app_week = local_day(Application.created_at, period.zone) // 7
    referred = Application.source.in_(
        (ApplicationSource.SHARE_LINK.value, ApplicationSource.REFERRAL.value)
    )
    applications = _application_facts(
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


# --- trainings: difference in differences ----------------------------------------------------

TRAINING_METRICS = ("links", "people", "applications")


@dataclass
class GroupFigures:
    """One group's counts over the weeks before and after a training."""

    agents: int
    weeks: int
    weekly: dict[str, list[int]]

    @property
    def enough(self) -> bool:
        return self.agents >= MIN_GROUP

    def before(self, metric: str) -> int:
        return sum(self.weekly[metric][: self.weeks])

    def after(self, metric: str) -> int:
        return sum(self.weekly[metric][self.weeks :])

    def difference(self, metric: str) -> int:
        return self.after(metric) - self.before(metric)

    def per_agent(self, value: float) -> float | None:
        return value / self.agents if self.agents else None


@dataclass
class TrainingReport:
    training: Training
    weeks: int
    attendees: GroupFigures
    others: GroupFigures
    week_starts: list[date] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return self.attendees.enough and self.others.enough

    def did(self, metric: str) -> int | None:
        """(after − before) of attendees − (after − before) of the others, in counts."""
        if not self.enough:
            return None
        return self.attendees.difference(metric) - self.others.difference(metric)

    def did_per_agent(self, metric: str) -> float | None:
        """The same with each group's counts divided by its number of agents."""
        if not self.enough:
            return None
        return self.attendees.difference(metric) / self.attendees.agents - (
            self.others.difference(metric) / self.others.agents
        )


def list_trainings(session: Session) -> list[tuple[Training, int]]:
    """Every training, most recent first, with its number of attendees (one query)."""
    attendees = (
        select(TrainingAttendee.training_id, func.count().label("n"))
        .group_by(TrainingAttendee.training_id)
        .subquery()
    )
    query = (
        select(Training, func.coalesce(attendees.c.n, 0))
        .outerjoin(attendees, attendees.c.training_id == Training.id)
        .order_by(Training.held_on.desc(), Training.id.desc())
    )
    return [(t, n) for t, n in session.execute(query).all()]


def training_report(
    session: Session, viewer: User, training_id: int, weeks: int = DEFAULT_WEEKS, *, zone: str
) -> TrainingReport:
    """Attendees against the other active agents, ``weeks`` weeks before and after the
    training day (the day itself counts as after, from local midnight in ``zone``): links
    created, people reached, applications brought in, per week. Agents who left are in
    neither group.

    Five queries: the training, the group sizes, and one per metric.
    """
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput(f"The number of weeks must be between 1 and {MAX_WEEKS}.", {"weeks": ""})
    scope = Scope.of(viewer)
    training = session.get(Training, training_id)
    if training is None:
        raise NotFound("No such training.")
    first, after = (
        training.held_on - timedelta(weeks=weeks),
        training.held_on + timedelta(weeks=weeks),
    )
    start, end = local_midnight(first, zone), local_midnight(after, zone)

    def attendee_join(user_column):
        return and_(
            TrainingAttendee.training_id == training.id, TrainingAttendee.user_id == user_column
        )

    population = [User.active, *_direction_conditions(User.direction_id, Filters(), scope)]
    is_attendee = case((TrainingAttendee.user_id.is_not(None), 1), else_=0).label("g")

    sizes = dict(
        session.execute(
            select(is_attendee, func.count())
            .select_from(User)
            .outerjoin(TrainingAttendee, attendee_join(User.id))
            .where(*population)
            .group_by(is_attendee)
        ).all()
    )
    series = {g: {m: [0] * (2 * weeks) for m in TRAINING_METRICS} for g in (0, 1)}

    def collect(metric, query, week):
        for g, w, n in session.execute(query.group_by(is_attendee, week)):
            if 0 <= w < 2 * weeks:
                series[g][metric][w] = n

    week = ((local_day(ShareLink.created_at, zone) - day_number(first)) // 7).label("w")
    collect(
        "links",
        select(is_attendee, week, func.count())
        .select_from(ShareLink)
        .join(User, User.id == ShareLink.agent_id)
        .outerjoin(TrainingAttendee, attendee_join(ShareLink.agent_id))
        .where(ShareLink.created_at >= start, ShareLink.created_at < end, *population),
        week,
    )
    days = _visit_days(session, zone, first, after)
    week = ((days.c.day - day_number(first)) // 7).label("w")
    collect(
        "people",
        select(is_attendee, week, func.coalesce(func.sum(days.c.people), 0))
        .select_from(days)
        .join(ShareLink, ShareLink.id == days.c.link_id)
        .join(User, User.id == ShareLink.agent_id)
        .outerjoin(TrainingAttendee, attendee_join(ShareLink.agent_id))
        .where(*population),
        week,
    )
    week = ((local_day(Application.created_at, zone) - day_number(first)) // 7).label("w")
    collect(
        "applications",
        select(is_attendee, week, func.count())
        .select_from(Application)
        .join(User, User.id == Application.credited_agent_id)
        .outerjoin(TrainingAttendee, attendee_join(Application.credited_agent_id))
        .where(Application.created_at >= start, Application.created_at < end, *population),
        week,
    )
    return TrainingReport(
        training=training,
        weeks=weeks,
        attendees=GroupFigures(agents=sizes.get(1, 0), weeks=weeks, weekly=series[1]),
        others=GroupFigures(agents=sizes.get(0, 0), weeks=weeks, weekly=series[0]),
        week_starts=[first + timedelta(weeks=i) for i in range(2 * weeks)],
    )


# --- leaderboards ----------------------------------------------------------------------------

LEADERBOARD_SORTS = ("people", "applications", "hires", "points", "links")


@dataclass
class LeaderRow:
    key: int | None
    label: str
    direction: str = ""
    agents: int = 0
    links: int = 0
    people: int = 0
    applications: int = 0
    hires: int = 0
    points: int = 0


def _per_agent(session: Session, period: Period, filters: Filters):
    """Per agent: links, people reached, applications and hires, points (subqueries)."""
    start, end = period.start_at, period.end_at

    def link_filters(query):
        if filters.offer_id is not None:
            query = query.where(ShareLink.offer_id == filters.offer_id)
        if filters.channel:
            query = query.where(ShareLink.channel == filters.channel)
        return query

    links = link_filters(
        select(ShareLink.agent_id.label("agent_id"), func.count().label("n"))
        .where(ShareLink.created_at >= start, ShareLink.created_at < end)
        .group_by(ShareLink.agent_id)
    ).subquery("agent_links")
    days = _visit_days(session, period.zone, period.start, period.after)
    people = link_filters(
        select(ShareLink.agent_id.label("agent_id"), func.sum(days.c.people).label("n"))
        .select_from(days)
        .join(ShareLink, ShareLink.id == days.c.link_id)
        .where(days.c.people > 0)
        .group_by(ShareLink.agent_id)
    ).subquery("agent_people")
    # Hires only need the moves to "hired" (a few rows), not every stage reached.
    hired = (
        select(StatusChange.application_id.label("application_id"))
        .where(StatusChange.to_status == ApplicationStatus.HIRED.value, StatusChange.at >= start)
        .group_by(StatusChange.application_id)
        .subquery("hired")
    )
    was_hired = or_(
        Application.status == ApplicationStatus.HIRED.value, hired.c.application_id.is_not(None)
    )
    apps_q = (
        select(
            Application.credited_agent_id.label("agent_id"),
            func.count().label("n"),
            func.coalesce(func.sum(case((was_hired, 1), else_=0)), 0).label("hires"),
        )
        .outerjoin(hired, hired.c.application_id == Application.id)
        .where(
            Application.created_at >= start,
            Application.created_at < end,
            Application.credited_agent_id.is_not(None),
        )
    )
    points_q = select(
        CreditEvent.agent_id.label("agent_id"), func.sum(CreditEvent.points).label("n")
    ).where(
        CreditEvent.created_at >= start,
        CreditEvent.created_at < end,
        CreditEvent.state != CreditState.VOID.value,
    )
    if filters.offer_id is not None or filters.channel:
        points_q = points_q.join(Application, Application.id == CreditEvent.application_id)
    if filters.channel:
        apps_q = apps_q.join(ShareLink, ShareLink.id == Application.share_link_id).where(
            ShareLink.channel == filters.channel
        )
        points_q = points_q.join(ShareLink, ShareLink.id == Application.share_link_id).where(
            ShareLink.channel == filters.channel
        )
    if filters.offer_id is not None:
        apps_q = apps_q.where(Application.offer_id == filters.offer_id)
        points_q = points_q.where(Application.offer_id == filters.offer_id)
    applications = apps_q.group_by(Application.credited_agent_id).subquery("agent_applications")
    points = points_q.group_by(CreditEvent.agent_id).subquery("agent_points")
    columns = {
        "links": func.coalesce(links.c.n, 0),
        "people": func.coalesce(people.c.n, 0),
        "applications": func.coalesce(applications.c.n, 0),
        "hires": func.coalesce(applications.c.hires, 0),
        "points": func.coalesce(points.c.n, 0),
    }

    def join(query):
        return (
            query.outerjoin(links, links.c.agent_id == User.id)
            .outerjoin(people, people.c.agent_id == User.id)
            .outerjoin(applications, applications.c.agent_id == User.id)
            .outerjoin(points, points.c.agent_id == User.id)
        )

    active = or_(
        links.c.n.is_not(None),
        people.c.n.is_not(None),
        applications.c.n.is_not(None),
        points.c.n.is_not(None),
    )
    return columns, join, active


def _leaderboard_population(filters: Filters, scope: Scope) -> list:
    """Agents on the leaderboards: active, not opted out, within the scope and filters."""
    return [
        User.active,
        User.on_leaderboard,
        *_direction_conditions(User.direction_id, filters, scope),
    ]


@dataclass
class Leaderboards:
    agents: list[LeaderRow]
    directions: list[LeaderRow]


def leaderboards(
    session: Session,
    viewer: User,
    period: Period,
    filters: Filters = Filters(),  # noqa: B008 - frozen dataclass, immutable
    sort: str = "applications",
    limit: int = 50,
) -> Leaderboards:
    """The agents who contributed most in the period (the first ``limit``), and the
    directions by what their agents brought, with the number of agents who contributed.

    Agents who left or asked to be off the leaderboards are in neither. One query: the
    per-agent figures are a CTE read by both boards (materialised once).
    """
    if sort not in LEADERBOARD_SORTS:
        raise InvalidInput("Unknown sort order.", {"sort": sort})
    scope = Scope.of(viewer)
    columns, join, active = _per_agent(session, period, filters)
    per_agent = (
        join(
            select(
                User.id.label("agent_id"),
                User.first_name.label("first_name"),
                User.last_name.label("last_name"),
                User.direction_id.label("direction_id"),
                *[c.label(k) for k, c in columns.items()],
            ).select_from(User)
        )
        .where(active, *_leaderboard_population(filters, scope))
        .cte("per_agent")
    )
    figures = [per_agent.c[k] for k in columns]
    order = [per_agent.c[sort].desc(), *[per_agent.c[k].desc() for k in columns if k != sort]]
    top_agents = (
        select(
            literal("agent", String()).label("kind"),
            per_agent.c.agent_id.label("key"),
            (per_agent.c.first_name + " " + per_agent.c.last_name).label("label"),
            func.coalesce(Direction.name, literal("", String())).label("direction"),
            literal(1, Integer()).label("agents"),
            *figures,
        )
        .select_from(per_agent)
        .outerjoin(Direction, Direction.id == per_agent.c.direction_id)
        .order_by(*order, per_agent.c.last_name, per_agent.c.agent_id)
        .limit(limit)
        .subquery("top_agents")
    )
    by_direction = (
        select(
            literal("direction", String()).label("kind"),
            Direction.id.label("key"),
            Direction.name.label("label"),
            literal("", String()).label("direction"),
            func.count().label("agents"),
            *[func.sum(per_agent.c[k]).label(k) for k in columns],
        )
        .select_from(per_agent)
        .join(Direction, Direction.id == per_agent.c.direction_id)
        .group_by(Direction.id, Direction.name)
    )
    agents, directions = [], []
    for kind, key, label, direction, n, *values in session.execute(
        union_all(select(top_agents), by_direction)
    ):
        row = LeaderRow(
            key=key,
            label=label,
            direction=direction,
            agents=n,
            **{k: int(v or 0) for k, v in zip(columns, values, strict=True)},
        )
        (agents if kind == "agent" else directions).append(row)
    names = list(columns)

    def rank(row: LeaderRow):
        return (-getattr(row, sort), *[-getattr(row, k) for k in names if k != sort])

    agents.sort(key=lambda r: (*rank(r), r.label.split(" ")[-1], r.key))
    directions.sort(key=lambda r: (*rank(r), r.label))
    return Leaderboards(agents=agents, directions=directions)


def agent_leaderboard(
    session: Session, viewer: User, period: Period, filters=None, sort="applications", limit=50
):
    """The agents' board of :func:`leaderboards`."""
    return leaderboards(session, viewer, period, filters or Filters(), sort, limit).agents


def direction_leaderboard(
    session: Session, viewer: User, period: Period, filters=None, sort="applications"
):
    """The directions' board of :func:`leaderboards`."""
    return leaderboards(session, viewer, period, filters or Filters(), sort).directions


# --- what the filter forms offer --------------------------------------------------------------


def filter_choices(session: Session, viewer: User) -> dict[str, list[tuple[int, str]]]:
    """Offers and directions the viewer may filter on (two queries)."""
    scope = Scope.of(viewer)
    offers = session.execute(
        select(Offer.id, Offer.reference + " · " + Offer.title)
        .where(
            Offer.published_at.is_not(None),
            *_direction_conditions(Offer.direction_id, Filters(), scope),
        )
        .order_by(Offer.published_at.desc())
        .limit(500)
    ).all()
    directions = session.execute(
        select(Direction.id, Direction.name)
        .where(*_direction_conditions(Direction.id, Filters(), scope))
        .order_by(Direction.name)
    ).all()
    return {"offers": [tuple(o) for o in offers], "directions": [tuple(d) for d in directions]}


def agent_name(session: Session, viewer: User, agent_id: int) -> str:
    """The name of an agent the viewer may filter on; NotFound otherwise."""
    scope = Scope.of(viewer)
    name = session.scalar(
        select(User.first_name + " " + User.last_name).where(
            User.id == agent_id, *_direction_conditions(User.direction_id, Filters(), scope)
        )
    )
    if name is None:
        raise NotFound("No such agent.")
    return name
