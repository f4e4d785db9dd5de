"""The funnel of the ambassador programme: from share links to hires, grouped by offer,
direction, channel or agent.

Every figure is an aggregate computed by the database (``count``/``sum``/``case``, grouped in
SQL); Python only merges the few aggregated rows, so the page runs a fixed number of queries
whatever the volume.

Definitions (shown on the pages too):

- *people reached*: visits of a person (``is_new_person``, not a bot) on a share link;
  *bot previews*: visits of link-preview crawlers (both read from the visit roll-up,
  :mod:`referral.analytics.rollup`).
- The application stages are a *cohort*: applications received in the period, and how far
  each got so far. An application counts as *shortlisted* once it reached screening or any
  later stage, read from its status history, so a later rejection does not remove it;
  likewise for interviews and hires.
- The *direction* is the offer's direction (with its sub-directions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from referral.analytics.rollup import visit_days
from referral.analytics.scope import (
    Filters,
    Period,
    Scope,
    application_facts,
    direction_conditions,
    link_facts,
)
from referral.errors import InvalidInput
from referral.models import (
    Application,
    ApplicationSource,
    ApplicationStatus,
    Direction,
    Offer,
    ShareLink,
    StatusChange,
    User,
)

GROUPINGS = ("offer", "direction", "channel", "agent")
REACHED_RANK = {
    ApplicationStatus.SCREENING.value: 1,
    ApplicationStatus.INTERVIEW.value: 2,
    ApplicationStatus.OFFER.value: 3,
    ApplicationStatus.HIRED.value: 4,
}
SHORTLISTED, INTERVIEWED, HIRED = 1, 2, 4


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
    links = link_facts(
        select(key, func.count().label("n"))
        .select_from(ShareLink)
        .where(ShareLink.created_at >= start, ShareLink.created_at < end),
        grouping,
        filters,
        scope,
    ).group_by(key)
    for k, n in session.execute(links):
        row(k).links = n

    days = visit_days(period.start, period.after)
    visits = link_facts(
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
    applications = application_facts(
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
        *direction_conditions(Offer.direction_id, filters, scope),
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
    return {key: label for key, label in session.execute(query).tuples()}
