"""Applying to an offer: one transaction from the form to the credit and the notifications.

Everything is validated (identity, consent, the CV file) before anything is written; the CV
file reaches the disk only after its row is flushed, and is removed again if anything fails
afterwards. The caller commits — and removes ``ApplyResult.stored_path`` if the commit fails.

One application per (candidate, offer): applying again updates it with the new CV. The same
form sent twice (same one-time ``nonce``) is recognised by the unique CV file name derived
from the nonce, and answers with the application already made.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from referral import audit, labels
from referral.applications import attribution, candidates, cvstore, cvtext, status_history
from referral.config import Settings
from referral.errors import DomainError, InvalidInput, NotFound
from referral.i18n import translations
from referral.models import (
    Application,
    ApplicationSource,
    ApplicationStatus,
    Candidate,
    CVFile,
    Offer,
    OfferStatus,
    ReferralStatus,
    User,
    utcnow,
)
from referral.notifications import outbox as notifications
from referral.offers import scoring
from referral.sharing.touches import Touch
from referral.unit_of_work import Urls

log = logging.getLogger(__name__)


class OfferClosed(DomainError):
    """The offer no longer takes applications."""


class _Resubmitted(Exception):
    """The same form was already processed (same nonce): undo this attempt."""


@dataclass(frozen=True)
class ApplicationInput:
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    city: str = ""
    linkedin_url: str | None = None
    message: str = ""
    consent: bool = False
    talent_pool: bool = False


@dataclass
class ApplyResult:
    application: Application
    candidate: Candidate
    created: bool  # False: an earlier application of this person to this offer was updated
    duplicate_submission: bool = False  # the same form twice: nothing new was done
    stored_path: Path | None = None
    attribution: attribution.Attribution | None = None
    duplicates: list = field(default_factory=list)


def is_open(offer: Offer, now: datetime) -> bool:
    """Published and not past its closing date."""
    return offer.is_open(now.date())


def offer_for_apply(session: Session, offer_id: int) -> Offer:
    """A published or closed offer (drafts and unknown ids are not found)."""
    offer = session.scalar(
        select(Offer).options(joinedload(Offer.direction)).where(Offer.id == offer_id)
    )
    if offer is None or offer.status == OfferStatus.DRAFT.value:
        raise NotFound("No such offer.")
    return offer


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def validate(data: ApplicationInput, cv_data: bytes, settings: Settings):
    """The normalised identity and the extracted CV; InvalidInput lists every bad field.

    Error values are codes (``required``, ``invalid``, and the CV codes of ``cvtext``).
    """
    errors: dict[str, str] = {}
    identity = None
    try:
        identity = candidates.make_identity(
            email=data.email,
            first_name=data.first_name,
            last_name=data.last_name,
            phone=data.phone,
            city=data.city,
            linkedin_url=data.linkedin_url,
        )
    except InvalidInput as exc:
        errors.update(exc.errors)
    if not data.consent:
        errors["consent"] = "required"
    extracted = None
    try:
        extracted = cvtext.extract(cv_data or b"", int(settings.max_upload_mb * 1024 * 1024))
    except cvtext.CVError as exc:
        errors["cv"] = exc.code
    if errors:
        raise InvalidInput("Some fields are not valid.", errors)
    return identity, extracted


def apply(
    session: Session,
    settings: Settings,
    *,
    offer_id: int,
    data: ApplicationInput,
    cv_data: bytes,
    cv_filename: str,
    touches: list[Touch] | None = None,
    ref_code: str | None = None,
    invite_token: str | None = None,
    staff_user: User | None = None,
    nonce: str | None = None,
    locale: str | None = None,
    now: datetime | None = None,
    urls: Urls,
) -> ApplyResult:
    """Apply ``data`` with its CV to an offer (see the module's docstring).

    Raises NotFound, OfferClosed, or InvalidInput (codes per field) before writing anything.
    """
    now = now or utcnow()
    offer = offer_for_apply(session, offer_id)
    if not is_open(offer, now):
        raise OfferClosed("This offer is closed.")
    identity, extracted = validate(data, cv_data, settings)
    locale = locale or settings.default_locale
    stored_name = cvstore.new_stored_name(extracted.kind, settings.secret_key, nonce)
    written: Path | None = None
    try:
        with session.begin_nested():
            candidate = candidates.upsert(session, identity, now)
            candidate.consent_at = now
            candidate.retention_until = add_months(now.date(), settings.retention_months)
            candidate.talent_pool_consent = candidate.talent_pool_consent or data.talent_pool
            # One application of this person at a time (PostgreSQL; SQLite has one writer):
            # the same CV sent again, even at the same moment, is found below.
            session.execute(
                select(Candidate.id).where(Candidate.id == candidate.id).with_for_update()
            )
            if session.scalar(select(CVFile.id).where(CVFile.stored_name == stored_name)):
                raise _Resubmitted()  # the same form sent twice (a double click)
            same_cv = session.scalar(
                select(CVFile)
                .where(
                    CVFile.candidate_id == candidate.id, CVFile.sha256 == cvstore.sha256(cv_data)
                )
                .order_by(CVFile.id.desc())
                .limit(1)
            )
            if same_cv is not None:  # the file they sent before: kept once, not copied
                cv = same_cv
            else:
                cv = cvstore.new_row(
                    candidate.id, cv_data, cv_filename, extracted, stored_name, now
                )
                try:
                    with session.begin_nested():
                        session.add(cv)
                        session.flush()
                except IntegrityError:
                    raise _Resubmitted() from None
                written = cvstore.write(settings, stored_name, cv_data)
            result = _create_or_update(
                session,
                settings,
                offer,
                candidate,
                cv,
                data,
                touches=touches or [],
                ref_code=ref_code,
                invite_token=invite_token,
                staff_user=staff_user,
                locale=locale,
                now=now,
                urls=urls,
            )
            result.stored_path = written
            result.duplicates = candidates.find_duplicates(session, candidate)
            session.flush()
    except _Resubmitted:
        existing = _existing(session, identity.email, offer.id)
        if existing is None:
            raise
        return ApplyResult(
            application=existing,
            candidate=existing.candidate,
            created=False,
            duplicate_submission=True,
        )
    except BaseException:
        cvstore.remove(written)
        raise
    return result


def _existing(session: Session, email: str, offer_id: int) -> Application | None:
    candidate = candidates.find_by_email(session, email)
    if candidate is None:
        return None
    return session.scalar(
        select(Application).where(
            Application.candidate_id == candidate.id, Application.offer_id == offer_id
        )
    )


def _create_or_update(
    session: Session,
    settings: Settings,
    offer: Offer,
    candidate: Candidate,
    cv: CVFile,
    data: ApplicationInput,
    *,
    touches: list[Touch],
    ref_code: str | None,
    invite_token: str | None,
    staff_user: User | None,
    locale: str,
    now: datetime,
    urls: Urls,
) -> ApplyResult:
    existing = session.scalar(
        select(Application).where(
            Application.candidate_id == candidate.id, Application.offer_id == offer.id
        )
    )
    if existing is None:
        found = attribution.attribute(
            session,
            settings,
            offer=offer,
            email=candidate.email,
            touches=touches,
            ref_code=ref_code,
            invite_token=invite_token,
            staff_user=staff_user,
            now=now,
        )
        if found.internal_mobility:
            candidate.is_staff = True
        application = Application(
            candidate_id=candidate.id,
            offer_id=offer.id,
            cv_file_id=cv.id,
            source=found.source,
            share_link_id=found.share_link.id if found.share_link else None,
            referral_id=found.referral.id if found.referral else None,
            credited_agent_id=found.agent.id if found.agent else None,
            attribution_reason=found.reason[:300],
            internal_mobility=found.internal_mobility,
            message=(data.message or "").strip()[:5000],
            status=ApplicationStatus.NEW.value,
            created_at=now,
            updated_at=now,
            status_changed_at=now,
        )
        try:
            with session.begin_nested():
                session.add(application)
                session.flush()
        except IntegrityError:
            # The same person applied to this offer in a concurrent request: update theirs.
            existing = session.scalar(
                select(Application).where(
                    Application.candidate_id == candidate.id, Application.offer_id == offer.id
                )
            )
            if existing is None:  # pragma: no cover - the winning row vanished
                raise
        else:
            _after_create(
                session, settings, offer, candidate, application, found, locale, now, urls
            )
            return ApplyResult(application, candidate, created=True, attribution=found)
    existing.cv_file_id = cv.id
    if (data.message or "").strip():
        existing.message = data.message.strip()[:5000]
    existing.updated_at = now
    audit.record(
        session, None, "application.update_cv", "application", existing.id, cv_file_id=cv.id
    )
    existing.cv_file = cv
    _score(session, settings, existing, now)
    _receipt(
        session,
        settings,
        offer,
        candidate,
        locale,
        now,
        updated=True,
        application=existing,
        urls=urls,
    )
    return ApplyResult(existing, candidate, created=False)


def _score(session: Session, settings: Settings, application: Application, now) -> None:
    """Score the application now; a failure of the matcher never loses the application."""
    try:
        with session.begin_nested():
            scoring.score_application(session, settings, application, now)
    except Exception:  # noqa: BLE001 - the application is kept, unscored, and the error logged
        log.exception("could not score application %s", application.id)


def _after_create(
    session: Session,
    settings: Settings,
    offer: Offer,
    candidate: Candidate,
    application: Application,
    found: attribution.Attribution,
    locale: str,
    now: datetime,
    urls: Urls,
) -> None:
    if found.referral is not None:
        found.referral.status = ReferralStatus.APPLIED
        found.referral.candidate_id = candidate.id
    status_history.record(
        session,
        application,
        ApplicationStatus.NEW.value,
        at=now,
        probation_days=settings.probation_days,
        first=True,
    )
    audit.record(
        session,
        None,
        "application.create",
        "application",
        application.id,
        offer_id=offer.id,
        source=application.source,
        agent_id=application.credited_agent_id,
    )
    _receipt(
        session,
        settings,
        offer,
        candidate,
        locale,
        now,
        updated=False,
        application=application,
        urls=urls,
    )
    _score(session, settings, application, now)
    recipients = {
        u.id: u for u in (offer.hiring_manager, offer.recruiter) if u is not None and u.active
    }
    strong = (application.score or 0) >= settings.strong_match_threshold
    for user in recipients.values():
        user_locale = user.writing_locale(settings.default_locale)
        gettext = translations(user_locale).gettext

        def translate(message: str, _g=gettext, **params: object) -> str:
            return _g(message) % params if params else _g(message)

        # One message per application and person: a strong match (told at once, even to
        # someone who reads digests) says all that the new-application message says.
        notifications.notify(
            session,
            "strong_match" if strong else "new_application",
            user=user,
            locale=user_locale,
            context={
                "offer_title": offer.title,
                "candidate_name": candidate.full_name,
                "source_label": labels.label_of(ApplicationSource, application.source),
                "reason": attribution.describe(application.attribution_reason, translate),
                "score": round(application.score or 0),
            },
            # The offer's ranked applications (its hiring manager reaches them too).
            link=urls.shortlist(offer.id),
            now=now,
            about=candidate,
        )
    if found.agent is not None:
        notifications.notify(
            session,
            "referral_update",
            user=found.agent,
            locale=found.agent.writing_locale(settings.default_locale),
            context={
                "candidate_name": candidate.full_name,
                "offer_title": offer.title,
                "stage": "applied",
                # Only a direct referral is "recommended"; a click on a link is not.
                "link_channel": found.share_link.channel if found.share_link else "",
            },
            link=urls.agent_referrals(),
            now=now,
            about=candidate,
        )


def _receipt(
    session: Session,
    settings: Settings,
    offer: Offer,
    candidate: Candidate,
    locale: str,
    now: datetime,
    *,
    updated: bool,
    application: Application,
    urls: Urls,
) -> None:
    from referral.applications.candidate_status import status_url

    notifications.notify(
        session,
        "receipt",
        email=candidate.email,
        name=candidate.full_name,
        locale=locale,
        context={
            "offer_title": offer.title,
            "candidate_name": candidate.full_name,
            "updated": updated,
            "organisation_name": settings.organisation_name,
            "retention_months": settings.retention_months,
            "reply_to": settings.reply_to_address,
            "status_link": status_url(urls, settings, application),
        },
        link=urls.privacy(),
        now=now,
    )


def stage_of(status: str) -> str:
    """The neutral stage an agent may see: applied, shortlisted, interview, hired, not_retained."""
    return {
        ApplicationStatus.NEW.value: "applied",
        ApplicationStatus.SCREENING.value: "shortlisted",
        ApplicationStatus.INTERVIEW.value: "interview",
        ApplicationStatus.OFFER.value: "interview",
        ApplicationStatus.HIRED.value: "hired",
    }.get(status, "not_retained")


def agent_applications(session: Session, agent_id: int) -> list[Application]:
    """Applications credited to an agent, newest first, with candidate and offer."""
    return list(
        session.scalars(
            select(Application)
            .options(joinedload(Application.candidate), joinedload(Application.offer))
            .where(Application.credited_agent_id == agent_id)
            .order_by(Application.created_at.desc(), Application.id.desc())
        )
    )
