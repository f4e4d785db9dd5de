"""Finding offers: the careers site's search and filter menus, similar offers, and the staff's
lists of offers with their counts.

Search matches every word in any case and with any accents, the same on SQLite and PostgreSQL
(the ``fold`` SQL function), and lists only open offers (``Offer.is_open``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.functions import FunctionElement

from referral.db import fold_text
from referral.models import (
    Application,
    ApplicationStatus,
    Direction,
    Offer,
    OfferStatus,
    Role,
    ShareLink,
    User,
    utcnow,
)

PER_PAGE = 10


# --- counts for the managers' and recruiters' lists ------------------------------------------


@dataclass
class OfferStats:
    links: int = 0
    people: int = 0
    visits: int = 0
    applications: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def offers_for(session: Session, actor: User) -> list[Offer]:
    """The offers ``actor`` manages (every offer for recruiters and admins), newest first."""
    query = select(Offer).options(joinedload(Offer.direction)).order_by(Offer.created_at.desc())
    if not actor.has_role(Role.RECRUITER, Role.ADMIN):
        query = query.where(
            or_(Offer.hiring_manager_id == actor.id, Offer.created_by_id == actor.id)
        )
    return list(session.scalars(query).unique())


def offer_stats(session: Session, offer_ids: list[int]) -> dict[int, OfferStats]:
    """Share links, people reached, visits and applications by status, in two queries."""
    stats = {offer_id: OfferStats() for offer_id in offer_ids}
    if not offer_ids:
        return stats
    rows = session.execute(
        select(
            ShareLink.offer_id,
            func.count(ShareLink.id),
            func.coalesce(func.sum(ShareLink.people_count), 0),
            func.coalesce(func.sum(ShareLink.visits_count), 0),
        )
        .where(ShareLink.offer_id.in_(offer_ids))
        .group_by(ShareLink.offer_id)
    )
    for offer_id, links, people, visits in rows:
        stats[offer_id].links, stats[offer_id].people, stats[offer_id].visits = (
            int(links),
            int(people),
            int(visits),
        )
    rows = session.execute(
        select(Application.offer_id, Application.status, func.count(Application.id))
        .where(Application.offer_id.in_(offer_ids))
        .group_by(Application.offer_id, Application.status)
    )
    for offer_id, status, count in rows:
        stats[offer_id].by_status[status] = int(count)
        stats[offer_id].applications += int(count)
    return stats


APPLICATION_STATUSES = tuple(s.value for s in ApplicationStatus)


# --- the public careers site ----------------------------------------------------------------


class fold(FunctionElement):
    """Lower-case, accent-free text, the same on SQLite and PostgreSQL (for search)."""

    inherit_cache = True


_ACCENTED = "àáâãäåèéêëìíîïòóôõöùúûüýÿçñÀÁÂÃÄÅÈÉÊËÌÍÎÏÒÓÔÕÖÙÚÛÜÝŸÇÑ"
_PLAIN = "aaaaaaeeeeiiiiooooouuuuyycnaaaaaaeeeeiiiiooooouuuuyycn"


@compiles(fold)
def _fold_default(element, compiler, **kw):
    return f"relais_fold({compiler.process(element.clauses, **kw)})"


@compiles(fold, "postgresql")
def _fold_postgresql(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return (
        f"replace(replace(translate(lower({inner}), '{_ACCENTED}', '{_PLAIN}'), "
        "'œ', 'oe'), 'æ', 'ae')"
    )


@dataclass(frozen=True)
class Filters:
    q: str = ""
    direction_id: int | None = None
    location: str = ""
    category: str = ""
    contract_type: str = ""
    remote_work: str = ""


@dataclass(frozen=True)
class Page:
    items: list[Offer]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_public(
    session: Session, filters: Filters, page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """Published offers matching every word of ``q`` (any case, any accents) in their title,
    métier, place of work or texts, and the filters."""
    conditions = [Offer.is_open(utcnow().date())]
    text = Offer.title
    for column in (Offer.metier, Offer.location, Offer.description, Offer.missions, Offer.profile):
        text = text + literal(" ") + column
    folded = fold(text)
    for term in fold_text(filters.q).split()[:8]:
        conditions.append(folded.like(f"%{_like_escape(term)}%", escape="\\"))
    if filters.direction_id:
        conditions.append(Offer.direction_id == filters.direction_id)
    if filters.location:
        conditions.append(Offer.location == filters.location)
    for name in ("category", "contract_type", "remote_work"):
        value = getattr(filters, name)
        if value:
            conditions.append(getattr(Offer, name) == value)
    where = and_(*conditions)
    total = session.scalar(select(func.count(Offer.id)).where(where)) or 0
    page = min(max(1, page), max(1, -(-total // per_page)))  # past the end: the last page
    items = list(
        session.scalars(
            select(Offer)
            .where(where)
            .options(joinedload(Offer.direction))
            .order_by(Offer.published_at.desc(), Offer.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items, total, page, per_page)


def filter_choices(session: Session) -> dict[str, list]:
    """Directions and locations that have published offers (for the filter menus)."""
    published = Offer.is_open(utcnow().date())
    directions = list(
        session.execute(
            select(Direction.id, Direction.name)
            .where(Direction.id.in_(select(Offer.direction_id).where(published)))
            .order_by(Direction.name)
        )
    )
    locations = [
        loc
        for (loc,) in session.execute(
            select(Offer.location).where(published, Offer.location != "").distinct()
        )
    ]
    return {"directions": directions, "locations": sorted(locations, key=fold_text)}


def similar_open_offers(session: Session, offer: Offer, now: datetime, limit: int = 3) -> list:
    """Open offers like ``offer``: same direction or métier first, then the most recent."""
    candidates = list(
        session.scalars(
            select(Offer)
            .where(Offer.status == OfferStatus.PUBLISHED.value, Offer.id != offer.id)
            .options(joinedload(Offer.direction))
            .order_by(Offer.published_at.desc(), Offer.id.desc())
            .limit(50)
        )
    )
    skills = {s.casefold() for s in offer.required_skills or []}

    def closeness(other: Offer) -> int:
        shared = len(skills & {s.casefold() for s in other.required_skills or []})
        return (
            2 * (other.direction_id == offer.direction_id)
            + 2 * bool(offer.metier and other.metier == offer.metier)
            + (other.category == offer.category)
            + shared
        )

    open_ones = [o for o in candidates if o.is_open(now.date())]
    return sorted(open_ones, key=closeness, reverse=True)[:limit]
