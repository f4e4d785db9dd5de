"""The effect of an ambassador training, measured so that it can be trusted.

A training is compared on *whole local weeks* (Monday to Sunday in the organisation's time
zone): the week of the training itself is left out, and only weeks that have fully elapsed
count. A training younger than its window N is *in progress*: with k full weeks observed after
it, it is compared on k weeks before and k weeks after; below 2 weeks nothing is compared.

Two groups, each built by a stated rule:

- *treated*: the active attendees of the training;
- *comparison*, either ``never_trained``: active staff who had attended no training held
  before the end of the after-window (so the attendees of earlier trainings are never in it),
  or ``later_cohort``: the active attendees of a later training (held on or after the end of
  the after-window), observed before they attended — the staggered design.

The effect is a difference in differences per agent: each agent's change (mean per week after
minus mean per week before), treated mean change minus comparison mean change. Its 95%
interval is Welch's t-interval for a difference of means computed by SciPy
(:func:`scipy.stats.ttest_ind` with ``equal_var=False``): the same estimate and standard error
as an ordinary least-squares regression of the changes on a treated dummy with
heteroskedasticity-robust (HC2) errors, one observation per agent, so agents are the
independent units.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from scipy import stats
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral.errors import InvalidInput, NotFound
from referral.local_calendar import day_number, local_midnight, week_index
from referral.models import (
    Application,
    ApplicationStatus,
    ShareLink,
    StatusChange,
    Training,
    TrainingAttendee,
    User,
    VisitDay,
)

COMPARISONS = ("never_trained", "later_cohort")
MEASURES = ("links", "people", "applications", "hires")
DEFAULT_WEEKS = 8
MAX_WEEKS = 52
MIN_WEEKS = 2
METHOD = (
    "Welch t-interval on per-agent changes (SciPy), "
    "equivalent to OLS on a treated dummy with HC2 robust errors"
)


@dataclass(frozen=True)
class Window:
    """Whole local weeks (Monday to Sunday, in the organisation's time zone)."""

    start: date  # a Monday, inclusive
    end: date  # a Monday, exclusive
    weeks: int

    @property
    def week_starts(self) -> list[date]:
        return [self.start + timedelta(weeks=i) for i in range(self.weeks)]


@dataclass(frozen=True)
class TrainingDesign:
    training_id: int
    held_on: date
    planned_weeks: int  # the training's window N
    observed_weeks: int  # k: full weeks elapsed after the training's week, at most N
    in_progress: bool  # k < N
    enough: bool  # k >= 2 (below that, nothing is compared or shown)
    before: Window  # the k full weeks before the training's week
    after: Window  # the k full weeks after the training's week
    treated_ids: tuple[int, ...]  # user ids of the attendees
    comparison_ids: tuple[int, ...]  # user ids of the comparison group
    comparison_rule: str  # "never_trained" or "later_cohort"


@dataclass(frozen=True)
class EffectEstimate:
    effect: float | None  # difference in differences, per agent per week
    low: float | None  # confidence interval
    high: float | None
    confidence: float  # 0.95
    treated_n: int
    comparison_n: int
    treated_before: float  # mean per agent per week
    treated_after: float
    comparison_before: float
    comparison_after: float
    measurable: bool  # the interval excludes 0
    method: str

    @property
    def nothing_happened(self) -> bool:
        """Neither group did any of it, before or after (no hire at all, say): there is
        nothing to compare, which is not the same as an effect measured to be 0."""
        return self.effect is not None and not any(
            (self.treated_before, self.treated_after, self.comparison_before, self.comparison_after)
        )


def week_monday(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def full_weeks_between(start: date, today: date) -> int:
    """Whole weeks (Monday to Sunday) from the Monday ``start`` that have fully elapsed by
    ``today`` (today itself is not over)."""
    return max(0, (week_monday(today) - start).days // 7)


def _zone_name(zone: ZoneInfo | str) -> str:
    return zone if isinstance(zone, str) else zone.key


def windows(held_on: date, weeks: int, today: date) -> tuple[int, Window, Window]:
    """(k, before, after) for a training held on ``held_on`` with a window of ``weeks``."""
    training_week = week_monday(held_on)
    k = min(weeks, full_weeks_between(training_week + timedelta(weeks=1), today))
    before = Window(training_week - timedelta(weeks=k), training_week, k)
    after_start = training_week + timedelta(weeks=1)
    after = Window(after_start, after_start + timedelta(weeks=k), k)
    return k, before, after


def training_design(
    session: Session,
    training_id: int,
    *,
    today: date,
    zone: ZoneInfo | str,
    comparison: str = "never_trained",
    weeks: int = DEFAULT_WEEKS,
    population: Iterable = (),
) -> TrainingDesign:
    """The windows and the two groups of a training, as of ``today`` (a local date).

    ``population`` adds SQL conditions on :class:`User` (e.g. a manager's directions) to
    both groups. Raises NotFound, InvalidInput.
    """
    if comparison not in COMPARISONS:
        raise InvalidInput("Choose a comparison group.", {"comparison": comparison})
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput(f"The number of weeks must be between 1 and {MAX_WEEKS}.", {"weeks": ""})
    training = session.get(Training, training_id)
    if training is None:
        raise NotFound("No such training.")
    k, before, after = windows(training.held_on, weeks, today)
    population = [User.active, *population]

    treated = tuple(
        session.scalars(
            select(User.id)
            .join(TrainingAttendee, TrainingAttendee.user_id == User.id)
            .where(TrainingAttendee.training_id == training.id, *population)
            .order_by(User.id)
        )
    )
    # Anyone who attended a training held before the end of the after-window (this one
    # included) is "trained" during the comparison.
    trained_by_end = (
        select(TrainingAttendee.user_id)
        .join(Training, Training.id == TrainingAttendee.training_id)
        .where(Training.held_on < after.end)
    )
    query = select(User.id).where(*population, User.id.not_in(trained_by_end))
    if comparison == "later_cohort":
        later = (
            select(TrainingAttendee.user_id)
            .join(Training, Training.id == TrainingAttendee.training_id)
            .where(Training.held_on >= after.end)
        )
        query = query.where(User.id.in_(later))
    comparison_ids = tuple(session.scalars(query.order_by(User.id)))
    return TrainingDesign(
        training_id=training.id,
        held_on=training.held_on,
        planned_weeks=weeks,
        observed_weeks=k,
        in_progress=k < weeks,
        enough=k >= MIN_WEEKS,
        before=before,
        after=after,
        treated_ids=treated,
        comparison_ids=comparison_ids,
        comparison_rule=comparison,
    )


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def difference_in_differences(
    treated: Mapping[int, tuple[float, float]],
    comparison: Mapping[int, tuple[float, float]],
    *,
    confidence: float = 0.95,
) -> EffectEstimate:
    """Treated agents' mean change minus comparison agents' mean change (per agent, per
    week), with the ``confidence`` interval of Welch's t-test (SciPy). With fewer than two
    agents in a group there is no interval, and no effect is claimed."""
    t_changes = [after - before for before, after in treated.values()]
    c_changes = [after - before for before, after in comparison.values()]
    effect = low = high = None
    if len(t_changes) >= 2 and len(c_changes) >= 2:
        effect = _mean(t_changes) - _mean(c_changes)
        if len(set(t_changes)) == 1 and len(set(c_changes)) == 1:
            low = high = effect  # no variation at all: the difference is exact
        else:
            result = stats.ttest_ind(t_changes, c_changes, equal_var=False)
            interval = result.confidence_interval(confidence_level=confidence)
            low, high = float(interval.low), float(interval.high)
            if math.isnan(low) or math.isnan(high):
                low = high = None
    measurable = low is not None and high is not None and (low > 0 or high < 0)
    return EffectEstimate(
        effect=effect,
        low=low,
        high=high,
        confidence=confidence,
        treated_n=len(t_changes),
        comparison_n=len(c_changes),
        treated_before=_mean([b for b, _ in treated.values()]),
        treated_after=_mean([a for _, a in treated.values()]),
        comparison_before=_mean([b for b, _ in comparison.values()]),
        comparison_after=_mean([a for _, a in comparison.values()]),
        measurable=measurable,
        method=METHOD,
    )


# --- per-agent measures from the database ------------------------------------------------------


@dataclass(frozen=True)
class AgentWeeks:
    """Per measure, what each agent did in each whole local week from ``first`` (a Monday)
    to ``end`` (a Monday, exclusive): ``counts[measure][row, week]``, the row of an agent
    being ``rows[agent_id]`` and ``week`` the index of the week from ``first``.

    Loaded once, it serves every training whose windows fall within it: the programme report
    reads the database four times for all its trainings, not four times per training, and
    each window's per-agent sums are array slices.
    """

    first: date
    end: date
    rows: dict[int, int]
    counts: dict[str, np.ndarray]

    def totals(self, measure: str, agents: Iterable[int], window: Window) -> list[int]:
        """What each of ``agents`` did over ``window`` (whole weeks within this span)."""
        offset = (window.start - self.first).days // 7
        per_agent = self.counts[measure][:, offset : offset + window.weeks].sum(axis=1)
        return [int(per_agent[self.rows[a]]) if a in self.rows else 0 for a in agents]

    def weekly(self, measure: str, agents: Iterable[int], first: date, weeks: int) -> list[int]:
        """The sum over ``agents`` of each of ``weeks`` weeks from the Monday ``first``."""
        offset = (first - self.first).days // 7
        rows = [self.rows[a] for a in agents if a in self.rows]
        block = self.counts[measure][rows, offset : offset + weeks]
        return [int(n) for n in block.sum(axis=0)] if rows else [0] * weeks


def agent_weeks(
    session: Session,
    zone: ZoneInfo | str,
    first: date,
    end: date,
    agents: Collection[int] | None = None,
) -> AgentWeeks:
    """Links created, people reached (from the daily visit roll-up ``visit_day``, which the
    worker keeps current in ``zone``: :mod:`referral.analytics.rollup`), applications
    credited and hires credited (the first move of each to "hired"), per agent and whole
    local week from the Monday ``first`` to the Monday ``end``. ``agents``: only those
    (default: everyone). Four queries, grouped by agent and week in SQL.
    """
    zone = _zone_name(zone)
    origin, stop = day_number(first), day_number(end)
    n_weeks = (stop - origin) // 7
    start_at, end_at = local_midnight(first, zone), local_midnight(end, zone)
    found: dict[str, np.ndarray] = {}

    def collect(measure, query):
        # Tens of thousands of (agent, week, n) rows for a programme's year: read as plain
        # tuples from the driver's cursor into one integer array (the rows are integers,
        # PostgreSQL's sums Decimals), not as SQLAlchemy rows.
        result = session.connection().execute(query)
        fetched = result.cursor.fetchall()
        result.close()
        table = np.array(fetched or np.empty((0, 3)), dtype=object)
        if len(table):
            table = table[(table[:, 0] != None) & (table[:, 2] != None)]  # noqa: E711
        table = table.astype(np.int64).reshape(-1, 3)
        found[measure] = table[(table[:, 1] >= 0) & (table[:, 1] < n_weeks)]

    def only(column):
        return [] if agents is None else [column.in_(tuple(agents))]

    sqlite = session.get_bind().dialect.name == "sqlite"

    def week_of(ts):
        return week_index(ts, zone, first, n_weeks, sqlite).label("w")

    week = week_of(ShareLink.created_at)
    collect(
        "links",
        select(ShareLink.agent_id, week, func.count())
        .where(ShareLink.created_at >= start_at, ShareLink.created_at < end_at)
        .where(*only(ShareLink.agent_id))
        .group_by(ShareLink.agent_id, week),
    )
    week = ((VisitDay.day - origin) // 7).label("w")
    collect(
        "people",
        select(ShareLink.agent_id, week, func.sum(VisitDay.people))
        .join(ShareLink, ShareLink.id == VisitDay.link_id)
        .where(VisitDay.day >= origin, VisitDay.day < stop, VisitDay.people > 0)
        .where(*only(ShareLink.agent_id))
        .group_by(ShareLink.agent_id, week),
    )
    week = week_of(Application.created_at)
    collect(
        "applications",
        select(Application.credited_agent_id, week, func.count())
        .where(
            Application.created_at >= start_at,
            Application.created_at < end_at,
            Application.credited_agent_id.is_not(None),
        )
        .where(*only(Application.credited_agent_id))
        .group_by(Application.credited_agent_id, week),
    )
    hires = (
        select(StatusChange.application_id, func.min(StatusChange.at).label("at"))
        .where(StatusChange.to_status == ApplicationStatus.HIRED.value)
        .group_by(StatusChange.application_id)
        .subquery("first_hire")
    )
    week = week_of(hires.c.at)
    collect(
        "hires",
        select(Application.credited_agent_id, week, func.count())
        .select_from(hires)
        .join(Application, Application.id == hires.c.application_id)
        .where(
            hires.c.at >= start_at,
            hires.c.at < end_at,
            Application.credited_agent_id.is_not(None),
        )
        .where(*only(Application.credited_agent_id))
        .group_by(Application.credited_agent_id, week),
    )
    ids = np.unique(np.concatenate([table[:, 0] for table in found.values()]))
    rows = {int(agent): row for row, agent in enumerate(ids)}
    counts = {}
    for measure, table in found.items():
        array = np.zeros((len(ids), n_weeks), dtype=np.int64)
        np.add.at(array, (np.searchsorted(ids, table[:, 0]), table[:, 1]), table[:, 2])
        counts[measure] = array
    return AgentWeeks(first=first, end=end, rows=rows, counts=counts)


def design_weeks(session: Session, design: TrainingDesign, zone: ZoneInfo | str) -> AgentWeeks:
    """The weeks one training's comparison needs, for its two groups only."""
    return agent_weeks(
        session,
        zone,
        design.before.start,
        design.after.end,
        (*design.treated_ids, *design.comparison_ids),
    )


def _covers(weeks: AgentWeeks, design: TrainingDesign) -> bool:
    return weeks.first <= design.before.start and design.after.end <= weeks.end


def agent_rates(
    session: Session,
    design: TrainingDesign,
    zone: ZoneInfo | str,
    weeks: AgentWeeks | None = None,
) -> dict[str, tuple[dict[int, tuple[float, float]], dict[int, tuple[float, float]]]]:
    """Per measure, per agent of each group: (mean per week before, mean per week after),
    over the design's k whole weeks on each side (the training's own week in neither).

    ``weeks`` (from :func:`agent_weeks`) covering the design's windows spares the queries;
    otherwise the four of :func:`design_weeks` run. Empty when not ``enough``.
    """
    if not design.enough:
        return {}
    if weeks is None or not _covers(weeks, design):
        weeks = design_weeks(session, design, zone)
    k = design.observed_weeks
    result = {}
    for measure in MEASURES:
        groups = []
        for ids in (design.treated_ids, design.comparison_ids):
            before = weeks.totals(measure, ids, design.before)
            after = weeks.totals(measure, ids, design.after)
            groups.append({a: (b / k, f / k) for a, b, f in zip(ids, before, after, strict=True)})
        result[measure] = (groups[0], groups[1])
    return result


def training_effects(
    session: Session,
    design: TrainingDesign,
    zone: ZoneInfo | str,
    weeks: AgentWeeks | None = None,
) -> dict[str, EffectEstimate]:
    """The estimate of every measure (empty when the design has fewer than 2 weeks)."""
    return {
        measure: difference_in_differences(treated, comparison)
        for measure, (treated, comparison) in agent_rates(session, design, zone, weeks).items()
    }


@dataclass(frozen=True)
class WeeklyLinks:
    """Share links created per agent, week by week, from the first week before the training
    to the last week after it; the training's own week is in neither period (``excluded``)."""

    week_starts: tuple[date, ...]
    treated: tuple[float, ...]
    comparison: tuple[float, ...]
    excluded: int  # index of the training's week


def weekly_links(
    session: Session,
    design: TrainingDesign,
    zone: ZoneInfo | str,
    weeks: AgentWeeks | None = None,
) -> WeeklyLinks:
    """Links created per week by each group, divided by the group's size (from ``weeks``
    when they cover the design, else from the database)."""
    starts = (*design.before.week_starts, design.before.end, *design.after.week_starts)
    treated, comparison = [0] * len(starts), [0] * len(starts)
    if design.enough and (design.treated_ids or design.comparison_ids):
        if weeks is None or not _covers(weeks, design):
            weeks = design_weeks(session, design, zone)
        first = design.before.start
        treated = weeks.weekly("links", design.treated_ids, first, len(starts))
        comparison = weeks.weekly("links", design.comparison_ids, first, len(starts))
    t_n, c_n = max(len(design.treated_ids), 1), max(len(design.comparison_ids), 1)
    return WeeklyLinks(
        week_starts=starts,
        treated=tuple(n / t_n for n in treated),
        comparison=tuple(n / c_n for n in comparison),
        excluded=design.before.weeks,
    )


def programme_weeks(
    session: Session, designs: Iterable[TrainingDesign], zone: ZoneInfo | str
) -> AgentWeeks | None:
    """One load of every agent's weeks spanning all the designs that compare something (the
    programme report), or None when none does."""
    spans = [(d.before.start, d.after.end) for d in designs if d.enough]
    if not spans:
        return None
    return agent_weeks(session, zone, min(a for a, _ in spans), max(b for _, b in spans))


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


# --- marks on the weekly charts --------------------------------------------------------------


def partial_weeks(first: date, last: date, today: date) -> tuple[bool, bool]:
    """Whether the first and the last week of a period from ``first`` to ``last`` (both
    included) are partial: the period starts after a Monday, or ends before a Sunday, or its
    last week is not over by ``today``."""
    return first.weekday() != 0, last.weekday() != 6 or last >= today


def training_marks(session: Session, first: date, last: date) -> list[tuple[date, str]]:
    """The Mondays of the weeks of the trainings held from ``first`` to ``last``, with their
    titles, in date order (one query)."""
    rows = session.execute(
        select(Training.held_on, Training.title)
        .where(Training.held_on >= first, Training.held_on <= last)
        .order_by(Training.held_on, Training.id)
    )
    return [(week_monday(held_on), title) for held_on, title in rows]
