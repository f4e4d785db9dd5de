"""Candidates: one per normalised e-mail, likely duplicates flagged, and merges.

A candidate merged into another keeps its row (and its e-mail, which stays unique) with
``merged_into_id`` set; a later application under that e-mail goes to the surviving candidate.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import phonenumbers
from rapidfuzz import fuzz
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from referral import audit
from referral.errors import InvalidInput, NotFound
from referral.models import (
    Application,
    ApplicationStatus,
    Candidate,
    CandidateNote,
    CVFile,
    DuplicateFlag,
    Referral,
    StatusChange,
    User,
    utcnow,
)
from referral.people.users import normalise_email

NAME_SIMILARITY = 90
DEFAULT_REGION = "FR"
# How far an application has gone, to choose which one survives a merge.
STAGE_RANK = {
    ApplicationStatus.WITHDRAWN.value: 0,
    ApplicationStatus.REJECTED.value: 1,
    ApplicationStatus.NEW.value: 2,
    ApplicationStatus.SCREENING.value: 3,
    ApplicationStatus.INTERVIEW.value: 4,
    ApplicationStatus.OFFER.value: 5,
    ApplicationStatus.HIRED.value: 6,
}


@dataclass(frozen=True)
class Identity:
    """What a person tells about themself, already validated and normalised."""

    email: str
    first_name: str
    last_name: str
    phone: str | None = None
    city: str = ""
    linkedin_url: str | None = None


def normalise_phone(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The phone number in E.164 (``+33612345678``), None when empty.

    Raises InvalidInput when the number cannot be a real one.
    """
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidInput("This phone number is not valid.", {"phone": "invalid"})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def make_identity(
    *,
    email: str,
    first_name: str,
    last_name: str,
    phone: str | None = None,
    city: str = "",
    linkedin_url: str | None = None,
) -> Identity:
    """Validate and normalise what a person typed; InvalidInput names each bad field."""
    errors: dict[str, str] = {}
    try:
        email = normalise_email(email or "")
    except InvalidInput:
        errors["email"] = "invalid"
    try:
        phone = normalise_phone(phone)
    except InvalidInput:
        errors["phone"] = "invalid"
    if not (first_name or "").strip():
        errors["first_name"] = "required"
    if not (last_name or "").strip():
        errors["last_name"] = "required"
    if errors:
        raise InvalidInput("Some fields are not valid.", errors)
    return Identity(
        email=email,
        first_name=first_name.strip()[:100],
        last_name=last_name.strip()[:100],
        phone=phone,
        city=(city or "").strip()[:120],
        linkedin_url=profile_url(linkedin_url)[:300] or None,
    )


def profile_url(text: str | None) -> str:
    """A profile address as people type it (``linkedin.com/in/name``, ``www.…``) as a full
    ``https://`` URL; "" for nothing. Other schemes are left for the caller to refuse."""
    text = (text or "").strip()
    if text and "://" not in text and not text.lower().startswith(("mailto:", "javascript:")):
        text = "https://" + text.lstrip("/")
    return text


def resolve(session: Session, candidate: Candidate) -> Candidate:
    """The surviving candidate when ``candidate`` was merged into another."""
    seen = set()
    while candidate.merged_into_id and candidate.id not in seen:
        seen.add(candidate.id)
        survivor = session.get(Candidate, candidate.merged_into_id)
        if survivor is None:
            break
        candidate = survivor
    return candidate


def find_by_email(session: Session, email: str) -> Candidate | None:
    """The (surviving) candidate for a normalised e-mail."""
    found = session.scalar(select(Candidate).where(Candidate.email == email))
    return resolve(session, found) if found else None


