"""Ambassador trainings and their attendees (administered by admins, read by recruiters)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from referral.errors import InvalidInput, NotFound
from referral.models import Training, TrainingAttendee, TrainingAudience, User

AUDIENCES = tuple(a.value for a in TrainingAudience)
MAX_IMPORT = 2000
# Entries are separated by new lines, commas or semicolons; words within one by spaces or tabs.
_ENTRIES = re.compile(r"[\r\n,;]+")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def get_training(session: Session, training_id: int) -> Training:
    training = session.get(Training, training_id)
    if training is None:
        raise NotFound("No such training.")
    return training


def _check(title: str, audience: str, held_on: date | None) -> dict[str, str]:
    errors = {}
    if not title.strip():
        errors["title"] = "A title is required."
    elif len(title.strip()) > 200:
        errors["title"] = "At most 200 characters."
    if audience not in AUDIENCES:
        errors["audience"] = "Choose an audience."
    if held_on is None:
        errors["held_on"] = "A date is required."
    return errors


def save_training(
    session: Session,
    training: Training | None,
    *,
    title: str,
    audience: str,
    held_on: date | None,
    notes: str = "",
) -> Training:
    """Create a training (``training`` None) or change one. Raises InvalidInput."""
    errors = _check(title, audience, held_on)
    if errors:
        raise InvalidInput("The training could not be saved.", errors)
    if training is None:
        training = Training()
        session.add(training)
    training.title = title.strip()
    training.audience = audience
    training.held_on = held_on
    training.notes = notes.strip()
    session.flush()
    return training


def delete_training(session: Session, training_id: int) -> None:
    training = get_training(session, training_id)
    session.execute(delete(TrainingAttendee).where(TrainingAttendee.training_id == training.id))
    session.delete(training)
    session.flush()


def attendees(session: Session, training_id: int) -> list[User]:
    """The attendees of a training by name, with their direction (one query)."""
    return list(
        session.scalars(
            select(User)
            .join(TrainingAttendee, TrainingAttendee.user_id == User.id)
            .where(TrainingAttendee.training_id == training_id)
            .options(joinedload(User.direction))
            .order_by(User.last_name, User.first_name, User.id)
        )
    )


def staff_emails(session: Session) -> list[str]:
    """E-mails of the active staff, to suggest when adding an attendee."""
    return list(session.scalars(select(User.email).where(User.active).order_by(User.email)))


@dataclass
class ImportResult:
    added: list[User] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def add_attendees(session: Session, training_id: int, text: str) -> ImportResult:
    """Add the staff whose e-mails are in ``text`` (separated by spaces, commas, semicolons
    or new lines; "Name <e-mail>" and spreadsheet rows work too). Unknown and malformed
    e-mails, and entries with no e-mail at all, are reported, never guessed or dropped. Three queries whatever the number of e-mails."""
    training = get_training(session, training_id)
    result = ImportResult()
    wanted: list[str] = []
    for entry in _ENTRIES.split(text or ""):
        tokens = [t.strip().strip("<>\"'()").lower() for t in entry.split()]
        tokens = [t for t in tokens if t]
        if tokens and not any("@" in t for t in tokens):
            # A line without any address (a typo such as "jean.dupont.region.fr", or a name
            # alone) is reported, not dropped; beside an address, other words are names.
            result.invalid.append(entry.strip())
            continue
        for token in tokens:
            if "@" not in token:
                continue
            if not _EMAIL.match(token):
                result.invalid.append(token)
            elif token not in wanted:
                wanted.append(token)
    if not wanted and not result.invalid:
        raise InvalidInput("Enter at least one e-mail address.", {"emails": "empty"})
    if len(wanted) > MAX_IMPORT:
        raise InvalidInput(
            f"At most {MAX_IMPORT} e-mails at once.", {"emails": f"more than {MAX_IMPORT}"}
        )
    found = {
        u.email.lower(): u
        for u in session.scalars(select(User).where(func.lower(User.email).in_(wanted)))
    }
    present = set(
        session.scalars(
            select(TrainingAttendee.user_id).where(TrainingAttendee.training_id == training.id)
        )
    )
    for email in wanted:
        user = found.get(email)
        if user is None:
            result.unknown.append(email)
        elif user.id in present:
            result.already.append(email)
        else:
            session.add(TrainingAttendee(training_id=training.id, user_id=user.id))
            present.add(user.id)
            result.added.append(user)
    session.flush()
    return result


def remove_attendee(session: Session, training_id: int, user_id: int) -> None:
    get_training(session, training_id)
    gone = session.execute(
        delete(TrainingAttendee).where(
            TrainingAttendee.training_id == training_id, TrainingAttendee.user_id == user_id
        )
    )
    if not gone.rowcount:
        raise NotFound("This person is not an attendee of the training.")
