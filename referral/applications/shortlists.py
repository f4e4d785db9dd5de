"""The shortlist of an offer, the candidate file, and who may read them.

Recruiters and admins read every offer's shortlist; the hiring manager of an offer reads the
shortlist of that offer only, and the candidates who applied to it. Agents read none. Pages
load in a fixed number of SQL queries whatever the number of applications.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, String, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session, defer, joinedload, selectinload

from referral import audit
from referral.applications.pipeline import ALL_STATUSES
from referral.errors import Forbidden, InvalidInput, NotFound
from referral.models import (
    Application,
    ApplicationSource,
    Candidate,
    CandidateNote,
    CVFile,
    DuplicateFlag,
    Offer,
    Role,
    ShareLink,
    StatusChange,
    User,
    utcnow,
)

SORTS = ("score", "date")
PER_PAGE = 25
MAX_PER_PAGE = 200
MAX_NOTE_LENGTH = 5000


def _(message: str) -> str:
    """Mark a message for the catalogue; ``web`` translates it when it shows it."""
    return message


MAX_ID = 2**31 - 1  # an integer primary key on PostgreSQL


def valid_id(value: object) -> bool:
    """An id that can be looked up at all (a larger one would be a database error)."""
    return isinstance(value, int) and 0 < value <= MAX_ID


# --- who may read what ---------------------------------------------------------------------------


def is_recruiter(user: User) -> bool:
    return bool(user.is_authenticated) and user.has_role(Role.RECRUITER, Role.ADMIN)


def can_view(user: User, offer: Offer) -> bool:
    """Recruiters and admins, or the hiring manager of this offer."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_recruiter(user):
        return True
    return (
        user.has_role(Role.MANAGER)
        and offer.hiring_manager_id is not None
        and offer.hiring_manager_id == user.id
    )


def get_offer(session: Session, user: User, offer_id: int) -> Offer:
    """The offer whose shortlist ``user`` asks for; NotFound, or Forbidden if not theirs."""
    offer = session.get(Offer, offer_id) if valid_id(offer_id) else None
    if offer is None:
        raise NotFound("offer")
    if not can_view(user, offer):
        raise Forbidden("offer")
    return offer


def visible_offer_ids(session: Session, user: User, candidate: Candidate) -> set[int] | None:
    """Offers of ``candidate``'s applications that ``user`` may see; None means all."""
    if is_recruiter(user):
        return None
    if not user.has_role(Role.MANAGER):
        return set()
    return set(
        session.scalars(
            select(Application.offer_id)
            .join(Offer, Offer.id == Application.offer_id)
            .where(Application.candidate_id == candidate.id, Offer.hiring_manager_id == user.id)
        )
    )


def can_view_candidate(session: Session, user: User, candidate: Candidate) -> bool:
    """Recruiters and admins, or the hiring manager of an offer the candidate applied to."""
    ids = visible_offer_ids(session, user, candidate)
    return ids is None or bool(ids)


# --- the shortlist -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the shortlist shows: filters, sort and page (all optional)."""

    status: str | None = None
    source: str | None = None
    referred: bool | None = None
    min_score: float | None = None
    skill: str | None = None
    sort: str = "score"
    page: int = 1
    per_page: int = PER_PAGE

    def validated(self) -> Filters:
        """The same filters, or InvalidInput naming the field that is wrong."""
        errors = {}
        if self.status and self.status not in ALL_STATUSES:
            errors["status"] = _("Unknown status.")
        if self.source and self.source not in {s.value for s in ApplicationSource}:
            errors["source"] = _("Unknown source.")
        if self.min_score is not None and not (0 <= self.min_score <= 100):
            errors["min_score"] = _("The score is between 0 and 100.")
        if self.sort not in SORTS:
            errors["sort"] = _("Unknown sort.")
        if self.page < 1 or not (1 <= self.per_page <= MAX_PER_PAGE):
            errors["page"] = _("Unknown page.")
        if errors:
            raise InvalidInput(next(iter(errors.values())), errors)
        return self


@dataclass
class ShortlistPage:
    offer: Offer
    items: list[Application]
    total: int
    page: int
    per_page: int
    ranks: dict[int, int] = field(default_factory=dict)  # application id -> rank by score
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def clean_text(text: str) -> str:
    """Text without NUL characters (PostgreSQL refuses them in a string)."""
    return text.replace("\x00", "")


