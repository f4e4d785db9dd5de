"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import unicodedata

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from referral.config import PREFIX, ConfigError
from referral.local_calendar import SQLITE_FUNCTION, sqlite_local_day

# How a transaction begins on SQLite, an execution option of the engine or connection:
# "IMMEDIATE" (the default) takes the write lock at BEGIN, so a transaction that reads and
# then writes never finds that another wrote in between (SQLite ignores FOR UPDATE, and a
# deferred transaction that wants to write after a newer commit fails at once with
# "database is locked", whatever the busy timeout). "DEFERRED" is for sessions that read
# (see read_only): each read sees the latest commit, never waits, never blocks the writer.
SQLITE_BEGIN = "sqlite_begin"
# Longer than any write transaction of a request or of a background writer (visit loader,
# notification worker), which are all short: a writer waits its turn instead of failing.
SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the pragmas SQLite needs to behave under concurrent web workers.

    SQLite: WAL journal (readers never block the writer), foreign keys enforced, a busy
    timeout so that concurrent writers wait instead of failing, and ``BEGIN IMMEDIATE`` for
    every transaction not marked read-only: one writer at a time, in turn (SQLAlchemy's
    documented recipe for pysqlite's transactions, "Serializable isolation / Savepoints /
    Transactional DDL"). PostgreSQL: psycopg 3, pre-ping so that a dropped connection is
    replaced instead of failing a request.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault(
            "connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        )
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def read_only(engine: Engine) -> Engine:
    """The same engine (and pool) for sessions that never write: on SQLite their
    transactions begin DEFERRED; elsewhere nothing changes."""
    if not is_sqlite(engine):
        return engine
    return engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})


def write_late(session: Session) -> None:
    """Begin ``session``'s transaction so that, on SQLite, it takes the write lock only at its
    first write: for work that waits on something slow (a mail server) between reading rows
    that it alone may change (claimed, leased) and writing them. Call it first."""
    session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})


def _sqlite_begin(conn) -> None:
    dbapi_conn = conn.connection.dbapi_connection
    if conn.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE") == "IMMEDIATE":
        dbapi_conn.isolation_level = None  # pysqlite leaves the transaction to us
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        # pysqlite's own way: reads outside any transaction (no snapshot held, nothing to
        # wait for), a BEGIN just before a first write, should a reading session write.
        dbapi_conn.isolation_level = ""


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # No transaction of pysqlite's around the pragmas; _sqlite_begin decides for each one.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Reads of a year of analytics go through tens of megabytes: a 16 MB page cache per
    # connection (the default is 2 MB) and pages read through a memory map, not copied.
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.execute("PRAGMA mmap_size=268435456")
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
