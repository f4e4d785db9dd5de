"""Staff accounts: creation, roles, sign-in with lockout, password reset tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from referral import audit
from referral.errors import AuthenticationFailed, InvalidInput, NotFound
from referral.messages import N_, RuleBroken
from referral.models import Offer, OfferStatus, PasswordResetToken, Role, User, utcnow

# Argon2id with the library's defaults; tests swap in a cheaper hasher via set_hasher().
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
# Failed sign-ins allowed from one address for one e-mail, known or not: each further window
# is longer, so the wait grows with the failures (the web layer applies them; the address
# alone has its own limit, settings.login_rate_limit). Nobody else's address is affected.
SIGN_IN_LIMITS = "5 per minute;10 per 15 minutes;20 per hour;50 per day"
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
        raise RuleBroken(N_("An account already exists for %(email)s."), "email", email=email)
    if employee_number and find_by_employee_number(session, employee_number) is not None:
        raise RuleBroken(N_("Another account already has this employee number."), "employee_number")
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

    Raises AuthenticationFailed, with one message and the same work (a password hash checked)
    whether or not the e-mail exists. No account is ever locked (a stranger could lock anyone
    out, and a locked account would answer differently): repeated failures are slowed down by
    the web layer's limits per address and per (address, e-mail), see SIGN_IN_LIMITS.
    """
    global _DUMMY_HASH
    now = now or utcnow()
    user = find_by_email(session, email)
    if user is None or not user.active or not user.password_hash:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _hasher.hash(secrets.token_hex(8))
        _verify(_DUMMY_HASH, password)
        raise AuthenticationFailed("Wrong e-mail or password.")
    if not _verify(user.password_hash, password):
        raise AuthenticationFailed("Wrong e-mail or password.")
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
    """A new password: every session of the account ends, and so do its other reset links."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    end_sessions(user)
    # A link asked for before (or stolen with the old password) must not set another one.
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of ``user``, on every device.

    The session version is part of the identity stored in the cookies (User.get_id), which
    the web layer compares with the account on every request; the caller commits.
    """
    user.session_version = (user.session_version or 0) + 1


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset_token(
    session: Session,
    user: User,
    now: datetime | None = None,
    valid_for: timedelta = RESET_VALID_FOR,
) -> str:
    """A new single-use reset token for ``user``, valid ``valid_for``; only its hash is stored."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    return token


def usable_reset_token(
    session: Session, token: str, now: datetime | None = None
) -> PasswordResetToken:
    """The reset token ``token`` if it can still be used (known, unused, not expired, of an
    active account); else raises InvalidInput, so a page can say so before asking anything.
    """
    now = now or utcnow()
    row = session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    )
    if row is None or row.used_at is not None or row.expires_at < now or not row.user.active:
        raise InvalidInput("This reset link is invalid, already used or expired.")
    return row


def reset_password(
    session: Session, token: str, password: str, now: datetime | None = None
) -> User:
    """Consume ``token`` and set the password. Raises InvalidInput if unusable."""
    now = now or utcnow()
    row = usable_reset_token(session, token, now)
    set_password(session, row.user, password)
    if row.user.activated_at is None:
        row.user.activated_at = now
    row.used_at = now
    audit.record(session, row.user, "user.password_reset", "user", row.user_id)
    return row.user


# --- administration ---------------------------------------------------------------------------

ADMIN_ROLES = (Role.ADMIN, Role.RECRUITER, Role.MANAGER)  # agent is implicit


@dataclass(frozen=True)
class UserPage:
    """One page of a user search."""

    users: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(
    session: Session,
    query: str = "",
    *,
    page: int = 1,
    per_page: int = 25,
    active: bool | None = None,
) -> UserPage:
    """Users whose name, e-mail, job title or employee number contains ``query``, by name."""
    conditions = []
    for word in (query or "").split()[:5]:
        pattern = f"%{word.lower()}%"
        conditions.append(
            or_(
                func.lower(User.first_name).like(pattern),
                func.lower(User.last_name).like(pattern),
                func.lower(User.email).like(pattern),
                func.lower(User.job_title).like(pattern),
                func.lower(func.coalesce(User.employee_number, "")).like(pattern),
            )
        )
    if active is not None:
        conditions.append(User.active.is_(active))
    total = session.scalar(select(func.count(User.id)).where(*conditions)) or 0
    page = min(max(1, page), max(1, -(-total // per_page)))  # past the end: the last page
    rows = session.scalars(
        select(User)
        .where(*conditions)
        .options(selectinload(User.direction))
        .order_by(User.last_name, User.first_name, User.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return UserPage(list(rows), total, page, per_page)


def get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def find_by_employee_number(session: Session, number: str) -> User | None:
    number = (number or "").strip()
    if not number:
        return None
    return session.scalar(select(User).where(User.employee_number == number))


def update_user(
    session: Session,
    user: User,
    *,
    actor: User | None,
    email: str,
    first_name: str,
    last_name: str,
    job_title: str = "",
    direction_id: int | None = None,
    roles: set[Role | str] | None = None,
    locale: str | None = None,
    employee_number: str | None = None,
) -> User:
    """Change a user's identity, direction, roles and language.

    Refuses an e-mail or employee number that another account has, and an admin removing
    their own admin role (so that nobody locks themself out of this page).
    """
    from referral.models import Direction

    email = normalise_email(email)
    other = find_by_email(session, email)
    if other is not None and other.id != user.id:
        raise RuleBroken(N_("Another account already uses this e-mail address."), "email")
    employee_number = (employee_number or "").strip() or None
    if employee_number:
        other = find_by_employee_number(session, employee_number)
        if other is not None and other.id != user.id:
            raise RuleBroken(
                N_("Another account already has this employee number."), "employee_number"
            )
    if not first_name.strip() or not last_name.strip():
        raise RuleBroken(N_("The first and last names are required."), "last_name")
    if direction_id is not None and session.get(Direction, direction_id) is None:
        raise RuleBroken(N_("The direction does not exist."), "direction_id")
    if locale not in (None, "", "fr", "en"):
        raise RuleBroken(N_("Unknown language."), "locale")
    wanted = {Role(r) for r in (roles or set())} - {Role.AGENT}
    own_admin = actor is not None and actor.id == user.id and user.has_role(Role.ADMIN)
    if own_admin and Role.ADMIN not in wanted:
        raise RuleBroken(N_("You cannot remove your own admin role."), "roles")
    before = _snapshot(user)
    user.email = email
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.job_title = (job_title or "").strip()
    user.direction_id = direction_id
    user.locale = locale or None
    user.employee_number = employee_number
    user.set_roles(wanted)
    after = _snapshot(user)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changed:
        session.flush()
        audit.record(session, actor, "user.update", "user", user.id, changes=changed)
    return user


def _snapshot(user: User) -> dict:
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "job_title": user.job_title,
        "direction_id": user.direction_id,
        "locale": user.locale,
        "employee_number": user.employee_number,
        "roles": sorted(r.value for r in user.roles),
    }


def switch_language(user: User, locale: str) -> None:
    """The site's language switch, used while signed in: a fixed language setting follows it;
    "the browser's language" stays the setting, and the account remembers the language for
    its e-mails (:meth:`User.writing_locale`)."""
    if user.locale:
        user.locale = locale
    user.last_locale = locale


def choose_language(user: User, setting: str | None, browser_locale: str) -> None:
    """The language setting: a fixed language, or ``None`` for the browser's (whose language,
    ``browser_locale``, the e-mails then follow until the person uses another)."""
    user.locale = setting or None
    user.last_locale = setting or browser_locale


class StillAssigned(RuleBroken):
    """The account is the hiring manager or recruiter of offers not closed yet (``offers``)."""

    def __init__(self, offers: list[Offer]):
        super().__init__(
            N_("This account is still the hiring manager or recruiter of offers not closed yet.")
        )
        self.offers = offers


def offers_in_charge(session: Session, user: User) -> list[Offer]:
    """The draft and published offers whose hiring manager or recruiter is ``user``."""
    return list(
        session.scalars(
            select(Offer)
            .where(
                or_(Offer.hiring_manager_id == user.id, Offer.recruiter_id == user.id),
                Offer.status.in_([OfferStatus.DRAFT.value, OfferStatus.PUBLISHED.value]),
            )
            .order_by(Offer.title, Offer.id)
        )
    )


def set_active(
    session: Session,
    user: User,
    active: bool,
    *,
    actor: User | None,
    despite_offers: bool = False,
) -> User:
    """Deactivate (cannot sign in any more) or reactivate an account; never one's own.

    Deactivating the hiring manager or recruiter of offers not closed yet raises
    StillAssigned, listing them, unless ``despite_offers``: those offers would stay with a
    person who gets no more mail about them. It warns rather than refuses, because taking
    away access must not wait (someone leaves, an account is compromised); the offers can be
    reassigned just after.
    """
    if actor is not None and actor.id == user.id and not active:
        raise RuleBroken(N_("You cannot deactivate your own account."))
    if not active and user.active and not despite_offers:
        offers = offers_in_charge(session, user)
        if offers:
            raise StillAssigned(offers)
    if user.active != active:
        user.active = active
        if not active:
            end_sessions(user)
        audit.record(
            session, actor, "user.activate" if active else "user.deactivate", "user", user.id
        )
    return user
