"""Over time: the programme week by week (weeks start on Monday, in the organisation's time
zone), within the viewer's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select, union
from sqlalchemy.orm import Session

from referral.analytics.rollup import visit_days
from referral.analytics.scope import Filters, Period, Scope, application_facts, link_facts
from referral.local_calendar import WEEK_ORIGIN, day_number, week_index
from referral.models import Application, ApplicationSource, ShareLink, User


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
