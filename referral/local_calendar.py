"""The organisation's calendar: its days and weeks, in Python and in SQL.

A day is a day of the organisation's time zone (``Settings.timezone``), not of UTC: a visit
at 00:30 in Paris is on that day, though it is 23:30 or 22:30 UTC the day before. Days are
numbered from Monday 29 December 1969, so ``day // 7`` is the week (weeks start on Monday).

In SQL, :class:`local_day` numbers the day of a stored instant: PostgreSQL converts the
``timestamptz`` with ``AT TIME ZONE``; SQLite, which stores naive UTC text and knows no time
zones, calls :func:`sqlite_local_day`, registered on every connection by
:func:`referral.db.make_engine`.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# A Monday: whole weeks from it are calendar weeks.
WEEK_ORIGIN = date(1969, 12, 29)
_ORIGIN_ORDINAL = WEEK_ORIGIN.toordinal()
SQLITE_FUNCTION = "relais_local_day"


@functools.lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def day_number(day: date) -> int:
    """The number of a calendar day: days since Monday 29 December 1969."""
    return day.toordinal() - _ORIGIN_ORDINAL


def local_date(instant: datetime, zone: str) -> date:
    """The date of an aware instant in ``zone``."""
    return instant.astimezone(_zone(zone)).date()


def local_midnight(day: date, zone: str) -> datetime:
    """The first instant of ``day`` in ``zone``, in UTC.

    Where a change of time skips midnight, the day starts when the clocks go on (``fold=0``
    reads a missing time with the offset before the change).
    """
    return datetime.combine(day, time(), tzinfo=_zone(zone)).astimezone(UTC)


def local_day_number(instant: datetime, zone: str) -> int:
    """The number of the day of ``instant`` in ``zone`` (see :func:`day_number`)."""
    return day_number(local_date(instant, zone))


def sqlite_local_day(stored: str | None, zone: str) -> int | None:
    """SQLite's ``relais_local_day(ts, zone)``: ``ts`` as stored (naive UTC ISO text)."""
    if stored is None:
        return None
    instant = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return instant.astimezone(_zone(zone)).date().toordinal() - _ORIGIN_ORDINAL


class local_day(FunctionElement):
    """The number of the day of the timestamp ``ts`` in the time zone ``zone`` (SQL).

    ``local_day(ts, zone) // 7`` is its week. Use one object for a column and its GROUP BY:
    PostgreSQL matches them by their text, bound parameters included.
    """

    type = Integer()
    inherit_cache = True
    name = "local_day"

    def __init__(self, ts, zone: str):
        super().__init__(ts, literal(zone, String()))


@compiles(local_day, "postgresql")
def _local_day_postgresql(element, compiler, **kw) -> str:
    ts, zone = (compiler.process(c, **kw) for c in element.clauses)
    # date - date is a whole number of days.
    return f"(CAST(({ts} AT TIME ZONE {zone}) AS DATE) - DATE '{WEEK_ORIGIN.isoformat()}')"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element, compiler, **kw) -> str:
    ts, zone = (compiler.process(c, **kw) for c in element.clauses)
    return f"{SQLITE_FUNCTION}({ts}, {zone})"


def week_index(ts, zone: str, first: date, n_weeks: int, sqlite: bool):
    """SQL: the index, from the Monday ``first``, of the local week of the instant ``ts``
    (rows outside the ``n_weeks`` weeks are the caller's to exclude).

    PostgreSQL converts with ``AT TIME ZONE`` (:class:`local_day`). On SQLite ``local_day``
    is a Python function called once per row, which dominates the analytics of a year: the
    weeks' first instants are computed here instead (local midnights, changes of time
    included) and each row finds its week by a binary search, ``log2(n_weeks)`` comparisons
    of stored instants inside SQLite.
    """
    if not sqlite:
        return (local_day(ts, zone) - day_number(first)) // 7
    starts = [local_midnight(first + timedelta(weeks=i), zone) for i in range(n_weeks)]

    def search(lo: int, hi: int):
        if hi - lo <= 1:
            return literal(lo, Integer())
        mid = (lo + hi) // 2
        return case((ts < starts[mid], search(lo, mid)), else_=search(mid, hi))

    return search(0, max(n_weeks, 1))
