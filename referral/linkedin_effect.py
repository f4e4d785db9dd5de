"""Before and after each training, on the LinkedIn measures of consenting agents.

The windows and groups are those of :func:`referral.training_effect.training_design`, the
estimate its :func:`~referral.training_effect.difference_in_differences`. Only agents who
consented and whose latest archive covers the whole after-window take part (an archive read
before the window ended would count its last weeks as zeros). A group under ``MIN_GROUP``
agents gives "not enough data", never a figure. The colleague network is described by counts
over groups only: density, share of agents connected to another direction, and a direction x
direction matrix of interactions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral import training_effect
from referral.analytics import MIN_GROUP
from referral.linkedin.activity import MEASURES
from referral.local_calendar import local_date
from referral.models import Direction, LinkedInConsent, LinkedInEdge, LinkedInWeek, User
from referral.training_effect import EffectEstimate, TrainingDesign


@dataclass(frozen=True)
class LinkedInEffects:
    design: TrainingDesign
    treated_ids: tuple[int, ...]  # consenting attendees whose archive covers the windows
    comparison_ids: tuple[int, ...]
    estimates: dict[str, EffectEstimate]  # empty when a group is too small
    enough_agents: bool


def _covering(session: Session, ids: tuple[int, ...], until: date, zone: str) -> tuple[int, ...]:
    if not ids:
        return ()
    rows = session.execute(
        select(LinkedInConsent.user_id, LinkedInConsent.imported_at).where(
            LinkedInConsent.user_id.in_(ids), LinkedInConsent.imported_at.is_not(None)
        )
    )
    return tuple(sorted(u for u, at in rows if local_date(at, zone) >= until))


def _rates(
    session: Session, ids: tuple[int, ...], design: TrainingDesign
) -> dict[str, dict[int, tuple[float, float]]]:
    """measure -> agent -> (mean per week before, mean per week after)."""
    sums = {m: {a: [0, 0] for a in ids} for m in MEASURES}
    if ids:
        rows = session.scalars(
            select(LinkedInWeek).where(
                LinkedInWeek.user_id.in_(ids),
                LinkedInWeek.week >= design.before.start,
                LinkedInWeek.week < design.after.end,
            )
        )
        for row in rows:
            if row.week < design.before.end:
                side = 0
            elif row.week >= design.after.start:
                side = 1
            else:
                continue  # the training's own week is in neither window
            for m in MEASURES:
                sums[m][row.user_id][side] += getattr(row, m)
    weeks = design.before.weeks or 1
    return {
        m: {a: (b / weeks, after / weeks) for a, (b, after) in per_agent.items()}
        for m, per_agent in sums.items()
    }


def linkedin_effects(
    session: Session,
    training_id: int,
    *,
    today: date,
    zone: str,
    comparison: str = "never_trained",
    population: list | None = None,
) -> LinkedInEffects:
    """The per-measure effect of a training on consenting agents' LinkedIn activity."""
    consenting = User.id.in_(select(LinkedInConsent.user_id))
    design = training_effect.training_design(
        session,
        training_id,
        today=today,
        zone=zone,
        comparison=comparison,
        population=[consenting, *(population or [])],
    )
    treated = _covering(session, design.treated_ids, design.after.end, zone)
    compared = _covering(session, design.comparison_ids, design.after.end, zone)
    enough = design.enough and len(treated) >= MIN_GROUP and len(compared) >= MIN_GROUP
    estimates: dict[str, EffectEstimate] = {}
    if enough:
        rates = _rates(session, treated + compared, design)
        for m in MEASURES:
            estimates[m] = training_effect.difference_in_differences(
                {a: rates[m][a] for a in treated}, {a: rates[m][a] for a in compared}
            )
    return LinkedInEffects(design, treated, compared, estimates, enough)


# --- the colleague network -----------------------------------------------------------------------


@dataclass(frozen=True)
class Network:
    start: date
    end: date
    agents: int  # consenting agents who imported an archive
    ties: int  # pairs of agents with at least one edge in the period
    density: float | None  # ties / possible pairs
    across_share: float | None  # share of agents with a tie to another direction
    directions: list[str]
    matrix: list[list[int | None]]  # interactions from row direction to column direction
    enough: bool


def network(session: Session, *, start: date, end: date, population: list | None = None) -> Network:
    """The network between consenting colleagues over edges dated in [start, end).

    A direction with fewer than ``MIN_GROUP`` consenting agents has its row and column shown
    as None ("not enough data"), so no cell can single out one agent.
    """
    agents: dict[int, str] = {
        user_id: direction
        for user_id, direction in session.execute(
            select(User.id, Direction.name)
            .join(LinkedInConsent, LinkedInConsent.user_id == User.id)
            .outerjoin(Direction, Direction.id == User.direction_id)
            .where(LinkedInConsent.imported_at.is_not(None), *(population or []))
        )
    }
    n = len(agents)
    edges = session.execute(
        select(LinkedInEdge.source_id, LinkedInEdge.target_id, LinkedInEdge.count).where(
            LinkedInEdge.week >= start, LinkedInEdge.week < end
        )
    ).all()
    pairs: set[tuple[int, int]] = set()
    across: set[int] = set()
    sizes: dict[str, int] = defaultdict(int)
    for name in agents.values():
        sizes[name or ""] += 1
    directions = sorted(sizes)
    index = {d: i for i, d in enumerate(directions)}
    cells = [[0] * len(directions) for _ in directions]
    for source, target, count in edges:
        if source not in agents or target not in agents or source == target:
            continue
        pairs.add((min(source, target), max(source, target)))
        a, b = agents[source] or "", agents[target] or ""
        cells[index[a]][index[b]] += count
        if a != b:
            across.update((source, target))
    small = {d for d in directions if sizes[d] < MIN_GROUP}
    matrix: list[list[int | None]] = [
        [None if (r in small or c in small) else cells[index[r]][index[c]] for c in directions]
        for r in directions
    ]
    enough = n >= MIN_GROUP
    return Network(
        start=start,
        end=end,
        agents=n,
        ties=len(pairs) if enough else 0,
        density=(len(pairs) / (n * (n - 1) / 2)) if enough else None,
        across_share=(len(across) / n) if enough else None,
        directions=directions,
        matrix=matrix,
        enough=enough,
    )
