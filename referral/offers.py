"""Offers: writing, publishing, closing and finding them.

Status rules live here: draft → published → closed or filled. An offer cannot be published
without a title, a direction, a hiring manager, a description and at least one required skill;
an offer is open while it is published and not past its closing date (``Offer.is_open``, in
Python and in SQL); the worker closes expired offers daily (``close_expired``, also
``relais offers close-expired``), and reading an offer never writes.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from slugify import slugify as _slugify
from sqlalchemy import and_, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.functions import FunctionElement

from referral import audit, scoring
from referral.config import Settings
from referral.db import fold_text
from referral.errors import DomainError, Forbidden, InvalidInput, NotFound
from referral.models import (
    Application,
    ApplicationStatus,
    Category,
    ContractType,
    Direction,
    EmploymentNature,
    Offer,
    OfferStatus,
    PayUnit,
    RemoteWork,
    Role,
    ShareLink,
    User,
    Versant,
    WorkingTime,
    utcnow,
)

SKILLS_FILE = Path(__file__).resolve().parents[1] / "seeds" / "skills.json"
PER_PAGE = 10

# Every field a manager or recruiter edits in the offer form.
EDITABLE_FIELDS = (
    "title",
    "direction_id",
    "hiring_manager_id",
    "recruiter_id",
    "versant",
    "category",
    "metier",
    "employment_nature",
    "contract_type",
    "contract_duration_months",
    "location",
    "remote_work",
    "working_time",
    "education_level",
    "min_experience_years",
    "description",
    "missions",
    "profile",
    "required_skills",
    "nice_skills",
    "languages",
    "salary",
    "vacancy_date",
    "closing_date",
    "positions",
    "street_address",
    "postal_code",
    "pay_min",
    "pay_max",
    "pay_unit",
)
CHOICES: dict[str, tuple[str, ...]] = {
    "versant": tuple(v.value for v in Versant),
    "category": tuple(v.value for v in Category),
    "employment_nature": tuple(v.value for v in EmploymentNature),
    "contract_type": tuple(v.value for v in ContractType),
    "remote_work": tuple(v.value for v in RemoteWork),
    "working_time": tuple(v.value for v in WorkingTime),
    "pay_unit": tuple(v.value for v in PayUnit),
}
MAX_LENGTHS = {
    "title": 200,
    "metier": 200,
    "location": 200,
    "education_level": 100,
    "salary": 200,
    "street_address": 200,
    "postal_code": 10,
}


def N_(message: str) -> str:
    """Mark a message for translation; the web layer translates it when it shows it."""
    return message


class OfferNotOpen(DomainError):
    """The offer is not published (draft, closed or filled): it cannot be shared or applied to."""


# --- reading ------------------------------------------------------------------------------


def slugify(title: str) -> str:
    """The URL slug of a title: lower-case ASCII words joined by hyphens ("offre" if empty)."""
    return _slugify(title or "", max_length=80, word_boundary=True) or "offre"


def offer_slug(offer: Offer) -> str:
    return slugify(offer.title)


def is_open(offer: Offer, now: datetime) -> bool:
    """Whether the offer takes applications and new share links at ``now``."""
    return offer.is_open(now.date())


def get_offer(session: Session, offer_id: int) -> Offer:
    """Any offer by id, with its direction and people; raises NotFound."""
    offer = session.scalar(
        select(Offer)
        .where(Offer.id == offer_id)
        .options(
            joinedload(Offer.direction),
            joinedload(Offer.hiring_manager),
            joinedload(Offer.recruiter),
        )
    )
    if offer is None:
        raise NotFound("No such offer.")
    return offer


def get_public_offer(session: Session, offer_id: int, now: datetime) -> Offer:
    """A published, closed or filled offer (never a draft).

    Reading writes nothing: an offer past its closing date shows as closed (``is_open``) and
    the worker's daily job (``close_expired``) records it closed.
    """
    offer = session.scalar(
        select(Offer).where(Offer.id == offer_id).options(joinedload(Offer.direction))
    )
    if offer is None or offer.status == OfferStatus.DRAFT.value:
        raise NotFound("No such offer.")
    return offer


def close_expired(session: Session, now: datetime) -> int:
    """Close every published offer whose closing date has passed; the number closed."""
    result = session.execute(
        update(Offer)
        .where(
            Offer.status == OfferStatus.PUBLISHED.value,
            Offer.closing_date.is_not(None),
            Offer.closing_date < now.date(),
        )
        .values(status=OfferStatus.CLOSED.value, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# --- who may do what ------------------------------------------------------------------------


def can_edit(user: User, offer: Offer) -> bool:
    """Recruiters and admins edit every offer; a manager edits the offers they manage or wrote."""
    if user.has_role(Role.RECRUITER, Role.ADMIN):
        return True
    return user.has_role(Role.MANAGER) and user.id in (
        offer.hiring_manager_id,
        offer.created_by_id,
    )


def get_editable_offer(session: Session, offer_id: int, actor: User) -> Offer:
    """The offer, if ``actor`` may edit it (NotFound, else Forbidden)."""
    offer = get_offer(session, offer_id)
    if not can_edit(actor, offer):
        raise Forbidden(N_("You cannot edit this offer."))
    return offer


# --- writing --------------------------------------------------------------------------------


def parse_tags(raw: str | list[str] | None) -> list[str]:
    """Comma- or newline-separated tags, trimmed, de-duplicated (case-insensitive), in order."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else re.split(r"[,;\n]", raw)
    seen: set[str] = set()
    tags: list[str] = []
    for item in items:
        tag = " ".join(str(item).split())
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag[:100])
    return tags


