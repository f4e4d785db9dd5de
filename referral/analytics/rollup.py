"""The visit roll-up: people reached and bot previews per share link and local day.

``visit`` holds one row per visit (a million a year is ordinary); the dashboards read
``visit_day`` instead, one row per link and day of the organisation's time zone. The worker
keeps it current (:func:`refresh_visit_days` at every tick, ``referral/worker.py``); pages only
read it, and :func:`status` tells them whether it is behind the visits and since when, so
that they can say "figures up to <time>" instead of showing stale figures as current.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from referral.local_calendar import WEEK_ORIGIN, day_number, local_day, local_midnight
from referral.models import Visit, VisitDay, VisitDayZone, utcnow


def _person_sum():
    person = (Visit.is_new_person) & (~Visit.is_bot)
    return func.coalesce(func.sum(case((person, 1), else_=0)), 0)


def _bot_sum():
    return func.coalesce(func.sum(case((Visit.is_bot, 1), else_=0)), 0)


def _since_last_day(last: int, zone: str) -> list:
    """Conditions on :class:`Visit`: from the start of the last day rolled up on."""
    return [Visit.occurred_at >= local_midnight(WEEK_ORIGIN + timedelta(days=last), zone)]


def _up_to_date(last: int, zone: str):
    """SQL: as many visits from the last day rolled up on as rolled up (nothing new)."""
    rolled = select(func.sum(VisitDay.visits)).where(VisitDay.day == last).scalar_subquery()
    recorded = (
        select(func.count()).select_from(Visit).where(*_since_last_day(last, zone))
    ).scalar_subquery()
    return recorded == rolled


def refresh_visit_days(
    session: Session, zone: str, rebuild: bool = False, now: datetime | None = None
) -> int:
    """Bring the visit roll-up up to date, in days of the time zone ``zone``. The caller
    commits. Returns 0 when there was nothing new, else the rows written as the driver
    reports them (-1: not reported).

    Re-counts the visits from the last day rolled up (today included) and upserts them, so
    it is cheap when up to date, exact, and safe when two workers run it at once. The worker
    calls it at every tick; the seeds and the benchmark after loading visits. ``rebuild``
    starts again from scratch: use it after loading visits of past days (demo seeds,
    imports), since the days before the last one rolled up are not read again. The roll-up
    starts again from scratch by itself when it is empty or was built in another time zone
    (``RELAIS_TIMEZONE`` changed). ``now`` (default: the clock) is recorded as the time the
    figures are complete up to.
    """
    began = now or utcnow()
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
        recent = _since_last_day(last, zone)
        if session.scalar(select(_up_to_date(last, zone))):
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
    written = cast(CursorResult, session.execute(statement)).rowcount
    # Visits recorded before ``began`` are counted (the count above started after it).
    session.execute(update(VisitDayZone).values(rolled_up_at=began))
    return written


@dataclass(frozen=True)
class RollupStatus:
    """Whether the pages' people and bot figures hold every recorded visit.

    ``current``: nothing recorded since the last roll-up. Otherwise ``rolled_up_at`` is the
    time up to which they are complete (None: never rolled up in this time zone).
    """

    current: bool
    rolled_up_at: datetime | None


def status(session: Session, zone: str) -> RollupStatus:
    """Is the roll-up behind the visits? One query, reading only (the pages call it)."""
    built = select(VisitDayZone.zone, VisitDayZone.rolled_up_at).limit(1).subquery()
    last = select(func.max(VisitDay.day)).scalar_subquery()
    built_zone, rolled_up_at, last_day = session.execute(
        select(built.c.zone, built.c.rolled_up_at, last).select_from(built)
    ).one_or_none() or (None, None, None)
    if built_zone != zone or last_day is None:
        # Never rolled up (in this time zone): current only if there is no visit at all.
        anything = session.scalar(select(Visit.id).limit(1))
        return RollupStatus(current=anything is None, rolled_up_at=None)
    current = bool(session.scalar(select(_up_to_date(last_day, zone))))
    return RollupStatus(current=current, rolled_up_at=rolled_up_at)


def visit_days(first: date, after: date):
    """People and bots per share link and local day, from day ``first`` to the day before
    ``after``, as rolled up (a subquery; it writes nothing)."""
    return (
        select(VisitDay.link_id, VisitDay.day, VisitDay.people, VisitDay.bots)
        .where(VisitDay.day >= day_number(first), VisitDay.day < day_number(after))
        .subquery("visit_days")
    )
