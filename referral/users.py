"""Staff accounts: creation, roles, sign-in with lockout, password reset tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral import audit
from referral.errors import AccountLocked, AuthenticationFailed, InvalidInput
from referral.models import PasswordResetToken, Role, User, utcnow

# Argon2id with the library's defaults; tests swap in a cheaper hasher via set_hasher().
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
LOCK_AFTER = 5  # failed sign-ins in a row
LOCK_FOR = timedelta(minutes=15)
RESET_VALID_FOR = timedelta(hours=2)
# A fixed hash to verify against when the e-mail is unknown, so timing does not tell.
_DUMMY_HASH: str | None = None


def set_hasher(hasher: PasswordHasher) -> None:
    """Use another Argon2 parameter set (the tests use a fast one)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalise_email(raw: str, *, check_deliverability: bool = False) -> str:
    """Trimmed, validated, lower-cased e-mail; raises InvalidInput with a clear message."""
    try:
        info = validate_email(raw.strip(), check_deliverability=check_deliverability)
    except EmailNotValidError as exc:
        raise InvalidInput(str(exc), {"email": str(exc)}) from None
    return info.normalized.lower()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            {"password": f"at least {MIN_PASSWORD_LENGTH} characters"},
        )


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    session: Session,
    *,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None = None,
    roles: set[Role | str] | None = None,
    direction_id: int | None = None,
    job_title: str = "",
    locale: str | None = None,
    employee_number: str | None = None,
    actor: User | None = None,
) -> User:
    """Create a staff account. Raises InvalidInput when the e-mail is taken or invalid."""
    email = normalise_email(email)
    if find_by_email(session, email) is not None:
        raise InvalidInput(f"An account already exists for {email}.", {"email": "taken"})
    if password is not None:
        check_password_strength(password)
    user = User(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        password_hash=hash_password(password) if password else None,
        direction_id=direction_id,
        job_title=job_title.strip(),
        locale=locale,
        employee_number=employee_number,
    )
    user.set_roles(roles or set())
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, roles=sorted(user.roles))
    return user


def authenticate(session: Session, email: str, password: str, now: datetime | None = None) -> User:
    """The active user with these credentials.

    Raises AuthenticationFailed (one message whether or not the e-mail exists) or AccountLocked
    after LOCK_AFTER failures in a row, for LOCK_FOR. The caller commits, so that failures count.
    """
    global _DUMMY_HASH
    now = now or utcnow()
    user = find_by_email(session, email)
    if user is None or not user.active or not user.password_hash:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _hasher.hash(secrets.token_hex(8))
        _verify(_DUMMY_HASH, password)
        raise AuthenticationFailed("Wrong e-mail or password.")
    if user.locked_until and user.locked_until > now:
        raise AccountLocked("Too many failed attempts. Try again in a few minutes.")
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until = now + LOCK_FOR
            user.failed_logins = 0
        raise AuthenticationFailed("Wrong e-mail or password.")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(session: Session, user: User, password: str) -> None:
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset_token(session: Session, user: User, now: datetime | None = None) -> str:
    """A new single-use reset token for ``user``; only its hash is stored."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + RESET_VALID_FOR,
        )
    )
    return token


def reset_password(
    session: Session, token: str, password: str, now: datetime | None = None
) -> User:
    """Consume ``token`` and set the password. Raises InvalidInput if unusable."""
    now = now or utcnow()
    row = session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    )
    if row is None or row.used_at is not None or row.expires_at < now or not row.user.active:
        raise InvalidInput("This reset link is invalid or has expired. Ask for a new one.")
    set_password(session, row.user, password)
    row.used_at = now
    audit.record(session, row.user, "user.password_reset", "user", row.user_id)
    return row.user
