"""The lifecycle of offers: reading, writing, publishing, closing and copying them.

Status rules live here: draft → published → closed or filled. An offer cannot be published
without a title, a direction, a hiring manager, a description and at least one required skill;
an offer is open while it is published and not past its closing date (``Offer.is_open``, in
Python and in SQL); the worker closes expired offers daily (``close_expired``, also
``relais offers close-expired``), and reading an offer never writes.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from slugify import slugify as _slugify
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

import referral
from referral import audit
from referral.config import Settings
from referral.db import fold_text
from referral.errors import DomainError, Forbidden, InvalidInput, NotFound
from referral.models import (
    Category,
    ContractType,
    Direction,
    EmploymentNature,
    Offer,
    OfferStatus,
    PayUnit,
    RemoteWork,
    Role,
    User,
    Versant,
    WorkingTime,
    utcnow,
)
from referral.offers import scoring

# Anchored on the package, not on this file, so that the module may move inside it.
SKILLS_FILE = Path(referral.__file__).resolve().parents[1] / "seeds" / "skills.json"

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
