"""The audit log: who did what, when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from referral.models import AuditEvent, User


def record(
    session: Session,
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the caller's transaction."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        details=details,
    )
    session.add(event)
    return event