def skill_needle(skill: str) -> str:
    """How a matched skill is written in the stored explanation (``json.dumps`` of the dict)."""
    return '"skill": ' + json.dumps(skill.strip().lower())


def _filtered(offer: Offer, filters: Filters) -> Select:
    query = select(Application).where(Application.offer_id == offer.id)
    if filters.status:
        query = query.where(Application.status == filters.status)
    if filters.source:
        query = query.where(Application.source == filters.source)
    if filters.referred is True:
        query = query.where(Application.credited_agent_id.is_not(None))
    elif filters.referred is False:
        query = query.where(Application.credited_agent_id.is_(None))
    if filters.min_score is not None:
        query = query.where(Application.score >= filters.min_score)
    skill = clean_text(filters.skill or "").strip().lower()
    if skill:
        # Matched by the scorer (its explanation), or written in the CV (not yet scored).
        in_explanation = func.lower(cast(Application.score_explanation, String)).contains(
            skill_needle(skill), autoescape=True
        )
        in_cv = exists(
            select(CVFile.id).where(
                CVFile.id == Application.cv_file_id,
                func.lower(CVFile.text).contains(skill, autoescape=True),
            )
        )
        query = query.where(or_(in_explanation, in_cv))
    return query


def _by_score() -> tuple:
    """Best score first (not yet scored last), ties to the earlier application, then the smaller
    id: the order of ``matching.rank_candidates``."""
    return (
        Application.score.is_(None),
        Application.score.desc(),
        Application.created_at,
        Application.id,
    )


def ordered(query: Select, sort: str) -> Select:
    """Best score first (see ``_by_score``); or newest first."""
    if sort == "date":
        return query.order_by(Application.created_at.desc(), Application.id.desc())
    return query.order_by(*_by_score())


def _ranked(query: Select, offer: Offer) -> Select:
    """``query`` with each application's rank by score among *all* of ``offer``'s applications,
    so that a filter or another sort never renumbers them."""
    ranks = (
        select(
            Application.id.label("application_id"),
            func.row_number().over(order_by=_by_score()).label("rank"),
        )
        .where(Application.offer_id == offer.id)
        .subquery("ranks")
    )
    return query.add_columns(ranks.c.rank).join(ranks, ranks.c.application_id == Application.id)


def _page_options():
    """What a shortlist row shows, loaded with the rows (never the CV text blob)."""
    return (
        joinedload(Application.candidate),
        joinedload(Application.credited_agent),
        joinedload(Application.share_link).joinedload(ShareLink.agent),
        joinedload(Application.cv_file).options(defer(CVFile.text)),
    )


def shortlist(session: Session, offer: Offer, filters: Filters | None = None) -> ShortlistPage:
    """One page of ``offer``'s ranked applications, in three queries whatever their number."""
    filters = (filters or Filters()).validated()
    base = _filtered(offer, filters)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = min(filters.page, max(1, math.ceil(total / filters.per_page)))
    offset = (page - 1) * filters.per_page
    rows = session.execute(
        _ranked(ordered(base, filters.sort), offer)
        .options(*_page_options())
        .offset(offset)
        .limit(filters.per_page)
    ).unique()
    items, ranks = [], {}
    for application, rank in rows:
        items.append(application)
        ranks[application.id] = rank
    counts = dict(
        session.execute(
            select(Application.status, func.count(Application.id))
            .where(Application.offer_id == offer.id)
            .group_by(Application.status)
        ).all()
    )
    return ShortlistPage(
        offer=offer,
        items=items,
        total=total,
        page=page,
        per_page=filters.per_page,
        ranks=ranks,
        counts=counts,
    )


def all_rows(
    session: Session, offer: Offer, filters: Filters | None = None
) -> list[tuple[int, Application]]:
    """Every application the filters keep, in shortlist order, with its rank by score among all
    the offer's applications: ``(rank, application)`` pairs (for exports)."""
    filters = (filters or Filters()).validated()
    query = _ranked(ordered(_filtered(offer, filters), filters.sort), offer)
    rows = session.execute(query.options(*_page_options())).unique()
    return [(rank, application) for application, rank in rows]


