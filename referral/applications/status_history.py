"""An application's change of stage, written in one place.

Whoever moves an application (a recruiter through ``pipeline.move``, the candidate
withdrawing on their status page, the application arriving, the demo seeds replaying six months
of activity) records it here: the application's status fields, a ``status_change`` line of its
history, and the credited agent's credits for the stage reached (``credits.on_status_change``).
The checks of who may move what, the notifications and the audit of the move stay with the
caller, which knows who acts and why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from referral.applications import credits
from referral.models import Application, ApplicationStatus, CreditEvent, StatusChange, User


def record(
    session: Session,
    application: Application,
    to_status: str,
    *,
    at: datetime,
    probation_days: int,
    by: User | None = None,
    reason: str | None = None,
    first: bool = False,
) -> tuple[StatusChange, list[CreditEvent]]:
    """Move ``application`` to ``to_status`` at ``at``: status fields, history line, credits.

    ``first`` is the line of an application just created (it comes from no stage). ``by`` is
    who moved it (None for the candidate, the system, the seeds). Returns the history line and
    the credit lines written. Checks nothing: the caller decided the move is allowed.
    """
    old = None if first else application.status
    application.status = ApplicationStatus(to_status)
    application.status_changed_at = at
    application.rejection_reason = reason if to_status == ApplicationStatus.REJECTED else None
    change = StatusChange(
        application_id=application.id,
        from_status=old,
        to_status=to_status,
        reason=reason,
        by_user_id=by.id if by is not None else None,
        at=at,
    )
    session.add(change)
    session.flush()
    written = credits.on_status_change(
        session, application, old, to_status, actor=by, now=at, probation_days=probation_days
    )
    return change, written
