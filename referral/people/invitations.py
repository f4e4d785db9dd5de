"""Invitations: an e-mail telling a new member of staff that their Relais account exists.

An imported account has no password. The invitation carries a single-use link, valid
``INVITATION_VALID_FOR``, to choose one (a password reset token with a longer life). It goes
through the outbox, in the agent's language (their setting, else the organisation's), like
every other e-mail: nothing is sent inside the request.

Large imports (1,800 agents) are queued in batches of ``BATCH_SIZE`` rows flushed together,
so that the database sees a few large inserts instead of 1,800 small ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral import audit
from referral.i18n import DEFAULT_LOCALE
from referral.models import User, utcnow
from referral.notifications import outbox as notifications
from referral.people import users

INVITATION_VALID_FOR = timedelta(days=14)
BATCH_SIZE = 200

# How an account signs in, as the admin's users page shows it.
SIGNS_IN_PASSWORD, SIGNS_IN_NEVER = "password", "never"


def signs_in_with(user: User) -> str:
    """``password`` once the owner has a password, else ``never`` (nobody can sign in yet)."""
    return SIGNS_IN_PASSWORD if user.password_hash else SIGNS_IN_NEVER


def invite(
    session: Session,
    accounts: Iterable[User],
    *,
    link_for: Callable[[str], str],
    actor: User | None,
    default_locale: str = DEFAULT_LOCALE,
    valid_for: timedelta = INVITATION_VALID_FOR,
    now: datetime | None = None,
) -> int:
    """Queue an invitation to each active account of ``accounts``; returns how many.

    ``link_for(token)`` is the absolute URL of the page that sets a password with ``token``
    (the domain knows no URLs). The caller commits.
    """
    now = now or utcnow()
    count = 0
    # No flush before each query of notify(): the rows go to the database a batch at a time.
    with session.no_autoflush:
        for user in accounts:
            if not user.active:
                continue
            token = users.issue_reset_token(session, user, now, valid_for=valid_for)
            notifications.notify(
                session,
                "account_invitation",
                user=user,
                locale=user.writing_locale(default_locale),
                link=link_for(token),
                context={"valid_days": valid_for.days},
                now=now,
            )
            user.invited_at = now
            count += 1
            if count % BATCH_SIZE == 0:
                session.flush()
    session.flush()
    audit.record(session, actor, "user.invite", "user", None, count=count)
    return count


_NEVER_SIGNED_IN = (User.active, User.password_hash.is_(None), User.last_login_at.is_(None))


def never_signed_in(session: Session) -> list[User]:
    """Active accounts whose owner never chose a password nor signed in."""
    return list(session.scalars(select(User).where(*_NEVER_SIGNED_IN).order_by(User.id)))


def count_never_signed_in(session: Session) -> int:
    """How many accounts :func:`never_signed_in` would return (one COUNT query)."""
    return session.scalar(select(func.count(User.id)).where(*_NEVER_SIGNED_IN)) or 0


def invite_by_email(session: Session, emails: Iterable[str], **kwargs) -> int:
    """Invite the accounts of ``emails`` (e.g. those an import just created)."""
    wanted = list(emails)
    found: list[User] = []
    for start in range(0, len(wanted), BATCH_SIZE):
        found += session.scalars(
            select(User).where(User.email.in_(wanted[start : start + BATCH_SIZE]))
        )
    return invite(session, found, **kwargs)
