"""Erasing a candidate's personal data: on request, and when the retention period is over.

Candidates are told (apply form, privacy page) that their data is kept ``retention_months``
after their last application. :func:`purge_expired` keeps that promise (the worker runs it
daily; ``relais candidates purge``), and :func:`erase` answers an erasure request (a recruiter
or an admin, from the candidate's page).

Erasing keeps what the organisation's figures and the agents' credits rest on — that an
application to an offer arrived through a link, when, and how far it went — and removes who
the person is and what they wrote: identity, CV files and their text, messages, notes,
score explanations (they quote the CV), duplicate flags, interviews, the name and e-mail an
agent gave when referring them, and the e-mails (with their attachments): those sent to the person go, those that told staff
about them name an "erased candidate" instead. The candidate row stays, marked
``erased_at``, so that an application never points to nothing. The CV files are deleted once
the transaction has committed, and the matching index, which holds the CV text, is built
again without it by the worker on its next tick (:meth:`Erasure.complete`; building it takes
too long for a request).

A person an agent recommended who has not applied is told (invitation e-mail, privacy page)
that their name, e-mail and what the agent wrote about them are kept for
``referral_window_days``, then deleted, and that the invitation's link deletes them at once:
:func:`purge_expired` and :func:`forget_invitation` keep that promise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import escape
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from referral import audit
from referral.applications import cvstore
from referral.config import Settings
from referral.errors import Forbidden, InvalidInput, NotFound
from referral.i18n import translations
from referral.messages import N_
from referral.models import (
    Application,
    ApplicationStatus,
    Candidate,
    CandidateNote,
    CVFile,
    DuplicateFlag,
    Interview,
    Notification,
    Referral,
    ReferralStatus,
    Role,
    User,
)
from referral.notifications.mailer import eml_name
from referral.offers import match_index

log = logging.getLogger(__name__)

SUBJECT_LENGTH = 300  # Notification.subject


ERASED_NAME = N_("Erased candidate")


def shown_name(candidate: Candidate, translate: Callable[[str], str] = str) -> str:
    """A candidate's name, or what stands for it once their personal data is erased."""
    return translate(ERASED_NAME) if candidate.erased_at is not None else candidate.full_name


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
    referrals: int = 0  # invitations of people who never applied, deleted
    files: list[Path] = field(default_factory=list)

    def complete(self, settings: Settings) -> None:
        """After the commit: delete the erased candidates' CV files and outbox files, and ask
        for the matching index to be built again without their CV text (see
        :mod:`referral.offers.match_index`)."""
        for path in self.files:
            cvstore.remove(path)
        if self.candidates:
            match_index.request_rebuild(settings)


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
    session.execute(
        delete(Interview)
        .where(
            Interview.application_id.in_(
                select(Application.id).where(Application.candidate_id == candidate.id)
            )
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(CandidateNote).where(CandidateNote.candidate_id == candidate.id))
    session.execute(
        delete(DuplicateFlag).where(
            or_(DuplicateFlag.candidate_id == candidate.id, DuplicateFlag.other_id == candidate.id)
        )
    )
    referred = or_(Referral.candidate_id == candidate.id, Referral.email == candidate.email)
    erasure.files += _forget_in_notifications(session, settings, candidate, referred)
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


def _forget_in_notifications(
    session: Session, settings: Settings, candidate: Candidate, referred: Any
) -> list[Path]:
    """The messages sent to the person (receipts, the invitation of whoever referred them:
    ``referred`` selects those referrals) go; the messages to staff that name them (new
    application, referral update, and the digests that carried those) name an "erased
    candidate" instead. Returns the outbox files of those messages (the file back-end's
    copies, written with the name), to delete after the commit."""
    people = set(session.scalars(select(Referral.email).where(referred))) | {candidate.email}
    to_person = Notification.recipient_id.is_(None), Notification.recipient_email.in_(people)
    files = [
        settings.outbox_path / eml_name(row)
        for row in session.scalars(select(Notification).where(*to_person))
    ]
    session.execute(
        delete(Notification).where(*to_person).execution_options(synchronize_session=False)
    )
    name = candidate.full_name
    if not name:
        return files
    rows = list(
        session.scalars(select(Notification).where(Notification.candidate_id == candidate.id))
    )
    digest_ids = {row.digest_id for row in rows if row.digest_id is not None}
    if digest_ids:
        rows += session.scalars(select(Notification).where(Notification.id.in_(digest_ids)))
    for row in rows:
        label = translations(row.locale).gettext(ERASED_NAME)
        row.subject = _without_name(row.subject, name, label)[:SUBJECT_LENGTH]
        row.body_text = row.body_text.replace(name, label)
        row.body_html = row.body_html.replace(str(escape(name)), str(escape(label)))
        files.append(settings.outbox_path / eml_name(row))
    return files


def _without_name(subject: str, name: str, label: str) -> str:
    """``subject`` naming ``label`` instead of ``name``, even where the subject was cut to its
    length limit in the middle of the name."""
    subject = subject.replace(name, label)
    if len(subject) < SUBJECT_LENGTH:  # not cut
        return subject
    for cut in range(len(name) - 1, 1, -1):
        if subject.endswith(name[:cut]):
            return subject[: len(subject) - cut] + label
    return subject


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
    """Erase every candidate of :func:`expired`, and delete the invitations of
    :func:`expired_invitations`, in the caller's transaction."""
    erasure = Erasure()
    for candidate in expired(session, now):
        erase(session, settings, candidate, now, reason="retention", erasure=erasure)
    if erasure.candidates:
        log.info("erased %d candidate(s) at the end of their retention", erasure.candidates)
    for referral in expired_invitations(session, now):
        _forget_referral(session, referral, reason="retention")
        erasure.referrals += 1
    if erasure.referrals:
        log.info("deleted %d invitation(s) at the end of their window", erasure.referrals)
    return erasure


# --- people recommended by an agent who have not applied ---------------------------------------

INVITATION_APPLIED = N_(
    "You applied with this invitation: your data is now kept with your application. "
    "The privacy notice says for how long and how to have it erased."
)


def expired_invitations(session: Session, now: datetime) -> list[Referral]:
    """Referrals whose window is over and that no candidate came from: the person never
    applied, and nothing but the invitation keeps their name."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.candidate_id.is_(None), Referral.expires_at <= now)
            .order_by(Referral.id)
        )
    )


def forgettable_invitation(session: Session, token: str) -> Referral:
    """The referral behind an invitation's deletion link, if its person may delete it.
    Raises NotFound for an unknown token (never sent, or already deleted), and InvalidInput
    once the person applied: their data is then the application's, erased on request from
    the candidate's page (:func:`erase`)."""
    referral = (
        session.scalar(select(Referral).where(Referral.token == token))
        if token and len(token) <= 64
        else None
    )
    if referral is None:
        raise NotFound("invitation")
    if referral.candidate_id is not None or referral.status == ReferralStatus.APPLIED:
        raise InvalidInput(INVITATION_APPLIED)
    return referral


def forget_invitation(session: Session, token: str) -> None:
    """At the request of the person invited (the link in their invitation): delete the
    referral and the invitation e-mail, with the name, e-mail and the agent's words they
    hold. Raises as :func:`forgettable_invitation`."""
    _forget_referral(session, forgettable_invitation(session, token), reason="request")


def _forget_referral(session: Session, referral: Referral, reason: str) -> None:
    """Delete ``referral`` and the outbox rows of its invitation (the only ones that carry its
    token in their link)."""
    session.execute(
        delete(Notification)
        .where(
            Notification.recipient_id.is_(None),
            Notification.kind == "invitation",
            Notification.link_url.endswith(f"invite={referral.token}"),
        )
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        None,
        "referral.forgotten",
        "referral",
        referral.id,
        reason=reason,
        agent_id=referral.agent_id,
        offer_id=referral.offer_id,
    )
    session.delete(referral)
