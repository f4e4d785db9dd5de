"""Who may see what, over which days: the period, the filters and the viewer's scope.

Managers see every analytics figure restricted to their own direction and its
sub-directions: the restriction is applied here, in the queries, not by the pages. Days are
those of the organisation's time zone (``Settings.timezone``): a period starts and ends at
local midnight (see :mod:`referral.local_calendar`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import false, select
from sqlalchemy.orm import Session, aliased

from referral.errors import Forbidden, InvalidInput, NotFound
from referral.local_calendar import local_midnight
from referral.models import Application, Direction, Offer, Role, ShareLink, User

MIN_GROUP = 5  # fewer agents than this: "not enough data" instead of a figure
MAX_PERIOD_DAYS = 3 * 366


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


def direction_conditions(column, filters: Filters, scope: Scope) -> list:
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
    return direction_conditions(User.direction_id, Filters(), Scope.of(viewer))


def needs_offer(grouping: str | None, filters: Filters, scope: Scope) -> bool:
    return grouping == "direction" or filters.direction_id is not None or scope.restricted


def link_facts(query, grouping, filters: Filters, scope: Scope):
    """Joins and conditions shared by the facts read through share links."""
    if needs_offer(grouping, filters, scope):
        query = query.join(Offer, Offer.id == ShareLink.offer_id)
        query = query.where(*direction_conditions(Offer.direction_id, filters, scope))
    if filters.offer_id is not None:
        query = query.where(ShareLink.offer_id == filters.offer_id)
    if filters.channel:
        query = query.where(ShareLink.channel == filters.channel)
    if filters.agent_id is not None:
        query = query.where(ShareLink.agent_id == filters.agent_id)
    return query


def application_facts(query, grouping, filters: Filters, scope: Scope):
    if needs_offer(grouping, filters, scope):
        query = query.join(Offer, Offer.id == Application.offer_id)
        query = query.where(*direction_conditions(Offer.direction_id, filters, scope))
    if grouping == "channel" or filters.channel:
        query = query.outerjoin(ShareLink, ShareLink.id == Application.share_link_id)
    if filters.offer_id is not None:
        query = query.where(Application.offer_id == filters.offer_id)
    if filters.channel:
        query = query.where(ShareLink.channel == filters.channel)
    if filters.agent_id is not None:
        query = query.where(Application.credited_agent_id == filters.agent_id)
    return query


# --- what the filter forms offer --------------------------------------------------------------


def filter_choices(session: Session, viewer: User) -> dict[str, list[tuple[int, str]]]:
    """Offers and directions the viewer may filter on (two queries)."""
    scope = Scope.of(viewer)
    offers = session.execute(
        select(Offer.id, Offer.reference + " · " + Offer.title)
        .where(
            Offer.published_at.is_not(None),
            *direction_conditions(Offer.direction_id, Filters(), scope),
        )
        .order_by(Offer.published_at.desc())
        .limit(500)
    ).all()
    directions = session.execute(
        select(Direction.id, Direction.name)
        .where(*direction_conditions(Direction.id, Filters(), scope))
        .order_by(Direction.name)
    ).all()
    return {"offers": [tuple(o) for o in offers], "directions": [tuple(d) for d in directions]}


def agent_name(session: Session, viewer: User, agent_id: int) -> str:
    """The name of an agent the viewer may filter on; NotFound otherwise."""
    scope = Scope.of(viewer)
    name = session.scalar(
        select(User.first_name + " " + User.last_name).where(
            User.id == agent_id, *direction_conditions(User.direction_id, Filters(), scope)
        )
    )
    if name is None:
        raise NotFound("No such agent.")
    return name
