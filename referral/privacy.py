"""Erasing a candidate's personal data: on request, and when the retention period is over.

Candidates are told (apply form, privacy page) that their data is kept ``retention_months``
after their last application. :func:`purge_expired` keeps that promise (the worker runs it
daily; ``relais candidates purge``), and :func:`erase` answers an erasure request (a recruiter
or an admin, from the candidate's page).

Erasing keeps what the organisation's figures and the agents' credits rest on — that an
application to an offer arrived through a link, when, and how far it went — and removes who
the person is and what they wrote: identity, CV files and their text, messages, notes,
score explanations (they quote the CV), duplicate flags, the name and e-mail an agent gave
when referring them, and the e-mails: those sent to the person go, those that told staff
about them name an "erased candidate" instead. The candidate row stays, marked
``erased_at``, so that an application never points to nothing. The CV files are deleted once
the transaction has committed, and the matching index, which holds the CV text, is built
again without it by the worker on its next tick (:meth:`Erasure.complete`; building it takes
too long for a request).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import escape
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from referral import audit, cvstore, scoring
from referral.config import Settings
from referral.errors import Forbidden
from referral.i18n import translations
from referral.models import (
    Application,
    ApplicationStatus,
    Candidate,
    CandidateNote,
    CVFile,
    DuplicateFlag,
    Notification,
    Referral,
    Role,
    User,
)

log = logging.getLogger(__name__)

# Applications still being decided: the candidate's data is needed until they are.
OPEN_STATUSES = (
    ApplicationStatus.NEW.value,
    ApplicationStatus.SCREENING.value,
    ApplicationStatus.INTERVIEW.value,
    ApplicationStatus.OFFER.value,
)


@dataclass
class Erasure:
    """What one erasure (or purge) did; the files go once the caller has committed."""

    candidates: int = 0
    files: list[Path] = field(default_factory=list)

    def complete(self, settings: Settings) -> None:
        """After the commit: delete the erased candidates' CV files, and ask for the matching
        index to be built again without their CV text (see :mod:`referral.scoring`)."""
        for path in self.files:
            cvstore.remove(path)
        if self.candidates:
            scoring.request_rebuild(settings)


def may_erase(user: User) -> bool:
    """Recruiters and admins answer erasure requests (hiring managers do not)."""
    return user.has_role(Role.RECRUITER, Role.ADMIN)


def erased_email(candidate_id: int) -> str:
    """The e-mail an erased candidate keeps (unique, never deliverable)."""
    return f"erased-{candidate_id}@erased.invalid"


def erase(
    session: Session,
    settings: Settings,
    candidate: Candidate,
    now: datetime,
    actor: User | None = None,
    reason: str = "request",
    erasure: Erasure | None = None,
) -> Erasure:
    """Erase ``candidate``'s personal data in the caller's transaction (see the module)."""
    if actor is not None and not may_erase(actor):
        raise Forbidden("candidate")
    erasure = erasure or Erasure()
    if candidate.erased_at is not None:
        return erasure
    cvs = list(session.scalars(select(CVFile).where(CVFile.candidate_id == candidate.id)))
    erasure.files += [cvstore.path_for(settings, cv) for cv in cvs]
    session.execute(
        update(Application)
        .where(Application.candidate_id == candidate.id)
        .values(message="", score_explanation=None, cv_file_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(CVFile).where(CVFile.candidate_id == candidate.id))
    session.execute(delete(CandidateNote).where(CandidateNote.candidate_id == candidate.id))
    session.execute(
        delete(DuplicateFlag).where(
            or_(DuplicateFlag.candidate_id == candidate.id, DuplicateFlag.other_id == candidate.id)
        )
    )
    referred = or_(Referral.candidate_id == candidate.id, Referral.email == candidate.email)
    _forget_in_notifications(session, candidate, referred)
    session.execute(
        update(Referral)
        .where(referred)
        .values(
            first_name="",
            last_name="",
            email=erased_email(candidate.id),
            relationship_note="",
            reason="",
        )
        .execution_options(synchronize_session=False)
    )
    candidate.email = erased_email(candidate.id)
    candidate.first_name = candidate.last_name = candidate.city = ""
    candidate.phone = candidate.linkedin_url = None
    candidate.skills = []
    candidate.talent_pool_consent = False
    candidate.retention_until = None
    candidate.erased_at = now
    session.expire(candidate, ["cv_files", "applications"])
    audit.record(session, actor, "candidate.erased", "candidate", candidate.id, reason=reason)
    erasure.candidates += 1
    return erasure


def _forget_in_notifications(session: Session, candidate: Candidate, referred: Any) -> None:
    """The messages sent to the person (receipts, the invitation of whoever referred them:
    ``referred`` selects those referrals) go; the messages to staff that name them (new
    application, referral update, and the digests that carried those) name an "erased
    candidate" instead."""
    people = set(session.scalars(select(Referral.email).where(referred))) | {candidate.email}
    session.execute(
        delete(Notification)
        .where(Notification.recipient_id.is_(None), Notification.recipient_email.in_(people))
        .execution_options(synchronize_session=False)
    )
    name = candidate.full_name
    if not name:
        return
    rows = list(
        session.scalars(select(Notification).where(Notification.candidate_id == candidate.id))
    )
    digest_ids = {row.digest_id for row in rows if row.digest_id is not None}
    if digest_ids:
        rows += session.scalars(select(Notification).where(Notification.id.in_(digest_ids)))
    for row in rows:
        label = translations(row.locale).gettext("Erased candidate")
        row.subject = row.subject.replace(name, label)[:300]
        row.body_text = row.body_text.replace(name, label)
        row.body_html = row.body_html.replace(str(escape(name)), str(escape(label)))


def expired(session: Session, now: datetime) -> list[Candidate]:
    """Candidates whose retention period is over and who have no application still open."""
    still_open = select(Application.id).where(
        Application.candidate_id == Candidate.id, Application.status.in_(OPEN_STATUSES)
    )
    return list(
        session.scalars(
            select(Candidate)
            .where(
                Candidate.erased_at.is_(None),
                Candidate.retention_until < now.date(),
                ~still_open.exists(),
            )
            .order_by(Candidate.id)
        )
    )


def purge_expired(session: Session, settings: Settings, now: datetime) -> Erasure:
    """Erase every candidate of :func:`expired` in the caller's transaction."""
    erasure = Erasure()
    for candidate in expired(session, now):
        erase(session, settings, candidate, now, reason="retention", erasure=erasure)
    if erasure.candidates:
        log.info("erased %d candidate(s) at the end of their retention", erasure.candidates)
    return erasure
