"""Leaderboards: the agents who brought most over a period, and the directions by what their
agents brought (agents who left or opted out are on neither)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, String, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from referral.analytics.rollup import visit_days
from referral.analytics.scope import Filters, Period, Scope, direction_conditions
from referral.errors import InvalidInput
from referral.models import (
    Application,
    ApplicationStatus,
    CreditEvent,
    CreditState,
    Direction,
    ShareLink,
    StatusChange,
    User,
)

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
    days = visit_days(period.start, period.after)
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
        CreditEvent.state != CreditState.VOID,
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
        *direction_conditions(User.direction_id, filters, scope),
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
    agents: list[LeaderRow] = []
    directions: list[LeaderRow] = []
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