# Whole-number fields: (lowest, highest, the message when out of range). A fixed-term
# contract in the civil service runs for at most six years; experience asked for, 50 years.
NUMBER_RANGES: dict[str, tuple[int, int, str]] = {
    "contract_duration_months": (1, 72, N_("Enter a number of months between 1 and 72.")),
    "min_experience_years": (0, 50, N_("Enter a number of years between 0 and 50.")),
    "positions": (1, 600, N_("Enter a number between 1 and 600.")),
    "pay_min": (0, 1_000_000, N_("Enter an amount in euros between 0 and 1,000,000.")),
    "pay_max": (0, 1_000_000, N_("Enter an amount in euros between 0 and 1,000,000.")),
}


def _check_pay_and_address(clean: dict[str, Any], errors: dict[str, str]) -> None:
    low, high = clean.get("pay_min"), clean.get("pay_max")
    if low is not None and high is not None and high < low and "pay_max" not in errors:
        errors["pay_max"] = N_("The maximum is below the minimum.")
    amounts = low is not None or high is not None
    if amounts and "pay_unit" in clean and not clean["pay_unit"]:
        errors["pay_unit"] = N_("Say whether the amounts are per month, per year or per hour.")
    code = clean.get("postal_code")
    if code and not re.fullmatch(r"\d{5}", code):
        errors["postal_code"] = N_("Enter a postal code of 5 digits, e.g. 69002.")


def usual_versant(session: Session) -> str:
    """The civil service most of the organisation's offers belong to (a new offer's default);
    the territorial civil service when there is none yet."""
    versant = session.scalar(
        select(Offer.versant)
        .group_by(Offer.versant)
        .order_by(func.count().desc(), Offer.versant)
        .limit(1)
    )
    return versant or Versant.TERRITORIALE.value


