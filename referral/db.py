"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import unicodedata

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from referral.config import PREFIX, ConfigError
from referral.local_calendar import SQLITE_FUNCTION, sqlite_local_day


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the pragmas SQLite needs to behave under concurrent web workers.

    SQLite: WAL journal (readers never block the writer), foreign keys enforced, a busy
    timeout so that concurrent writers wait instead of failing. PostgreSQL: psycopg 3,
    pre-ping so that a dropped connection is replaced instead of failing a request.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy emit BEGIN so that "BEGIN IMMEDIATE" can be used for writes.
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # relais_fold(): the accent- and case-insensitive search of the careers site.
    dbapi_conn.create_function("relais_fold", 1, fold_text, deterministic=True)
    # relais_local_day(): the organisation's day of a stored instant, for the analytics
    # (SQLite knows no time zones; see referral.local_calendar).
    dbapi_conn.create_function(SQLITE_FUNCTION, 2, sqlite_local_day, deterministic=True)


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})


def fold_text(value: str | None) -> str:
    """Lower-case text without accents ("Île-de-France" → "ile-de-france"), for search."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (templates read them)."""
    return sessionmaker(engine, expire_on_commit=False)


def check_connection(engine: Engine) -> None:
    """Raise ConfigError with one clear line when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(
            f"{PREFIX}DATABASE_URL: cannot reach the database "
            f"{engine.url.render_as_string(hide_password=True)} ({reason})"
        ) from None
    except SQLAlchemyError as exc:
        raise ConfigError(f"{PREFIX}DATABASE_URL: {exc.__class__.__name__}: {exc}") from None


def is_sqlite(engine: Engine) -> bool:
    return engine.url.get_backend_name() == "sqlite"