def upsert(session: Session, identity: Identity, now: datetime | None = None) -> Candidate:
    """The candidate of this e-mail, created or updated with what the person just told.

    Two concurrent first applications of one person cannot create two candidates: the unique
    e-mail makes the second insert fail (in a savepoint), and the row is read again.
    """
    now = now or utcnow()
    candidate = find_by_email(session, identity.email)
    if candidate is None:
        candidate = Candidate(
            email=identity.email,
            first_name=identity.first_name,
            last_name=identity.last_name,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(candidate)
                session.flush()
        except IntegrityError:
            candidate = find_by_email(session, identity.email)
            if candidate is None:  # pragma: no cover - the row that won the race is gone
                raise
    candidate.first_name = identity.first_name
    candidate.last_name = identity.last_name
    if identity.phone:
        candidate.phone = identity.phone
    if identity.city:
        candidate.city = identity.city
    if identity.linkedin_url:
        candidate.linkedin_url = identity.linkedin_url
    candidate.updated_at = now
    return candidate


def _fold(text: str) -> str:
    """Lower case without accents or extra spaces, for comparing names and cities."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().replace("-", " ").split())


def name_similarity(a: Candidate, b: Candidate) -> float:
    return fuzz.token_sort_ratio(_fold(a.full_name), _fold(b.full_name))


def find_duplicates(session: Session, candidate: Candidate) -> list[DuplicateFlag]:
    """Flag the other candidates that are likely the same person; return the open flags.

    Likely the same person: the same phone number, or names at least 90 % similar
    (rapidfuzz, accents and word order ignored) and the same city.
    """
    others = session.scalars(
        select(Candidate).where(
            Candidate.id != candidate.id,
            Candidate.merged_into_id.is_(None),
            or_(
                Candidate.phone == candidate.phone if candidate.phone else False,
                func.lower(Candidate.city) == candidate.city.strip().lower()
                if candidate.city.strip()
                else False,
            ),
        )
    ).all()
    existing = {
        frozenset((f.candidate_id, f.other_id))
        for f in session.scalars(
            select(DuplicateFlag).where(
                or_(
                    DuplicateFlag.candidate_id == candidate.id,
                    DuplicateFlag.other_id == candidate.id,
                )
            )
        )
    }
    for other in others:
        if frozenset((candidate.id, other.id)) in existing:
            continue
        if candidate.phone and other.phone == candidate.phone:
            reason = "same_phone"
        elif (
            _fold(other.city) == _fold(candidate.city)
            and name_similarity(candidate, other) >= NAME_SIMILARITY
        ):
            reason = "similar_name_same_city"
        else:
            continue
        try:
            with session.begin_nested():
                session.add(
                    DuplicateFlag(candidate_id=candidate.id, other_id=other.id, reason=reason)
                )
                session.flush()
        except IntegrityError:
            continue  # flagged at the same moment by another request
    return open_flags(session, candidate.id)


def open_flags(session: Session, candidate_id: int | None = None) -> list[DuplicateFlag]:
    """Unresolved duplicate flags (of one candidate, or all), newest first."""
    query = select(DuplicateFlag).where(DuplicateFlag.resolved_at.is_(None))
    if candidate_id is not None:
        query = query.where(
            or_(DuplicateFlag.candidate_id == candidate_id, DuplicateFlag.other_id == candidate_id)
        )
    return list(session.scalars(query.order_by(DuplicateFlag.created_at.desc(), DuplicateFlag.id)))


def dismiss(session: Session, flag_id: int, *, actor: User, now: datetime | None = None) -> None:
    """Mark a flag as "not the same person"."""
    flag = session.get(DuplicateFlag, flag_id)
    if flag is None or flag.resolved_at is not None:
        raise NotFound("No such open duplicate flag.")
    flag.resolved_at = now or utcnow()
    flag.resolution = "dismissed"
    audit.record(
        session,
        actor,
        "candidate.duplicate_dismissed",
        "candidate",
        flag.candidate_id,
        other_id=flag.other_id,
    )


def _better(a: Application, b: Application) -> Application:
    """The application that survives a merge: the most advanced, else the newer CV."""

    def key(app: Application):
        uploaded = app.cv_file.uploaded_at if app.cv_file else app.created_at
        return (STAGE_RANK.get(app.status, 0), uploaded or app.created_at, app.id)

    return a if key(a) >= key(b) else b


def merge(session: Session, keep: Candidate, drop: Candidate, *, actor: User) -> Candidate:
    """Merge ``drop`` into ``keep``: applications, CV files, notes, referrals, flags move.

    When both applied to the same offer, the most advanced application (else the one with the
    newer CV) is kept; the other stays with ``drop``, marked withdrawn with a reason, its
    credits compensated, so that the agent is not credited twice. Recorded in the audit log.
    """
    from referral.applications import credits

    if keep.id == drop.id:
        raise InvalidInput("A candidate cannot be merged into themself.")
    if keep.merged_into_id or drop.merged_into_id:
        raise InvalidInput("One of these candidates was already merged.")
    now = utcnow()
    kept_apps = {a.offer_id: a for a in keep.applications}
    moved, replaced = [], []
    for app in list(drop.applications):
        twin = kept_apps.get(app.offer_id)
        if twin is None:
            app.candidate_id = keep.id
            moved.append(app.id)
            continue
        winner = _better(twin, app)
        loser = app if winner is twin else twin
        if winner is app:
            _swap(session, twin, app, keep, drop)
        old_status = loser.status
        loser.status = ApplicationStatus.WITHDRAWN.value
        loser.status_changed_at = now
        session.add(
            StatusChange(
                application_id=loser.id,
                from_status=old_status,
                to_status=loser.status,
                reason=f"merged into application {winner.id}",
                by_user_id=actor.id,
                at=now,
            )
        )
        credits.reverse_all(session, loser, now=now)
        replaced.append({"kept": winner.id, "withdrawn": loser.id})
        session.flush()
    for cv in session.scalars(select(CVFile).where(CVFile.candidate_id == drop.id)):
        cv.candidate_id = keep.id
    for note in session.scalars(select(CandidateNote).where(CandidateNote.candidate_id == drop.id)):
        note.candidate_id = keep.id
    for referral in session.scalars(select(Referral).where(Referral.candidate_id == drop.id)):
        referral.candidate_id = keep.id
    _move_flags(session, keep, drop, now)
    keep.phone = keep.phone or drop.phone
    keep.city = keep.city or drop.city
    keep.linkedin_url = keep.linkedin_url or drop.linkedin_url
    keep.skills = sorted(set(keep.skills or []) | set(drop.skills or []))
    keep.talent_pool_consent = keep.talent_pool_consent or drop.talent_pool_consent
    if drop.consent_at and (keep.consent_at is None or drop.consent_at > keep.consent_at):
        keep.consent_at = drop.consent_at
    keep.retention_until = _latest(keep.retention_until, drop.retention_until)
    drop.merged_into_id = keep.id
    session.flush()
    session.expire(keep, ["applications", "cv_files"])
    session.expire(drop, ["applications", "cv_files"])
    audit.record(
        session,
        actor,
        "candidate.merge",
        "candidate",
        keep.id,
        dropped_id=drop.id,
        dropped_email=drop.email,
        moved_applications=moved,
        replaced=replaced,
    )
    return keep


def _swap(
    session: Session, at_keep: Application, at_drop: Application, keep: Candidate, drop: Candidate
) -> None:
    """Exchange the candidates of two applications to one offer.

    The unique (candidate, offer) is checked row by row, so the exchange goes through a
    placeholder candidate that lives only inside this transaction.
    """
    placeholder = Candidate(
        email=f"merge-{secrets.token_hex(8)}@placeholder.invalid", first_name="-", last_name="-"
    )
    session.add(placeholder)
    session.flush()
    at_keep.candidate_id = placeholder.id
    session.flush()
    at_drop.candidate_id = keep.id
    session.flush()
    at_keep.candidate_id = drop.id
    session.flush()
    session.delete(placeholder)
    session.flush()


def _latest(a: date | None, b: date | None) -> date | None:
    return max(d for d in (a, b) if d) if (a or b) else None


def _move_flags(session: Session, keep: Candidate, drop: Candidate, now: datetime) -> None:
    flags = session.scalars(
        select(DuplicateFlag).where(
            or_(DuplicateFlag.candidate_id == drop.id, DuplicateFlag.other_id == drop.id)
        )
    ).all()
    taken = {
        frozenset((f.candidate_id, f.other_id))
        for f in session.scalars(
            select(DuplicateFlag).where(
                or_(DuplicateFlag.candidate_id == keep.id, DuplicateFlag.other_id == keep.id)
            )
        )
    }
    for flag in flags:
        pair = {flag.candidate_id, flag.other_id}
        if pair == {keep.id, drop.id}:
            if flag.resolved_at is None:
                flag.resolved_at = now
                flag.resolution = "merged"
            continue
        other = (pair - {drop.id}).pop()
        if frozenset((keep.id, other)) in taken or flag.resolved_at is not None:
            if flag.resolved_at is None:
                flag.resolved_at = now
                flag.resolution = "merged"
            continue
        if flag.candidate_id == drop.id:
            flag.candidate_id = keep.id
        else:
            flag.other_id = keep.id
        taken.add(frozenset((keep.id, other)))