def applications_for(session: Session, offer: Offer, ids: list[int]) -> list[Application]:
    """The applications of ``offer`` among ``ids`` (others are ignored), in one query."""
    ids = [i for i in ids if valid_id(i)]
    if not ids:
        return []
    return list(
        session.scalars(
            select(Application)
            .where(Application.offer_id == offer.id, Application.id.in_(ids))
            .options(
                joinedload(Application.candidate),
                joinedload(Application.credited_agent),
                joinedload(Application.offer),
            )
            .order_by(Application.id)
            .with_for_update(of=Application)  # two recruiters moving the same ones wait in turn
        ).unique()
    )


IN_PROGRESS = ("screening", "interview", "offer")


@dataclass(frozen=True)
class OfferSummary:
    """An offer's applications counted by stage; the stages add up to ``total``."""

    offer: Offer
    total: int
    new: int
    in_progress: int  # screening, interview or offer made
    hired: int
    rejected: int
    withdrawn: int


def offers_with_counts(session: Session, user: User) -> list[OfferSummary]:
    """The offers ``user`` may read (all for recruiters), with their application counts."""

    def at(*statuses: str):
        return func.count(Application.id).filter(Application.status.in_(statuses))

    counts = (
        select(
            Application.offer_id.label("offer_id"),
            func.count(Application.id).label("total"),
            at("new").label("new"),
            at(*IN_PROGRESS).label("in_progress"),
            at("hired").label("hired"),
            at("rejected").label("rejected"),
            at("withdrawn").label("withdrawn"),
        )
        .group_by(Application.offer_id)
        .subquery()
    )
    columns = ("total", "new", "in_progress", "hired", "rejected", "withdrawn")
    query = (
        select(Offer, *(counts.c[name] for name in columns))
        .outerjoin(counts, counts.c.offer_id == Offer.id)
        .options(joinedload(Offer.direction))
        .order_by(Offer.created_at.desc(), Offer.id.desc())
    )
    if not is_recruiter(user):
        query = query.where(Offer.hiring_manager_id == user.id)
    return [
        OfferSummary(offer, *(n or 0 for n in numbers))
        for offer, *numbers in session.execute(query).all()
    ]


# --- the candidate file --------------------------------------------------------------------------


@dataclass
class CandidateFile:
    candidate: Candidate
    applications: list[Application]
    notes: list[CandidateNote]
    duplicates: list[DuplicateFlag]
    latest_cv: CVFile | None
    full_access: bool  # recruiters: every application, duplicates and merge
    # The e-mails of the candidates merged into this one (they still reach the same person).
    other_emails: list[str] = field(default_factory=list)
    # Each CV file once, newest first, among the ones ``user`` may read: the same file sent
    # twice (or by both halves of a merge) is listed once.
    cv_files: list[CVFile] = field(default_factory=list)


def candidate_file(session: Session, user: User, candidate_id: int) -> CandidateFile:
    """Everything the candidate page shows to ``user``, in a fixed number of queries.

    Raises NotFound for an unknown candidate, Forbidden when ``user`` may not read it. A hiring
    manager sees only the applications to their own offers and the notes on those.
    """
    if not valid_id(candidate_id):
        raise NotFound("candidate")
    candidate = session.scalar(
        select(Candidate)
        .where(Candidate.id == candidate_id)
        .options(selectinload(Candidate.cv_files))
    )
    if candidate is None:
        raise NotFound("candidate")
    visible = visible_offer_ids(session, user, candidate)
    if visible is not None and not visible:
        raise Forbidden("candidate")
    query = (
        select(Application)
        .where(Application.candidate_id == candidate.id)
        .options(
            joinedload(Application.offer),
            joinedload(Application.credited_agent),
            joinedload(Application.share_link).joinedload(ShareLink.agent),
            joinedload(Application.cv_file).options(defer(CVFile.text)),
            selectinload(Application.history).joinedload(StatusChange.by_user),
        )
        .order_by(Application.created_at.desc(), Application.id.desc())
    )
    if visible is not None:
        query = query.where(Application.offer_id.in_(visible))
    applications = list(session.scalars(query).unique())
    notes_query = (
        select(CandidateNote)
        .where(CandidateNote.candidate_id == candidate.id)
        .options(joinedload(CandidateNote.author))
        .order_by(CandidateNote.created_at.desc(), CandidateNote.id.desc())
    )
    if visible is not None:
        app_ids = [a.id for a in applications]
        notes_query = notes_query.where(
            or_(
                CandidateNote.application_id.in_(app_ids),
                and_(CandidateNote.application_id.is_(None), CandidateNote.author_id == user.id),
            )
        )
    notes = list(session.scalars(notes_query).unique())
    duplicates: list[DuplicateFlag] = []
    if visible is None:
        duplicates = list(
            session.scalars(
                select(DuplicateFlag)
                .where(
                    or_(
                        DuplicateFlag.candidate_id == candidate.id,
                        DuplicateFlag.other_id == candidate.id,
                    ),
                    DuplicateFlag.resolved_at.is_(None),
                )
                .options(joinedload(DuplicateFlag.candidate), joinedload(DuplicateFlag.other))
                .order_by(DuplicateFlag.created_at)
            ).unique()
        )
    cv_files = list(candidate.cv_files)
    if visible is not None:  # a manager: the CVs sent to their own offers
        sent = {a.cv_file_id for a in applications}
        cv_files = [cv for cv in cv_files if cv.id in sent]
    latest = cv_files[-1] if cv_files else None
    seen: set[str] = set()
    distinct = []
    for cv in reversed(cv_files):
        if cv.sha256 not in seen:
            seen.add(cv.sha256)
            distinct.append(cv)
    return CandidateFile(
        candidate=candidate,
        applications=applications,
        notes=notes,
        duplicates=duplicates,
        latest_cv=latest,
        full_access=visible is None,
        other_emails=merged_emails(session, candidate) if visible is None else [],
        cv_files=distinct,
    )


