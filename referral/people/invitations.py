"""Invitations: an e-mail telling a new member of staff that their Relais account exists.

An imported account has no password. The invitation carries a single-use link, valid
``INVITATION_VALID_FOR``, to choose one (a password reset token with a longer life); when the
staff sign in with the organisation's identity provider, it says so and links to the sign-in
page instead (no password to choose). It goes through the outbox, in the agent's language
(their setting, else the organisation's), like every other e-mail.

A page or a command that invites many accounts (an import of 1,800 agents) does not write the
e-mails itself: :func:`queue_by_email` / :func:`queue_never_signed_in` record an
:class:`~referral.models.InvitationBatch` and mark its accounts with two UPDATE statements,
and the worker (:func:`send_queued`) writes the e-mails ``BATCH_SIZE`` accounts at a time, a
transaction each, so the page can show how many are on their way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from referral import audit
from referral.i18n import DEFAULT_LOCALE
from referral.models import InvitationBatch, User, utcnow
from referral.notifications import outbox as notifications
from referral.people import users

if TYPE_CHECKING:
    from referral.unit_of_work import UnitOfWork

INVITATION_VALID_FOR = timedelta(days=14)
BATCH_SIZE = 200

# How an account signs in, as the admin's users page shows it.
SIGNS_IN_PASSWORD, SIGNS_IN_NEVER, SIGNS_IN_SSO = "password", "never", "sso"


def signs_in_with(user: User, sso_enabled: bool = False) -> str:
    """``sso`` for an account linked to the identity provider, or without a password while
    the staff sign in through the provider; else ``password`` once the owner has one, else
    ``never`` (nobody can sign in yet)."""
    if user.oidc_subject or (sso_enabled and not user.password_hash):
        return SIGNS_IN_SSO
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
    sign_in_url: str | None = None,
    provider: str = "",
    record: bool = True,
) -> int:
    """Queue an invitation to each active account of ``accounts``; returns how many.

    ``link_for(token)`` is the absolute URL of the page that sets a password with ``token``
    (the domain knows no URLs). With ``sign_in_url`` (the staff sign in with the identity
    provider called ``provider``), the e-mail links there and no token is issued. The caller
    commits.
    """
    now = now or utcnow()
    count = 0
    # No flush before each query of notify(): the rows go to the database a batch at a time.
    with session.no_autoflush:
        for user in accounts:
            if not user.active:
                continue
            if sign_in_url:
                link, context = sign_in_url, {"sso": True, "provider": provider, "valid_days": 0}
            else:
                token = users.issue_reset_token(session, user, now, valid_for=valid_for)
                link, context = link_for(token), {"valid_days": valid_for.days, "sso": False}
            notifications.notify(
                session,
                "account_invitation",
                user=user,
                locale=user.writing_locale(default_locale),
                link=link,
                context=context,
                now=now,
            )
            user.invited_at = now
            count += 1
            if count % BATCH_SIZE == 0:
                session.flush()
    session.flush()
    if record:
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


# --- in the background --------------------------------------------------------------------


def _new_batch(
    session: Session, set_password_url: str, sign_in_url: str | None, now: datetime
) -> InvitationBatch:
    batch = InvitationBatch(
        set_password_url=set_password_url, sign_in_url=sign_in_url, created_at=now
    )
    session.add(batch)
    session.flush()
    return batch


def _close_if_empty(batch: InvitationBatch, now: datetime) -> InvitationBatch:
    if batch.total == 0:
        batch.finished_at = now
    return batch


def queue_by_email(
    session: Session,
    emails: Iterable[str],
    *,
    set_password_url: str,
    sign_in_url: str | None,
    actor: User | None,
    now: datetime | None = None,
) -> InvitationBatch:
    """Record a batch inviting the active accounts of ``emails`` (an import's new accounts).

    ``set_password_url`` is the address of the page that sets a password, to which the worker
    appends each token; ``sign_in_url`` the sign-in page when the staff sign in with the
    identity provider (see :class:`~referral.models.InvitationBatch`). The caller commits.
    """
    now = now or utcnow()
    batch = _new_batch(session, set_password_url, sign_in_url, now)
    wanted = [e.strip().lower() for e in emails]
    for start in range(0, len(wanted), BATCH_SIZE * 5):
        result = cast(
            CursorResult[Any],
            session.execute(
                update(User)
                .where(
                    User.active, func.lower(User.email).in_(wanted[start : start + BATCH_SIZE * 5])
                )
                .values(invitation_batch_id=batch.id)
                .execution_options(synchronize_session=False)
            ),
        )
        batch.total += result.rowcount or 0
    audit.record(session, actor, "user.invite", "invitation_batch", batch.id, count=batch.total)
    return _close_if_empty(batch, now)


def queue_never_signed_in(
    session: Session,
    *,
    set_password_url: str,
    sign_in_url: str | None,
    actor: User | None,
    now: datetime | None = None,
) -> InvitationBatch:
    """Record a batch inviting again every account :func:`never_signed_in` returns."""
    now = now or utcnow()
    batch = _new_batch(session, set_password_url, sign_in_url, now)
    result = cast(
        CursorResult[Any],
        session.execute(
            update(User)
            .where(*_NEVER_SIGNED_IN)
            .values(invitation_batch_id=batch.id)
            .execution_options(synchronize_session=False)
        ),
    )
    batch.total = result.rowcount or 0
    audit.record(session, actor, "user.invite", "invitation_batch", batch.id, count=batch.total)
    return _close_if_empty(batch, now)


def send_queued(
    session: Session, settings, now: datetime | None = None, limit: int = BATCH_SIZE
) -> int:
    """Write the e-mails of up to ``limit`` accounts of the oldest unfinished batch into the
    outbox, unmark them and count them; returns how many accounts it handled (0: nothing left
    to do; a deactivated account is unmarked without an e-mail). The caller (the worker) commits, a
    transaction per call, so each step is kept and shown."""
    now = now or utcnow()
    batch = session.scalar(
        select(InvitationBatch)
        .where(InvitationBatch.finished_at.is_(None))
        .order_by(InvitationBatch.id)
        .limit(1)
    )
    if batch is None:
        return 0
    accounts = list(
        session.scalars(
            select(User)
            .where(User.invitation_batch_id == batch.id)
            .order_by(User.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    prefix = batch.set_password_url
    count = invite(
        session,
        [u for u in accounts if u.active],
        link_for=lambda token: prefix + token,
        actor=None,
        default_locale=settings.default_locale,
        now=now,
        sign_in_url=batch.sign_in_url,
        provider=settings.oidc_label or settings.organisation_name,
        record=False,
    )
    for user in accounts:
        user.invitation_batch_id = None
    batch.sent += count
    if len(accounts) < limit:
        remaining = session.scalar(
            select(func.count(User.id)).where(User.invitation_batch_id == batch.id)
        )
        if not remaining:
            batch.finished_at = now
    return len(accounts)


def recent_batches(session: Session, limit: int = 3) -> list[InvitationBatch]:
    """The last batches, newest first (the users page shows their progress)."""
    return list(
        session.scalars(select(InvitationBatch).order_by(InvitationBatch.id.desc()).limit(limit))
    )


# --- use cases (on the unit of work; the caller commits) ---------------------------------------


def invite_emails(
    uow: UnitOfWork, emails: Iterable[str], *, set_password_url: str, sign_in_url: str | None
) -> int:
    """Record a batch inviting the accounts of ``emails`` (e.g. those an import created);
    the worker writes the e-mails. Returns how many accounts the batch holds."""
    return queue_by_email(
        uow.session,
        emails,
        set_password_url=set_password_url,
        sign_in_url=sign_in_url,
        actor=uow.actor,
        now=uow.now(),
    ).total


def invite_again(uow: UnitOfWork, *, set_password_url: str, sign_in_url: str | None) -> int:
    """Record a batch inviting again every active account whose owner never signed in."""
    return queue_never_signed_in(
        uow.session,
        set_password_url=set_password_url,
        sign_in_url=sign_in_url,
        actor=uow.actor,
        now=uow.now(),
    ).total
