"""Turning an outbox row into an e-mail, and the two ways of delivering it.

- ``file`` (the default): each message is written as an ``.eml`` file in the outbox folder,
  atomically (a temporary file renamed into place), so that a crash never leaves half a file
  and a retry of the same row rewrites the same file name.
- ``smtp``: :mod:`smtplib` with STARTTLS or SSL, credentials and a timeout from settings.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from referral.config import Settings
from referral.models import Notification
from referral.notifications.digests import KIND as DIGEST_KIND
from referral.notifications.outbox import ALWAYS_IMMEDIATE, render_template

# Outside recipients are told why they get the message (staff get a link to their settings).
OUTSIDE_REASONS = {
    "receipt": "applied",
    "invitation": "recommended",
    "candidate_message": "applied",
    "interview": "applied",
}
# Staff mails that no setting governs (the footer then does not point to the settings).
UNSETTABLE_STAFF_KINDS = ("password_reset",)


class ServerUnavailable(Exception):
    """The mail server cannot be reached: the rest of the batch is not tried either."""


class Backend(Protocol):
    """Hands one message over; raises on failure (the worker retries the row later)."""

    def deliver(self, row: Notification, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


def settings_note(kind: str) -> str:
    """What a staff member's settings can change about a ``kind`` e-mail, for its footer:
    ``always`` (nothing: it is always sent at once), ``digest`` (the digest gathers the kinds
    set to it) or ``settable`` (at once, in the digest or not at all)."""
    if kind in ALWAYS_IMMEDIATE:
        return "always"
    return "digest" if kind == DIGEST_KIND else "settable"


def build_message(row: Notification, settings: Settings) -> EmailMessage:
    """The multipart (text and HTML) e-mail of an outbox row, with a settings footer."""
    footer_ctx = {
        "staff": row.recipient_id is not None and row.kind not in UNSETTABLE_STAFF_KINDS,
        "settings_note": settings_note(row.kind),
        "reason": OUTSIDE_REASONS.get(row.kind, "other"),
        "settings_url": settings.base_url.rstrip("/") + "/account/#notifications",
        "organisation_name": settings.organisation_name,
        "referral_window_days": settings.referral_window_days,
    }
    text_footer = render_template("_footer.txt", row.locale, footer_ctx)
    html_footer = render_template("_footer.html", row.locale, footer_ctx)

    message = EmailMessage(policy=SMTP)
    message["From"] = settings.sender
    message["To"] = Address(
        display_name=display_name(row.recipient_name), addr_spec=row.recipient_email
    )
    if row.recipient_id is None and settings.mail_reply_to:
        # Candidates and invited people answer here (the privacy notice gives this address).
        message["Reply-To"] = settings.mail_reply_to
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body_text.rstrip() + "\n\n-- \n" + text_footer.strip() + "\n")
    html = row.body_html or ""
    if "</body>" in html:
        html = html.replace("</body>", html_footer + "\n</body>", 1)
    else:
        html += html_footer
    message.add_alternative(html, subtype="html")
    for attachment in row.attachments:
        # e.g. an interview's event: "text/calendar; method=REQUEST" (the method tells mail
        # clients to offer accept/decline rather than a plain file).
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, *params = [p.strip() for p in rest.split(";")]
        message.add_attachment(
            attachment.content.encode(),
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=dict(p.split("=", 1) for p in params if "=" in p),
        )
    # After the parts: making the message multipart moves Content-* headers into its first part.
    message["Content-Language"] = row.locale
    return message


# Characters that make a display name a quoted string; folding a long quoted string breaks its
# quotes in Python's e-mail package, and a mail client then reads the rest of the name as
# more recipients. A name shown without them is still the person's name.
_ADDRESS_SPECIALS = re.compile(r'[\x00-\x1f\x7f",;:<>@()\[\]\\]+')


def display_name(name: str | None) -> str:
    """``name`` as a ``To:`` display name that no folding can turn into extra recipients."""
    return " ".join(_ADDRESS_SPECIALS.sub(" ", name or "").split())


def eml_name(row: Notification) -> str:
    """The outbox file of a row: its creation date and Message-ID (the same on every retry)."""
    ident = re.sub(r"[^A-Za-z0-9._-]+", "_", row.message_id.strip("<>"))
    return f"{row.created_at:%Y%m%d-%H%M%S}-{ident}.eml"


class FileBackend:
    """Writes each message as ``<date>-<message-id>.eml`` in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder

    def deliver(self, row: Notification, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / eml_name(row)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(message.as_bytes())
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def close(self) -> None:
        pass


class SMTPBackend:
    """One SMTP connection for a batch, opened again after any error."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host,
                s.smtp_port,
                timeout=s.smtp_timeout,
                context=ssl.create_default_context(),
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
            if s.smtp_security == "starttls":
                conn.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            conn.login(s.smtp_user, s.smtp_password)
        return conn

    def _open(self) -> smtplib.SMTP:
        try:
            return self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(describe_error(exc)) from exc

    def deliver(self, row: Notification, message: EmailMessage) -> None:
        try:
            if self._conn is None:
                self._conn = self._open()
            try:
                self._conn.send_message(message)
            except smtplib.SMTPServerDisconnected:
                # Servers drop idle connections: one fresh connection, then give up.
                self.close()
                self._conn = self._open()
                self._conn.send_message(message)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()


def make_backend(settings: Settings) -> Backend:
    """The back-end ``settings.mail_backend`` names."""
    if settings.mail_backend == "smtp":
        return SMTPBackend(settings)
    return FileBackend(settings.outbox_path)


def is_permanent(exc: BaseException) -> bool:
    """A refusal that trying again cannot change: every recipient, or the message itself,
    refused with a 5xx reply (``550 mailbox unavailable``, ``553 bad address``, ``554 message
    rejected``). A 4xx reply, a connection failure, or a 5xx about the sender or the login
    (the server's configuration: fixed by an admin, then the rows go) is retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600
    return False


def describe_error(exc: BaseException) -> str:
    """A short, safe line for ``notification.last_error`` (shown to admins)."""
    if isinstance(exc, ServerUnavailable):
        text = f"server unavailable: {exc}"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for addr, (code, msg) in exc.recipients.items()
        ]
        text = "recipient refused: " + "; ".join(parts)
    elif isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error
        msg = msg.decode(errors="replace") if isinstance(msg, bytes) else str(msg)
        text = f"{exc.__class__.__name__}: {exc.smtp_code} {msg}"
    else:
        text = f"{exc.__class__.__name__}: {exc}"
    return text[:500]
