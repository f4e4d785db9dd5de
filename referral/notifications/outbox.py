"""The notifications outbox, and each staff member's preferences per kind.

A notification is a row written in the same transaction as the event that causes it; a
worker delivers it later (nothing is sent inside a web request). Each kind has its templates
in ``referral/mail/``: ``<kind>.subject.txt``, ``<kind>.txt`` and ``<kind>.html``, rendered
in the recipient's language.

Preferences are applied here, inside :func:`notify`, so that every emitter gets them for free:
"immediate" queues the e-mail at once, "digest" holds the row for the next daily digest, "off"
sends no e-mail. Whatever the mode, a staff member's notification shows in their in-app inbox.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

import referral
from referral.applications.attribution import CHANNEL_LABELS
from referral.errors import InvalidInput
from referral.i18n import DEFAULT_LOCALE, LOCALES, translations
from referral.models import (
    Candidate,
    Notification,
    NotificationPreference,
    NotificationStatus,
    Role,
    User,
    utcnow,
)

# Anchored on the package, not on this file, so that the module may move inside it.
MAIL_TEMPLATES = Path(referral.__file__).with_name("mail")
MESSAGE_ID_DOMAIN = "relais.local"

IMMEDIATE, DIGEST, OFF = "immediate", "digest", "off"
MODES = (IMMEDIATE, DIGEST, OFF)


@dataclass(frozen=True)
class KindRule:
    """Who may choose how a kind reaches them, and what they get when they have not chosen."""

    roles: tuple[Role, ...]  # roles that see the setting; () = nobody, the mode is fixed
    default: str


# The defaults, in one table. A kind missing here is always immediate (and not settable).
#
# | kind            | set by             | default   | choices                  |
# | --------------- | ------------------ | --------- | ------------------------ |
# | new_application | manager, recruiter | immediate | immediate, digest, off   |
# | offer_closing   | manager            | immediate | immediate, digest, off   |
# | referral_update | agent (everyone)   | immediate | immediate, digest, off   |
# | new_offer       | agent (everyone)   | off       | immediate, digest, off   |
# | strong_match    | —                  | immediate | always at once           |
# | password_reset, receipt, invitation, digest: always immediate                |
KIND_RULES: dict[str, KindRule] = {
    "new_application": KindRule((Role.MANAGER, Role.RECRUITER), IMMEDIATE),
    "offer_closing": KindRule((Role.MANAGER,), IMMEDIATE),
    "referral_update": KindRule((Role.AGENT,), IMMEDIATE),
    "new_offer": KindRule((Role.AGENT,), OFF),
}
# Shown on the settings page as "always at once" to those who receive them.
ALWAYS_IMMEDIATE: dict[str, tuple[Role, ...]] = {"strong_match": (Role.MANAGER, Role.RECRUITER)}
# Never listed in the in-app inbox: the digest repeats rows that are there already, and a
# password reset link must only ever live in the mailbox it was sent to.
NOT_IN_INBOX = ("digest", "password_reset", "account_invitation")

_envs: dict[str, Environment] = {}
_envs_lock = threading.Lock()


def _environment(locale: str) -> Environment:
    """One Jinja2 environment per language, so that concurrent renders never mix catalogues."""
    env = _envs.get(locale)
    if env is not None:
        return env
    with _envs_lock:
        if locale not in _envs:
            env = Environment(
                loader=FileSystemLoader(str(MAIL_TEMPLATES)),
                autoescape=select_autoescape(
                    enabled_extensions=("html",), default_for_string=False
                ),
                extensions=["jinja2.ext.i18n"],
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
            env.filters["date"] = lambda d: format_date(d, format="long", locale=locale)
            env.filters["datetime"] = lambda d: format_datetime(d, format="short", locale=locale)
            env.globals["channel_labels"] = CHANNEL_LABELS
            _envs[locale] = env
        return _envs[locale]


def render_template(name: str, locale: str, context: dict[str, Any]) -> str:
    """One mail template (or partial) rendered in ``locale``."""
    return _environment(locale).get_template(name).render({"locale": locale, **context})


def render(kind: str, locale: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text body and HTML body of a ``kind`` message in ``locale``."""
    subject = render_template(f"{kind}.subject.txt", locale, context).strip()
    text = render_template(f"{kind}.txt", locale, context)
    html = render_template(f"{kind}.html", locale, context)
    return subject, text, html


def new_message_id(key: str | None = None) -> str:
    """A stable Message-ID, chosen once when the row is written (so retries are recognisable).

    With ``key`` the id is derived from it: emitting the same event twice then hits the unique
    constraint on ``notification.message_id`` instead of sending twice.
    """
    return f"<{key or secrets.token_hex(16)}@{MESSAGE_ID_DOMAIN}>"


