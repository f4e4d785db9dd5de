"""The status page of an application, for its candidate, without an account.

Every e-mail to a candidate carries a signed link to it (``/status/<token>``): the token is
the application's and candidate's ids signed with the secret key (itsdangerous), so it cannot
be guessed nor changed into another application's. It needs no expiry: the page says no more
than the candidate was told, and once their data is erased it opens nothing.

From the page the candidate sees the stage and dates of the application and the interviews
planned, withdraws it, replaces its CV, sees what the organisation keeps about them, and
erases it (:func:`referral.privacy.erasure.erase`, the same erasure as a recruiter's).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from referral import audit
from referral.applications import cvstore, cvtext, interviews, status_history
from referral.config import Settings
from referral.errors import InvalidInput, NotFound
from referral.messages import N_, RuleBroken
from referral.models import (
    Application,
    ApplicationStatus,
    Candidate,
    CVFile,
    Interview,
    InterviewStatus,
    Notification,
    StatusChange,
    utcnow,
)
from referral.offers import scoring
from referral.privacy import erasure as privacy

if TYPE_CHECKING:
    from referral.unit_of_work import Urls

log = logging.getLogger(__name__)

SALT = "relais.application-status"
MAX_TOKEN = 200

S = ApplicationStatus
CLOSED_ALREADY = N_("This application is closed already: it can no longer change.")


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=SALT)


def status_token(settings: Settings, application: Application) -> str:
    """The signed token of ``application``'s status page."""
    return _serializer(settings).dumps([application.id, application.candidate_id])


def status_url(urls: Urls, settings: Settings, application: Application) -> str:
    """The address of ``application``'s status page, for e-mails."""
    return urls.status(status_token(settings, application))


def application_for(session: Session, settings: Settings, token: str) -> Application:
    """The application a status token opens. Raises NotFound for a bad or altered token, an
    application that no longer exists, or a candidate whose data is erased."""
    if not token or len(token) > MAX_TOKEN:
        raise NotFound("status")
    try:
        application_id, candidate_id = _serializer(settings).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise NotFound("status") from None
    application = (
        session.get(Application, application_id) if isinstance(application_id, int) else None
    )
    if (
        application is None
        or application.candidate_id != candidate_id
        or application.candidate.erased_at is not None
    ):
        raise NotFound("status")
    return application


@dataclass(frozen=True)
class StatusPage:
    """What the status page shows."""

    application: Application
    history: list[StatusChange]
    interviews: list[Interview]
    is_open: bool
    kept: KeptData


@dataclass(frozen=True)
class KeptData:
    """What the organisation keeps about the candidate (the "see what is kept" action)."""

    candidate: Candidate
    cv_files: list[CVFile]
    applications: list[Application]
    emails: list[Notification]


def page(session: Session, application: Application) -> StatusPage:
    """Everything the status page of ``application`` shows."""
    from referral.notifications.candidate_messages import sent_to

    candidate = application.candidate
    history = list(
        session.scalars(
            select(StatusChange)
            .where(StatusChange.application_id == application.id)
            .order_by(StatusChange.at, StatusChange.id)
        )
    )
    planned = list(
        session.scalars(
            select(Interview)
            .where(
                Interview.application_id == application.id,
                Interview.status == InterviewStatus.SCHEDULED,
            )
            .order_by(Interview.starts_at)
        )
    )
    kept = KeptData(
        candidate=candidate,
        cv_files=list(
            session.scalars(
                select(CVFile)
                .where(CVFile.candidate_id == candidate.id)
                .order_by(CVFile.uploaded_at)
            )
        ),
        applications=list(
            session.scalars(
                select(Application)
                .where(Application.candidate_id == candidate.id)
                .order_by(Application.created_at)
            )
        ),
        emails=sent_to(session, candidate),
    )
    return StatusPage(application, history, planned, application.is_open, kept)


def withdraw(
    session: Session,
    settings: Settings,
    application: Application,
    now: datetime | None = None,
    *,
    urls: Urls,
) -> StatusChange:
    """The candidate withdraws ``application``: its stage becomes withdrawn (no one acts for
    them), the agent's credits and notification follow as for any move, planned interviews
    are cancelled (their calendar event with them), and the candidate gets the "withdrawn"
    e-mail. Raises RuleBroken when it is closed already."""
    from referral.applications import pipeline
    from referral.notifications import candidate_messages

    now = now or utcnow()
    if not application.is_open:
        raise RuleBroken(CLOSED_ALREADY)
    old = application.status
    change, _credits = status_history.record(
        session, application, S.WITHDRAWN.value, at=now, probation_days=settings.probation_days
    )
    audit.record(
        session,
        None,
        "application.withdrawn_by_candidate",
        "application",
        application.id,
        from_status=old,
        offer_id=application.offer_id,
    ).at = now
    session.flush()
    pipeline._notify_agent(
        session, application, old, S.WITHDRAWN.value, settings=settings, now=now, urls=urls
    )
    for interview in session.scalars(
        select(Interview).where(
            Interview.application_id == application.id,
            Interview.status == InterviewStatus.SCHEDULED,
        )
    ):
        interviews.cancel(session, settings, interview, actor=None, now=now, urls=urls)
    draft = candidate_messages.propose(session, settings, change, recruiter=None, urls=urls)
    if draft is not None:
        candidate_messages.send(
            session,
            settings,
            application,
            subject=draft.subject,
            body=draft.body,
            key=draft.key,
            locale=draft.locale,
            now=now,
            urls=urls,
        )
    return change


@dataclass
class ReplacedCV:
    cv_file: CVFile
    stored_path: Path


def replace_cv(
    session: Session,
    settings: Settings,
    application: Application,
    data: bytes,
    filename: str,
    now: datetime | None = None,
) -> ReplacedCV:
    """Attach a new CV to ``application`` (kept beside the older ones) and score it again.
    Raises InvalidInput with the CV error code under ``cv`` for a file that cannot be read,
    RuleBroken for a closed application. The caller removes ``stored_path`` if it does not
    commit."""
    now = now or utcnow()
    if not application.is_open:
        raise RuleBroken(CLOSED_ALREADY)
    try:
        extracted = cvtext.extract(data or b"", int(settings.max_upload_mb * 1024 * 1024))
    except cvtext.CVError as exc:
        raise InvalidInput("The CV cannot be read.", {"cv": exc.code}) from None
    stored_name = cvstore.new_stored_name(extracted.kind)
    cv = cvstore.new_row(application.candidate_id, data, filename, extracted, stored_name, now)
    session.add(cv)
    session.flush()
    path = cvstore.write(settings, stored_name, data)
    try:
        application.cv_file_id = cv.id
        application.cv_file = cv
        application.updated_at = now
        audit.record(
            session,
            None,
            "application.update_cv",
            "application",
            application.id,
            cv_file_id=cv.id,
            by="candidate",
        )
        try:
            with session.begin_nested():
                scoring.score_application(session, settings, application, now)
        except Exception:  # noqa: BLE001 - the new CV is kept, unscored (as on applying)
            log.exception("could not score application %s", application.id)
    except BaseException:
        cvstore.remove(path)
        raise
    return ReplacedCV(cv, path)


def erase(
    session: Session, settings: Settings, application: Application, now: datetime | None = None
) -> privacy.Erasure:
    """The candidate erases their data (:func:`referral.privacy.erasure.erase`, at their request)."""
    return privacy.erase(
        session,
        settings,
        application.candidate,
        now or utcnow(),
        actor=None,
        reason="candidate_request",
    )