def merged_emails(session: Session, candidate: Candidate) -> list[str]:
    """The e-mails of the candidates merged into ``candidate``, through chains of merges
    (one query per level)."""
    emails: list[str] = []
    level = [candidate.id]
    while level:
        rows = session.execute(
            select(Candidate.id, Candidate.email).where(Candidate.merged_into_id.in_(level))
        ).all()
        emails += [email for _id, email in rows if not email.endswith(".invalid")]
        level = [row_id for row_id, _email in rows]
    return sorted(emails)


NOTE_ON_ERASED = _("This candidate's personal data was erased: no note can be added.")


def add_note(
    session: Session,
    candidate: Candidate,
    body: str,
    *,
    actor: User,
    application: Application | None = None,
    now: datetime | None = None,
) -> CandidateNote:
    """A note on ``candidate`` (optionally on one of their applications) by a recruiter or the
    hiring manager of the application's offer. Raises InvalidInput or Forbidden; an erased
    candidate takes no note (a note would bring personal data back, see referral.privacy.erasure)."""
    if candidate.erased_at is not None:
        raise InvalidInput(NOTE_ON_ERASED, {"body": NOTE_ON_ERASED})
    body = clean_text(body or "").strip()
    if not body:
        raise InvalidInput(_("Write the note."), {"body": _("Write the note.")})
    if len(body) > MAX_NOTE_LENGTH:
        raise InvalidInput(_("The note is too long."), {"body": _("The note is too long.")})
    if application is not None and application.candidate_id != candidate.id:
        raise NotFound("application")
    # A manager writes on an application to one of their offers, never a loose note.
    if not is_recruiter(actor) and (
        application is None or application.offer.hiring_manager_id != actor.id
    ):
        raise Forbidden("note")
    note = CandidateNote(
        candidate_id=candidate.id,
        application_id=application.id if application else None,
        author_id=actor.id,
        body=body,
        created_at=now or utcnow(),
    )
    session.add(note)
    session.flush()
    audit.record(session, actor, "candidate.note", "candidate", candidate.id, note_id=note.id)
    return note


def cv_file_for(session: Session, user: User, cv_file_id: int) -> CVFile:
    """A CV file ``user`` may download: recruiters, or the manager of an offer it was sent to."""
    if not valid_id(cv_file_id):
        raise NotFound("cv_file")
    cv_file = session.get(CVFile, cv_file_id, options=[defer(CVFile.text)])
    if cv_file is None:
        raise NotFound("cv_file")
    if not can_view_candidate(session, user, cv_file.candidate):
        raise Forbidden("cv_file")
    if not is_recruiter(user) and not session.scalar(
        select(Application.id)
        .join(Offer, Offer.id == Application.offer_id)
        .where(Application.cv_file_id == cv_file.id, Offer.hiring_manager_id == user.id)
        .limit(1)
    ):
        # A manager reads the CVs sent to their own offers, not one sent to another's.
        raise Forbidden("cv_file")
    return cv_file