# --- preferences -------------------------------------------------------------------------------


def settable_kinds(user: User) -> list[str]:
    """The kinds whose mode ``user`` may choose, in the order of the settings page."""
    return [kind for kind, rule in KIND_RULES.items() if user.has_role(*rule.roles)]


def fixed_kinds(user: User) -> list[str]:
    """The kinds ``user`` receives that are always sent at once."""
    return [kind for kind, roles in ALWAYS_IMMEDIATE.items() if user.has_role(*roles)]


def preferences(session: Session, user: User) -> dict[str, str]:
    """The effective mode of every settable kind for ``user`` (their choice, else the default)."""
    chosen = dict(
        session.execute(
            select(NotificationPreference.kind, NotificationPreference.mode).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {kind: chosen.get(kind, KIND_RULES[kind].default) for kind in settable_kinds(user)}


def mode_for(session: Session, user: User, kind: str) -> str:
    """How ``kind`` reaches ``user``: immediate, digest or off."""
    rule = KIND_RULES.get(kind)
    if rule is None:
        return IMMEDIATE
    chosen = session.get(NotificationPreference, (user.id, kind))
    return chosen.mode if chosen else rule.default


def set_preferences(session: Session, user: User, modes: dict[str, str]) -> None:
    """Save ``user``'s choices. Raises InvalidInput for a kind they may not set or a bad mode."""
    allowed = set(settable_kinds(user))
    errors = {k: "not settable" for k in modes if k not in allowed}
    errors |= {k: "unknown mode" for k, m in modes.items() if m not in MODES}
    if errors:
        raise InvalidInput("Unknown notification setting.", errors)
    for kind, mode in modes.items():
        row = session.get(NotificationPreference, (user.id, kind))
        if row is None:
            session.add(NotificationPreference(user_id=user.id, kind=kind, mode=mode))
        else:
            row.mode = mode


def users_with_mode(session: Session, kind: str, modes: tuple[str, ...]):
    """A ``select`` of user ids whose effective mode for ``kind`` is one of ``modes``."""
    rule = KIND_RULES[kind]
    chosen = select(NotificationPreference.user_id).where(
        NotificationPreference.kind == kind, NotificationPreference.mode.in_(modes)
    )
    if rule.default not in modes:
        return chosen
    others = select(NotificationPreference.user_id).where(NotificationPreference.kind == kind)
    return select(User.id).where(User.id.in_(chosen) | User.id.not_in(others))


# --- the outbox ----------------------------------------------------------------------------------


def notify(
    session: Session,
    kind: str,
    *,
    user: User | None = None,
    email: str | None = None,
    name: str = "",
    locale: str | None = None,
    context: dict[str, Any] | None = None,
    link: str | None = None,
    now: datetime | None = None,
    message_key: str | None = None,
    about: Candidate | None = None,
) -> Notification:
    """Queue a ``kind`` notification for a staff ``user`` or an outside ``email``.

    The row joins the caller's transaction; the worker sends it. A staff member's preference
    decides whether the e-mail leaves at once (status pending), waits for the daily digest
    (held) or is not sent (in_app); outside recipients always get it at once. ``message_key``
    makes the Message-ID deterministic (see :func:`new_message_id`). ``about`` is the
    candidate the message names, if any: erasing them rewrites it (see
    :func:`referral.privacy.erasure.erase`).
    """
    if user is None and not email:
        raise ValueError("a notification needs a user or an e-mail address")
    now = now or utcnow()
    if (user is not None and user.id is None) or (about is not None and about.id is None):
        session.flush()  # a user or candidate created in this same transaction needs its id
    locale = locale or (user.writing_locale(DEFAULT_LOCALE) if user else DEFAULT_LOCALE)
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    name = name or (user.full_name if user else "")
    ctx = {"recipient_name": name, "link": link, **(context or {})}
    subject, text, html = render(kind, locale, ctx)
    mode = mode_for(session, user, kind) if user is not None else IMMEDIATE
    status = {
        IMMEDIATE: NotificationStatus.PENDING,
        DIGEST: NotificationStatus.HELD,
        OFF: NotificationStatus.IN_APP,
    }[mode]
    row = Notification(
        recipient_id=user.id if user else None,
        recipient_email=user.email if user else email,
        recipient_name=name,
        locale=locale,
        kind=kind,
        subject=subject[:300],
        body_text=text,
        body_html=html,
        link_url=link,
        message_id=new_message_id(message_key),
        status=status.value,
        attempts=0,
        next_attempt_at=now if mode == IMMEDIATE else None,
        candidate_id=about.id if about is not None else None,
        created_at=now,
    )
    session.add(row)
    return row
