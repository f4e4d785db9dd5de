"""Signing in and out with a password, and choosing one: the use cases of the sign-in pages.

Each runs in the caller's :class:`~referral.unit_of_work.UnitOfWork` and never commits. The
sign-in with the organisation's identity provider is ``referral.people.sso``.
"""

from __future__ import annotations

from collections.abc import Callable

from referral.errors import AuthenticationFailed
from referral.models import Role, User
from referral.notifications import outbox as notifications
from referral.people import users
from referral.unit_of_work import UnitOfWork


class PasswordSignInOff(AuthenticationFailed):
    """The staff sign in with the identity provider only; the password was right, but only an
    administrator may still use one (the break-glass way in if the provider is down)."""


def password_sign_in(uow: UnitOfWork, email: str, password: str, locale: str) -> User:
    """The account of these credentials, its sign-in and language recorded.

    Raises AuthenticationFailed (see ``users.authenticate``), or PasswordSignInOff for a
    member of staff who is not an administrator when ``password_login_for_staff`` is off.
    """
    user = users.authenticate(uow.session, email, password, uow.now())
    conf = uow.settings
    if conf is not None and not conf.password_login_for_staff and not user.has_role(Role.ADMIN):
        raise PasswordSignInOff("Sign in with your organisation's account.")
    # The language of the sign-in page: e-mails follow it if the setting is the browser's
    # language (see User.writing_locale).
    user.last_locale = locale
    return user


def sign_out(uow: UnitOfWork, user_id: int) -> None:
    """End every session of the account, on every device."""
    user = uow.session.get(User, user_id)
    if user is not None:
        users.end_sessions(user)


def ask_password_reset(
    uow: UnitOfWork, email: str, locale: str, link_for: Callable[[str], str]
) -> None:
    """E-mail a reset link (``link_for(token)``) to the active account of ``email``, if any;
    nothing tells the caller whether there is one. Written in the account's language, else
    ``locale`` (the page's: the person reads it right after asking)."""
    user = users.find_by_email(uow.session, email)
    if user is None or not user.active:
        return
    token = users.issue_reset_token(uow.session, user, uow.now())
    notifications.notify(
        uow.session,
        "password_reset",
        user=user,
        locale=user.locale or locale,
        link=link_for(token),
        now=uow.now(),
    )


def reset_password(uow: UnitOfWork, token: str, password: str) -> User:
    """Consume ``token`` and set the password (``users.reset_password``)."""
    return users.reset_password(uow.session, token, password, uow.now())
