"""The notifications outbox.

A notification is a row written in the same transaction as the event that causes it; a
worker delivers it later (nothing is sent inside a web request). Each kind has its templates
in ``referral/mail/``: ``<kind>.subject.txt``, ``<kind>.txt`` and ``<kind>.html``, rendered
in the recipient's language.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from referral.i18n import DEFAULT_LOCALE, translations
from referral.models import Notification, NotificationStatus, User, utcnow

MAIL_TEMPLATES = Path(__file__).with_name("mail")
MESSAGE_ID_DOMAIN = "relais.local"

_env = Environment(
    loader=FileSystemLoader(str(MAIL_TEMPLATES)),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    extensions=["jinja2.ext.i18n"],
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(kind: str, locale: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text body and HTML body of a ``kind`` message in ``locale``."""
    _env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    ctx = {"locale": locale, **context}
    subject = _env.get_template(f"{kind}.subject.txt").render(ctx).strip()
    text = _env.get_template(f"{kind}.txt").render(ctx)
    html = _env.get_template(f"{kind}.html").render(ctx)
    return subject, text, html


def new_message_id() -> str:
    """A stable Message-ID, chosen once when the row is written (so retries are recognisable)."""
    return f"<{secrets.token_hex(16)}@{MESSAGE_ID_DOMAIN}>"


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
) -> Notification:
    """Queue a ``kind`` notification for a staff ``user`` or an outside ``email``.

    The row joins the caller's transaction; the worker sends it.
    """
    if user is None and not email:
        raise ValueError("a notification needs a user or an e-mail address")
    locale = locale or (user.locale if user and user.locale else DEFAULT_LOCALE)
    name = name or (user.full_name if user else "")
    ctx = {"recipient_name": name, "link": link, **(context or {})}
    subject, text, html = render(kind, locale, ctx)
    row = Notification(
        recipient_id=user.id if user else None,
        recipient_email=user.email if user else email,
        recipient_name=name,
        locale=locale,
        kind=kind,
        subject=subject,
        body_text=text,
        body_html=html,
        link_url=link,
        message_id=new_message_id(),
        status=NotificationStatus.PENDING.value,
        next_attempt_at=now or utcnow(),
        created_at=now or utcnow(),
    )
    session.add(row)
    return row