def _clean(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Validated, normalised field values; raises InvalidInput naming each bad field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in EDITABLE_FIELDS:
            continue
        if name in ("required_skills", "nice_skills", "languages"):
            clean[name] = parse_tags(value)
        elif name in CHOICES:
            value = (value or "").strip() if isinstance(value, str) else value
            if name in ("category", "pay_unit") and not value:
                clean[name] = None
            elif value not in CHOICES[name]:
                errors[name] = N_("Choose one of the listed values.")
            else:
                clean[name] = value
        elif name in NUMBER_RANGES:
            if value in (None, ""):
                clean[name] = 1 if name == "positions" else None
                continue
            try:
                number = int(value)
            except (TypeError, ValueError):
                errors[name] = N_("Enter a whole number.")
                continue
            low, high, message = NUMBER_RANGES[name]
            if not low <= number <= high:
                errors[name] = message
            else:
                clean[name] = number
        elif name in ("vacancy_date", "closing_date"):
            if value in (None, ""):
                clean[name] = None
            elif isinstance(value, date):
                clean[name] = value
            else:
                try:
                    clean[name] = date.fromisoformat(str(value))
                except ValueError:
                    errors[name] = N_("Enter a date as YYYY-MM-DD.")
        elif name in ("direction_id", "hiring_manager_id", "recruiter_id"):
            clean[name] = int(value) if value not in (None, "", 0, "0") else None
        else:
            text = (value or "").strip()
            limit = MAX_LENGTHS.get(name)
            if limit and len(text) > limit:
                errors[name] = N_("This text is too long.")
            clean[name] = text
    if clean.get("direction_id") and session.get(Direction, clean["direction_id"]) is None:
        errors["direction_id"] = N_("Choose a direction from the list.")
    for name in ("hiring_manager_id", "recruiter_id"):
        if clean.get(name):
            person = session.get(User, clean[name])
            if person is None or not person.active:
                errors[name] = N_("Choose a person from the list.")
    if clean.get("contract_type") == ContractType.PERMANENT.value:
        clean["contract_duration_months"] = None
    _check_pay_and_address(clean, errors)
    if errors:
        raise InvalidInput(N_("Some fields need your attention."), errors)
    return clean


# Offers of a draft not yet given a direction are numbered under this code.
NO_DIRECTION_CODE = "GEN"


def reference_code(session: Session, direction_id: int | None) -> str:
    """The direction part of a reference: the code of the offer's direction, or of the
    direction it belongs to when it is a service (``DSI`` for ``DSI-PROJ``: the third level of
    the tree, DGS > DGA > direction > service)."""
    chain: list[Direction] = []
    direction = session.get(Direction, direction_id) if direction_id else None
    while direction is not None and len(chain) < 20:
        chain.append(direction)
        direction = direction.parent
    if not chain:
        return NO_DIRECTION_CODE
    chain.reverse()
    code = chain[min(2, len(chain) - 1)].code
    return re.sub(r"[^0-9A-Z-]", "", code.upper()) or NO_DIRECTION_CODE


def new_reference(session: Session, now: datetime, direction_id: int | None = None) -> str:
    """The next free reference of the year in the offer's direction, e.g. ``2026-DSI-017``
    (the scheme of the direction's own numbering, which the seeds follow too)."""
    prefix = f"{now.year}-{reference_code(session, direction_id)}-"
    taken = session.scalars(select(Offer.reference).where(Offer.reference.like(prefix + "%")))
    numbers = [int(r.removeprefix(prefix)) for r in taken if r.removeprefix(prefix).isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def _insert_with_reference(session: Session, offer: Offer, now: datetime) -> None:
    """Add ``offer`` under a fresh reference; another writer taking it first means retry."""
    for _attempt in range(5):
        offer.reference = new_reference(session, now, offer.direction_id)
        try:
            with session.begin_nested():
                session.add(offer)
                session.flush()
            return
        except IntegrityError:
            continue
    raise DomainError("Could not allocate an offer reference; try again.")


def _rereference(session: Session, offer: Offer, now: datetime) -> None:
    prefix = f"{now.year}-{reference_code(session, offer.direction_id)}-"
    if offer.reference.startswith(prefix):
        return  # moved within the same direction (e.g. to another of its services)
    for _attempt in range(5):
        offer.reference = new_reference(session, now, offer.direction_id)
        try:
            with session.begin_nested():
                session.flush()
            return
        except IntegrityError:
            continue
    raise DomainError("Could not allocate an offer reference; try again.")


def create_offer(
    session: Session, actor: User, values: dict[str, Any], now: datetime | None = None
) -> Offer:
    """A new draft offer written by ``actor`` (a manager becomes its hiring manager by default)."""
    if not actor.has_role(Role.MANAGER, Role.RECRUITER, Role.ADMIN):
        raise Forbidden(N_("Only managers and recruiters write offers."))
    now = now or utcnow()
    clean = _clean(session, values)
    if not clean.get("hiring_manager_id") and actor.has_role(Role.MANAGER):
        clean["hiring_manager_id"] = actor.id
    offer = Offer(
        created_by_id=actor.id,
        status=OfferStatus.DRAFT.value,
        created_at=now,
        updated_at=now,
        **{"required_skills": [], "nice_skills": [], "languages": [], **clean},
    )
    _insert_with_reference(session, offer, now)
    audit.record(session, actor, "offer.create", "offer", offer.id, reference=offer.reference)
    return offer


# What the matcher compares CVs with: changing one of these rescores the applications.
CRITERIA_FIELDS = (
    "title",
    "description",
    "missions",
    "profile",
    "required_skills",
    "nice_skills",
    "languages",
    "min_experience_years",
    "direction_id",
)


def update_offer(
    session: Session,
    offer: Offer,
    actor: User,
    values: dict[str, Any],
    now: datetime | None = None,
    settings: Settings | None = None,
) -> Offer:
    """Change the offer's fields; a published offer must stay publishable.

    With ``settings``, new criteria rescore the offer's applications at once.
    """
    if not can_edit(actor, offer):
        raise Forbidden(N_("You cannot edit this offer."))
    clean = _clean(session, values)
    before = {name: getattr(offer, name) for name in CRITERIA_FIELDS}
    direction_before = offer.direction_id
    for name, value in clean.items():
        setattr(offer, name, value)
    if offer.direction_id != direction_before and offer.published_at is None:
        # Never published, so never shared: the reference follows the new direction.
        _rereference(session, offer, now or utcnow())
    criteria_changed = any(getattr(offer, name) != before[name] for name in CRITERIA_FIELDS)
    offer.updated_at = now or utcnow()
    if offer.status == OfferStatus.PUBLISHED.value:
        errors = publication_errors(offer)
        if errors:
            raise InvalidInput(N_("A published offer must keep its required fields."), errors)
    session.flush()
    audit.record(session, actor, "offer.update", "offer", offer.id)
    if criteria_changed and settings is not None:
        session.refresh(offer, ["direction"])
        scoring.rescore_offer(session, settings, offer, now)
    return offer


def publication_errors(offer: Offer, now: datetime | None = None) -> dict[str, str]:
    """What is missing before ``offer`` can be published (empty when it can)."""
    errors: dict[str, str] = {}
    if not (offer.title or "").strip():
        errors["title"] = N_("A title is required to publish.")
    if not offer.direction_id:
        errors["direction_id"] = N_("A direction is required to publish.")
    if not offer.hiring_manager_id:
        errors["hiring_manager_id"] = N_("A hiring manager is required to publish.")
    if not (offer.description or "").strip():
        errors["description"] = N_("A description is required to publish.")
    if not offer.required_skills:
        errors["required_skills"] = N_("At least one required skill is needed to publish.")
    if offer.contract_type != ContractType.PERMANENT.value and not offer.contract_duration_months:
        errors["contract_duration_months"] = N_(
            "A contract duration is required to publish an offer that is not permanent."
        )
    if now is not None and offer.closing_date is not None and offer.closing_date < now.date():
        errors["closing_date"] = N_("The closing date has passed: choose a later one.")
    return errors


def publish(session: Session, offer: Offer, actor: User, now: datetime | None = None) -> Offer:
    """Put a draft (or a closed offer, again) online; raises InvalidInput with what is missing."""
    now = now or utcnow()
    if not can_edit(actor, offer):
        raise Forbidden(N_("You cannot publish this offer."))
    if offer.status == OfferStatus.FILLED.value:
        raise InvalidInput(N_("A filled offer cannot be published again: duplicate it instead."))
    errors = publication_errors(offer, now)
    if errors:
        raise InvalidInput(N_("This offer cannot be published yet."), errors)
    offer.status = OfferStatus.PUBLISHED
    offer.published_at = offer.published_at or now
    offer.closed_at = None
    audit.record(session, actor, "offer.publish", "offer", offer.id)
    return offer


def _end(session: Session, offer: Offer, actor: User, status: OfferStatus, now) -> Offer:
    if not can_edit(actor, offer):
        raise Forbidden(N_("You cannot change this offer."))
    if offer.status not in (OfferStatus.PUBLISHED.value, OfferStatus.CLOSED.value):
        raise InvalidInput(N_("Only a published offer can be closed or marked as filled."))
    if offer.status == status.value:
        return offer
    offer.status = status
    offer.closed_at = offer.closed_at or now or utcnow()
    audit.record(session, actor, f"offer.{status.value}", "offer", offer.id)
    return offer


def close(session: Session, offer: Offer, actor: User, now: datetime | None = None) -> Offer:
    """Stop taking applications; the page stays reachable and says it is closed."""
    return _end(session, offer, actor, OfferStatus.CLOSED, now)


def mark_filled(session: Session, offer: Offer, actor: User, now: datetime | None = None) -> Offer:
    """The position is filled: closed for good."""
    return _end(session, offer, actor, OfferStatus.FILLED, now)


def duplicate(session: Session, offer: Offer, actor: User, now: datetime | None = None) -> Offer:
    """A new draft with the same fields (dates cleared), e.g. to open the same job again."""
    if not can_edit(actor, offer):
        raise Forbidden(N_("You cannot duplicate this offer."))
    now = now or utcnow()
    values = {name: getattr(offer, name) for name in EDITABLE_FIELDS}
    values["vacancy_date"] = None
    values["closing_date"] = None
    values["required_skills"] = list(offer.required_skills or [])
    values["nice_skills"] = list(offer.nice_skills or [])
    values["languages"] = list(offer.languages or [])
    copy = Offer(created_by_id=actor.id, status=OfferStatus.DRAFT.value, created_at=now, **values)
    _insert_with_reference(session, copy, now)
    audit.record(session, actor, "offer.duplicate", "offer", copy.id, source=offer.id)
    return copy


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

    open_ones = [o for o in candidates if is_open(o, now)]
    return sorted(open_ones, key=closeness, reverse=True)[:limit]


# --- the skills vocabulary (suggestions in the tag input) --------------------------------------


@lru_cache(maxsize=4)
def skill_suggestions(locale: str = "fr") -> tuple[str, ...]:
    """Skill names in ``locale`` from ``seeds/skills.json`` (empty if the file is missing)."""
    try:
        entries = json.loads(SKILLS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    lang = "en" if locale == "en" else "fr"
    names = {str(e.get(lang) or e.get("fr") or "").strip() for e in entries if isinstance(e, dict)}
    return tuple(sorted((n for n in names if n), key=fold_text))


def strong_points(offer: Offer, locale: str = "fr") -> list[str]:
    """Two or three selling points of an offer, for the ready-to-post text."""
    fr = locale != "en"
    points: list[str] = []
    if offer.remote_work == RemoteWork.FULL.value:
        points.append("Télétravail complet possible" if fr else "Fully remote possible")
    elif offer.remote_work == RemoteWork.PARTIAL.value:
        points.append("Télétravail partiel possible" if fr else "Partial remote work")
    if offer.contract_type == ContractType.PERMANENT.value:
        points.append("Emploi permanent" if fr else "Permanent position")
    if offer.location:
        points.append(("Basé à " if fr else "Based in ") + offer.location)
    if offer.salary and len(points) < 3:
        points.append(offer.salary)
    if offer.category and len(points) < 3:
        points.append(("Catégorie " if fr else "Category ") + offer.category)
    return points[:3]


def _hashtag(text: str) -> str:
    """``"gestion de projet"`` as ``GestionDeProjet``, keeping acronyms (``SQL``, ``RH``)."""
    words = _slugify(text, separator=" ", lowercase=False).split()
    return re.sub(
        r"[^0-9A-Za-z]", "", "".join(w if w[1:] != w[1:].lower() else w.capitalize() for w in words)
    )


def hashtags(offer: Offer, locale: str = "fr") -> list[str]:
    """A few hashtags for a post: recruitment, the public service, the métier and top skills."""
    tags = ["#recrutement", "#servicepublic"] if locale != "en" else ["#hiring", "#publicservice"]
    for word in [offer.metier, *(offer.required_skills or [])[:2]]:
        tag = _hashtag(word or "")
        if tag and f"#{tag}" not in tags:
            tags.append(f"#{tag}")
    return tags[:5]


def postal_address(offer: Offer, organisation: str, region: str = "") -> dict[str, str]:
    """The place of work as a schema.org PostalAddress: the street and postal code the manager
    filled in, the town (the first part of ``location``: "Lyon, hôtel de Région" is in Lyon)
    and the organisation's region."""
    town = (offer.location or "").split(",")[0].strip() or organisation
    address = {"@type": "PostalAddress"}
    if offer.street_address:
        address["streetAddress"] = offer.street_address
    if offer.postal_code:
        address["postalCode"] = offer.postal_code
    address["addressLocality"] = town
    if region:
        address["addressRegion"] = region
    address["addressCountry"] = "FR"
    return address


def _credential_category(level: str) -> str | None:
    """schema.org's credential category of a French education level ("Bac+5 en droit")."""
    folded = level.lower().replace(" ", "")
    years = re.search(r"bac\+(\d)", folded)
    if years:
        return {2: "associate degree", 3: "bachelor degree"}.get(
            int(years.group(1)), "postgraduate degree" if int(years.group(1)) > 3 else None
        )
    if re.search(r"\b(bac|baccalaur|cap|bep)", level.lower()):
        return "high school"
    return None


def _requirements(offer: Offer, posting: dict[str, Any]) -> None:
    if offer.min_experience_years is not None:
        posting["experienceRequirements"] = {
            "@type": "OccupationalExperienceRequirements",
            "monthsOfExperience": offer.min_experience_years * 12,
        }
    if offer.education_level:
        credential: dict[str, Any] = {
            "@type": "EducationalOccupationalCredential",
            "name": offer.education_level,
        }
        category = _credential_category(offer.education_level)
        if category:
            credential["credentialCategory"] = category
        posting["educationRequirements"] = credential
    if offer.pay_unit and (offer.pay_min is not None or offer.pay_max is not None):
        value: dict[str, Any] = {"@type": "QuantitativeValue", "unitText": offer.pay_unit.upper()}
        if offer.pay_min is not None:
            value["minValue"] = offer.pay_min
        if offer.pay_max is not None:
            value["maxValue"] = offer.pay_max
        posting["baseSalary"] = {"@type": "MonetaryAmount", "currency": "EUR", "value": value}


def job_posting(
    offer: Offer, *, organisation: str, url: str, description: str, region: str = ""
) -> dict[str, Any]:
    """The schema.org JobPosting of an offer (rendered as JSON-LD on its page)."""
    types = ["PART_TIME" if offer.working_time == WorkingTime.PART.value else "FULL_TIME"]
    extra = {
        ContractType.FIXED_TERM.value: "TEMPORARY",
        ContractType.TEMPORARY.value: "TEMPORARY",
        ContractType.INTERNSHIP.value: "INTERN",
        ContractType.APPRENTICESHIP.value: "OTHER",
    }.get(offer.contract_type)
    if extra:
        types.append(extra)
    posting: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": offer.title,
        "description": description,
        "identifier": {"@type": "PropertyValue", "name": organisation, "value": offer.reference},
        "datePosted": (offer.published_at or offer.created_at).date().isoformat(),
        "employmentType": types,
        "hiringOrganization": {"@type": "Organization", "name": organisation},
        "jobLocation": {"@type": "Place", "address": postal_address(offer, organisation, region)},
        "url": url,
        "totalJobOpenings": offer.positions,
    }
    if offer.closing_date:
        posting["validThrough"] = f"{offer.closing_date.isoformat()}T23:59:59+01:00"
    if offer.remote_work == RemoteWork.FULL.value:
        posting["jobLocationType"] = "TELECOMMUTE"
    if offer.required_skills:
        posting["skills"] = ", ".join(offer.required_skills)
    if offer.metier:
        posting["occupationalCategory"] = offer.metier
    _requirements(offer, posting)
    if offer.direction is not None:
        posting["hiringOrganization"]["department"] = {
            "@type": "Organization",
            "name": offer.direction.name,
        }
    return posting


def post_text(offer: Offer, locale: str, link_url: str | None) -> str:
    """A ready-to-post text for social networks, in French or English, built from the offer."""
    fr = locale != "en"
    lines = [("Nous recrutons : " if fr else "We are hiring: ") + offer.title]
    where = " · ".join(
        p for p in (offer.direction.name if offer.direction else "", offer.location) if p
    )
    if where:
        lines.append(where)
    lines.append("")
    lines += [f"• {point}" for point in strong_points(offer, locale)]
    lines.append("")
    if link_url:
        lines.append(
            ("Découvrez l'offre et postulez : " if fr else "Read the offer and apply: ") + link_url
        )
    lines.append(
        "Vous connaissez quelqu'un pour ce poste ? Partagez !"
        if fr
        else "Know someone for this job? Please share!"
    )
    lines.append("")
    lines.append(" ".join(hashtags(offer, locale)))
    return "\n".join(lines)
