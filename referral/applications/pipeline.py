"""The pipeline of an application: new → screening → interview → offer → hired, or rejected
or withdrawn from any stage.

Every rule of a move lives here, so that the pages, bulk moves and any future API apply the
same ones: who may move what how far, the reason a rejection needs, the confirmation a jump to
hired needs, reopening, the offer that becomes filled. A move writes its history row and an
audit event, credits (or reverses the credits of) the referring agent, and queues the
agent's notification, all in the caller's transaction. Nothing is written before every check
has passed, so a refused move leaves the session untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral import audit
from referral.applications import credits
from referral.config import Settings
from referral.errors import DomainError, Forbidden, InvalidInput
from referral.models import (
    Application,
    ApplicationStatus,
    Offer,
    OfferStatus,
    Role,
    StatusChange,
    User,
    utcnow,
)
from referral.notifications import outbox as notifications


def _(message: str) -> str:
    """Mark a message for the catalogue; ``web`` translates it when it shows it."""
    return message


S = ApplicationStatus
STAGES: tuple[str, ...] = tuple(
    s.value for s in (S.NEW, S.SCREENING, S.INTERVIEW, S.OFFER, S.HIRED)
)
CLOSED: tuple[str, ...] = (S.REJECTED.value, S.WITHDRAWN.value)
ALL_STATUSES: tuple[str, ...] = STAGES + CLOSED
REOPEN_TO = S.SCREENING
# The words the credited agent reads: neutral, never the reason of a rejection.
AGENT_STAGE = {
    S.SCREENING: "shortlisted",
    S.INTERVIEW: "interview",
    S.HIRED: "hired",
    S.REJECTED: "not_retained",
    S.WITHDRAWN: "not_retained",
}
MAX_REASON_LENGTH = 200
MY_REFERRALS_PATH = "/agent/referrals"  # the agent's "My referrals" page
MOVE_OF_ERASED = _(
    "This candidate's personal data was erased: their applications can no longer change stage."
)


class PipelineError(InvalidInput):
    """A move the rules refuse. ``template`` and ``params`` let ``web`` translate it."""

    def __init__(self, template: str, field_name: str = "to_status", **params: Any):
        message = template % params if params else template
        super().__init__(message, {field_name: message})
        self.template = template
        self.params = params


class ConfirmationRequired(PipelineError):
    """The move is allowed but skips stages: ask the user, then move with ``confirm=True``."""


class MoveForbidden(Forbidden):
    """The actor may not make this move (a manager beyond their stage or on another offer)."""

    def __init__(self, template: str, **params: Any):
        super().__init__(template % params if params else template)
        self.template = template
        self.params = params


def rank(status: str) -> int:
    """Position in the pipeline; closed statuses have none (-1)."""
    return STAGES.index(status) if status in STAGES else -1


def is_recruiter(user: User) -> bool:
    return user.has_role(Role.RECRUITER, Role.ADMIN)


def manages(user: User, offer: Offer) -> bool:
    """The hiring manager of ``offer``."""
    return offer.hiring_manager_id is not None and offer.hiring_manager_id == user.id


def reachable(actor: User, settings: Settings) -> list[str]:
    """The statuses ``actor`` may ever move an application to (for a bulk move's choices)."""
    if is_recruiter(actor):
        return list(ALL_STATUSES)
    limit = rank(settings.manager_max_stage)
    return [s for s in ALL_STATUSES if rank(s) <= limit and s != S.NEW]


def targets(application: Application, actor: User, settings: Settings) -> list[str]:
    """The statuses ``actor`` may move ``application`` to (confirmation aside), in order."""
    out = []
    reason = settings.rejection_reasons[0] if settings.rejection_reasons else None
    for status in ALL_STATUSES:
        try:
            check(application, status, actor=actor, settings=settings, reason=reason, confirm=True)
        except DomainError:
            continue
        out.append(status)
    return out


def check(
    application: Application,
    to_status: str,
    *,
    actor: User,
    settings: Settings,
    reason: str | None = None,
    confirm: bool = False,
) -> None:
    """Raise the first rule that refuses the move; return None when it may be made."""
    old = application.status
    if application.candidate.erased_at is not None:
        # Their identity is gone: a move would notify the agent about nobody (referral.privacy.erasure).
        raise PipelineError(MOVE_OF_ERASED)
    if to_status not in ALL_STATUSES:
        raise PipelineError(_("This status does not exist."))
    if not is_recruiter(actor):
        if not (actor.has_role(Role.MANAGER) and manages(actor, application.offer)):
            raise MoveForbidden(_("Only recruiters and the offer's hiring manager move it."))
        limit = rank(settings.manager_max_stage)
        if rank(to_status) > limit or rank(old) > limit:
            raise MoveForbidden(
                _("Hiring managers may move applications up to the stage “%(stage)s” only."),
                stage=settings.manager_max_stage,
            )
    if to_status == old:
        raise PipelineError(_("The application is already at this stage."))
    if old in CLOSED and to_status != REOPEN_TO:
        raise PipelineError(_("A closed application can only be reopened to screening."))
    if to_status == S.REJECTED:
        if not reason:
            raise PipelineError(_("Choose the reason of the rejection."), "reason")
        if reason not in settings.rejection_reasons:
            raise PipelineError(_("This rejection reason is not in the list."), "reason")
    elif reason and len(reason) > MAX_REASON_LENGTH:
        raise PipelineError(_("The reason is too long."), "reason")
    if to_status == S.HIRED and old in (S.NEW, S.SCREENING) and not confirm:
        raise ConfirmationRequired(
            _("This application skips the interview and offer stages. Confirm the hire.")
        )


def move(
    session: Session,
    application: Application,
    to_status: str,
    *,
    actor: User,
    reason: str | None = None,
    confirm: bool = False,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> StatusChange:
    """Move ``application`` to ``to_status`` if the rules allow it, with every consequence.

    Raises PipelineError (InvalidInput) for a refused move, ConfirmationRequired for a jump to
    hired that was not confirmed, MoveForbidden (Forbidden) for an actor beyond their rights.
    """
    settings = settings or Settings()
    now = now or utcnow()
    to_status = str(to_status)
    reason = (reason or "").strip() or None
    check(application, to_status, actor=actor, settings=settings, reason=reason, confirm=confirm)

    old = application.status
    application.status = to_status
    application.status_changed_at = now
    application.rejection_reason = reason if to_status == S.REJECTED else None
    change = StatusChange(
        application_id=application.id,
        from_status=old,
        to_status=to_status,
        reason=reason,
        by_user_id=actor.id,
        at=now,
    )
    session.add(change)
    audit_event = audit.record(
        session,
        actor,
        "application.move",
        "application",
        application.id,
        from_status=old,
        to_status=to_status,
        reason=reason,
        offer_id=application.offer_id,
    )
    audit_event.at = now
    session.flush()
    credits.on_status_change(
        session,
        application,
        old,
        to_status,
        actor=actor,
        now=now,
        probation_days=settings.probation_days,
    )
    _notify_agent(session, application, old, to_status, settings=settings, now=now)
    _update_offer(session, application.offer, old, to_status, actor=actor, now=now)
    return change


def _notify_agent(
    session: Session,
    application: Application,
    old: str,
    new: str,
    *,
    settings: Settings,
    now: datetime,
) -> None:
    """Tell the credited agent, in neutral words, when their referral moves forward or ends.

    A move back (interview → screening) says nothing: the agent was told of the higher stage.
    """
    agent = application.credited_agent
    stage = AGENT_STAGE.get(new)
    if agent is None or stage is None or not agent.active:
        return
    forward = new in CLOSED or old in CLOSED or rank(new) > rank(old)
    if not forward or (old in CLOSED and new in CLOSED):
        return
    notifications.notify(
        session,
        "referral_update",
        user=agent,
        locale=agent.writing_locale(settings.default_locale),
        context={
            "candidate_name": application.candidate.full_name,
            "offer_title": application.offer.title,
            "stage": stage,
            "link_channel": (
                application.share_link.channel
                if application.source == "share_link" and application.share_link
                else ""
            ),
        },
        link=settings.base_url.rstrip("/") + MY_REFERRALS_PATH,
        now=now,
        about=application.candidate,
    )


def hired_count(session: Session, offer: Offer) -> int:
    return session.scalar(
        select(func.count(Application.id)).where(
            Application.offer_id == offer.id, Application.status == S.HIRED
        )
    )


def _update_offer(
    session: Session, offer: Offer, old: str, new: str, *, actor: User, now: datetime
) -> None:
    """An offer is filled when all its positions are hired, and reopens when a hire is undone."""
    if S.HIRED not in (old, new):
        return
    hired = hired_count(session, offer)
    taking_hires = offer.status in (OfferStatus.PUBLISHED, OfferStatus.CLOSED)
    if new == S.HIRED and taking_hires and hired >= offer.positions:
        offer.status = OfferStatus.FILLED.value
        offer.closed_at = now
        audit.record(session, actor, "offer.filled", "offer", offer.id, hired=hired).at = now
    elif old == S.HIRED and offer.status == OfferStatus.FILLED and hired < offer.positions:
        still_open = offer.closing_date is None or offer.closing_date >= now.date()
        offer.status = (OfferStatus.PUBLISHED if still_open else OfferStatus.CLOSED).value
        offer.closed_at = None if still_open else now
        audit.record(
            session, actor, "offer.reopened", "offer", offer.id, status=offer.status
        ).at = now


@dataclass
class BulkReport:
    """What a bulk move did: the applications moved, and those refused with the reason."""

    moved: list[Application] = field(default_factory=list)
    refused: list[tuple[Application, DomainError]] = field(default_factory=list)


def bulk_move(
    session: Session,
    applications: list[Application],
    to_status: str,
    *,
    actor: User,
    reason: str | None = None,
    confirm: bool = False,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> BulkReport:
    """Move each application on its own: one refused does not stop the others."""
    report = BulkReport()
    now = now or utcnow()
    for application in applications:
        try:
            move(
                session,
                application,
                to_status,
                actor=actor,
                reason=reason,
                confirm=confirm,
                now=now,
                settings=settings,
            )
        except DomainError as exc:
            report.refused.append((application, exc))
        else:
            report.moved.append(application)
    return report
