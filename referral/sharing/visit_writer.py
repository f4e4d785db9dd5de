"""Recording the visits of share links: bot or person, the visitor's daily hash, the visit row
and the link's counters.

Visits are counted right: crawlers are recorded as bots and never as people; a person is
recognised only by a keyed hash of IP and user agent that changes every day (no raw IP is
kept), and counts once per link per 24 hours. The link's counters are bumped with atomic
``UPDATE ... SET n = n + 1`` statements in the visit's transaction, so they always equal the
visit rows and pages never scan the visits table.

Two writers apply the same statements: :func:`record_visit` in an ORM session, and
:class:`VisitWriter` on a raw connection for the hot path of ``/r/<code>``; the visit journal
(:mod:`referral.sharing.visit_journal`) loads its lines with the same 24-hour rule.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import threading
import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from crawlerdetect import CrawlerDetect
from sqlalchemy import Integer, String, bindparam, exists, false, func, insert, select, update
from sqlalchemy.orm import Session

from referral.models import ShareLink, UTCDateTime, Visit
from referral.sharing import links
from referral.sharing.links import _RESOLVE, LinkTarget, _links

PERSON_WINDOW = timedelta(hours=24)
_visits = Visit.__table__

_crawlers = CrawlerDetect()


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """Link-preview crawlers and bots (crawlerdetect's maintained list); no user agent is a bot."""
    if not user_agent.strip():
        return True
    return bool(_crawlers.isCrawler(user_agent))


@lru_cache(maxsize=8)
def _hash_key(secret: str) -> bytes:
    # A key of its own, derived from the app's secret, so the hash cannot sign anything else.
    return hashlib.sha256(b"relais-visitor-hash|" + secret.encode()).digest()


def visitor_hash(secret: str, day: date, ip: str, user_agent: str) -> str:
    """HMAC-SHA256 of the UTC day, IP and user agent: recognises a visitor for one day only."""
    message = f"{day.isoformat()}|{ip}|{user_agent}".encode()
    return hmac.new(_hash_key(secret), message, hashlib.sha256).hexdigest()


def _bump(column: str):
    return (
        update(_links).where(_links.c.id == bindparam("lid")).values({column: _links.c[column] + 1})
    )


_BUMP_VISITS = _bump("visits_count")
_BUMP_BOTS = _bump("bot_count")
_BUMP_PEOPLE = _bump("people_count")
_SEEN_RECENTLY = (
    select(_visits.c.id)
    .where(
        _visits.c.link_id == bindparam("lid"),
        _visits.c.visitor_hash == bindparam("hash"),
        _visits.c.is_bot == false(),
        _visits.c.occurred_at > bindparam("since", type_=UTCDateTime()),
    )
    .limit(1)
)
_INSERT_PERSON = (
    insert(_visits)
    .from_select(
        ["link_id", "occurred_at", "visitor_hash", "is_bot", "is_new_person", "referrer_host"],
        select(
            bindparam("lid", type_=Integer()),
            bindparam("at", type_=UTCDateTime()),
            bindparam("hash", type_=String()),
            false(),
            ~exists(_SEEN_RECENTLY),
            bindparam("ref", type_=String()),
        ),
    )
    .returning(_visits.c.is_new_person)
)
# The people counter after a visit, without reading its result first (PostgreSQL pipeline):
# each statement of a READ COMMITTED transaction sees the rows the transaction wrote.
_BUMP_PEOPLE_IF_NEW = (
    update(_links)
    .where(
        _links.c.id == bindparam("lid"),
        select(_visits.c.is_new_person)
        .where(
            _visits.c.link_id == bindparam("lid"),
            _visits.c.visitor_hash == bindparam("hash"),
            _visits.c.occurred_at == bindparam("at", type_=UTCDateTime()),
        )
        .order_by(_visits.c.id.desc())
        .limit(1)
        .scalar_subquery(),
    )
    .values(people_count=_links.c.people_count + 1)
)
_INSERT_BOT = insert(_visits).values(
    link_id=bindparam("lid", type_=Integer()),
    occurred_at=bindparam("at", type_=UTCDateTime()),
    visitor_hash=bindparam("hash", type_=String()),
    is_bot=True,
    is_new_person=False,
    referrer_host=bindparam("ref", type_=String()),
)


def record_visit(
    session: Session,
    link_id: int,
    visitor: str,
    *,
    bot: bool,
    referrer_host: str | None,
    now: datetime,
) -> bool:
    """Write one visit and bump the link's counters; True when it is a new person.

    The first statement is the counter's UPDATE: it takes the link's row lock (PostgreSQL) or
    the write lock (SQLite), so that the "seen in the last 24 hours?" check that follows sees
    every earlier visit of that link, and two simultaneous first visits of one person count
    once. The caller commits.
    """
    params = {"lid": link_id, "hash": visitor, "at": now, "ref": referrer_host}
    if bot:
        session.execute(_BUMP_BOTS, params)
        session.execute(_INSERT_BOT, params)
        return False
    session.execute(_BUMP_VISITS, params)
    params["since"] = now - PERSON_WINDOW
    new_person = bool(session.execute(_INSERT_PERSON, params).scalar_one())
    if new_person:
        session.execute(_BUMP_PEOPLE, params)
    return new_person


def counters_match_rows(session: Session, link_id: int) -> bool:
    """Whether the link's counters equal its visit rows (a consistency check for tests/ops)."""
    link = session.get(ShareLink, link_id, populate_existing=True)
    if link is None:
        return False
    rows = session.execute(
        select(
            func.count(Visit.id).filter(Visit.is_bot == false()),
            func.count(Visit.id).filter(Visit.is_bot.is_(True)),
            func.count(Visit.id).filter(Visit.is_new_person.is_(True)),
        ).where(Visit.link_id == link_id)
    ).one()
    return (link.visits_count, link.bot_count, link.people_count) == tuple(rows)


class VisitWriter:
    """The same visit transaction as :func:`record_visit`, on a raw DB-API connection.

    It is the hot path of ``/r/<code>`` for people: the statements are the Core statements
    above, compiled once for the engine's dialect, run on one connection per thread (kept
    out of the pool), with no ORM or per-statement compilation overhead. On SQLite, writers
    of other processes queue on an OS file lock (``flock``), so that they wait for each other
    in the kernel instead of in SQLite's busy handler, which sleeps in steps of milliseconds.
    Visits arriving together in one process share a commit (group commit), but each request
    answers only after its own visit is committed: nothing is held in memory, nothing is lost
    on a crash.
    """

    def __init__(self, engine, lock_path: str | None = None, commit_delay: float = 0.0005):
        self.engine = engine
        self.commit_delay = commit_delay
        self.in_flight = 0  # visits between arrive() and leave()
        self.dialect = engine.dialect
        self.sqlite = self.dialect.name == "sqlite"
        self._local = threading.local()
        self._thread_lock = threading.Lock()
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._writing = False
        self._lock_path = lock_path if self.sqlite else None
        self._lock_fd: int | None = None
        self._resolve = self._compile(_RESOLVE)
        # code: (reusable until, _link_changes when read, target)
        self._targets: dict[str, tuple[float, int, LinkTarget]] = {}
        self._bump_visits = self._compile(_BUMP_VISITS)
        self._bump_people = self._compile(_BUMP_PEOPLE)
        self._bump_people_if_new = self._compile(_BUMP_PEOPLE_IF_NEW)
        self._insert_person = self._compile(_INSERT_PERSON)

    def _compile(self, statement):
        compiled = statement.compile(dialect=self.dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        defaults = {k: v for k, v in compiled.params.items() if v is not None}  # "+ 1"
        return compiled.string, order, defaults

    def _params(self, sql, values: dict):
        text, order, defaults = sql
        merged = {**defaults, **values}
        if order is None:
            return text, {name: merged[name] for name in merged if f"%({name})s" in text}
        return text, tuple(merged[name] for name in order)

    def _time(self, moment: datetime):
        # What UTCDateTime stores: naive UTC text on SQLite, an aware timestamp elsewhere.
        if self.sqlite:
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return moment

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.engine.raw_connection()
            conn.detach()  # this thread's own connection, not taken from the others' pool
            if not self.sqlite:
                # Reads need no transaction; writes open one explicitly (see _write_pipelined).
                conn.dbapi_connection.autocommit = True
            self._local.conn = conn
        return conn

    def _discard(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.invalidate()

    def arrive(self) -> None:
        with self._lock:
            self.in_flight += 1

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def resolve(self, code: str) -> LinkTarget | None:
        """Like :func:`referral.sharing.links.resolve_code`, on this thread's connection; an active
        link's target is reused for ``links.TARGET_CACHE_S`` unless this process changed a
        link or an offer since.

        Besides the query, this spares the request thread a wait: each call into SQLite
        gives up the interpreter lock, and with a dozen threads answering redirects, taking
        it back cost more than the query itself.
        """
        if not code or len(code) > 16:
            return None
        cached = self._targets.get(code)
        if cached is not None and cached[1] == links._link_changes and cached[0] > time.monotonic():
            return cached[2]
        changes = links._link_changes  # before the query: a change committed meanwhile re-reads
        target = self._lookup(code)
        if target is None:
            self._targets.pop(code, None)
            return None
        if len(self._targets) >= links.TARGET_CACHE_SIZE:
            self._targets.clear()
        self._targets[code] = (time.monotonic() + links.TARGET_CACHE_S, changes, target)
        return target

    def _lookup(self, code: str) -> LinkTarget | None:
        conn = self._connection()
        cursor = conn.cursor()
        try:
            cursor.execute(*self._params(self._resolve, {"code": code}))
            row = cursor.fetchone()
        except Exception:
            cursor.close()
            self._discard()
            raise
        cursor.close()
        if row is None:
            return None
        link_id, agent_id, offer_id, title, status, closing = row
        if isinstance(closing, str):
            closing = date.fromisoformat(closing)
        return LinkTarget(link_id, agent_id, offer_id, title, status, closing, code)

    @contextlib.contextmanager
    def _writers_queue(self):
        if not self.sqlite:
            yield
            return
        with self._thread_lock:
            if self._lock_path is None:
                yield
                return
            if self._lock_fd is None:
                self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def record_person(
        self, link_id: int, visitor: str, referrer_host: str | None, now: datetime
    ) -> bool:
        """Write a person's visit and bump the counters, committed; True for a new person.

        Group commit: visits that arrive while another thread of this process is writing wait
        for it, then the next writer commits all of them in one transaction. Every caller
        returns only once its own visit is committed (or raises if it was not).
        """
        pending = _Pending(
            {
                "lid": link_id,
                "hash": visitor,
                "at": self._time(now),
                "since": self._time(now - PERSON_WINDOW),
                "ref": referrer_host,
            }
        )
        with self._lock:
            self._queue.append(pending)
            leader = not self._writing
            self._writing = True
        if not leader:
            pending.event.wait()
            if not pending.promoted:
                return pending.outcome()
        # This thread writes everything queued so far, in one transaction. Like PostgreSQL's
        # commit_delay: when other visits are on their way, give them a moment to join.
        if self.commit_delay and self.in_flight > len(self._queue):
            time.sleep(self.commit_delay)
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            self._write(batch)
        finally:
            with self._lock:
                following = self._queue[0] if self._queue else None
                self._writing = following is not None
            for item in batch:
                if item is not pending:
                    item.event.set()
            if following is not None:  # hand over: the first waiting visit writes next
                following.promoted = True
                following.event.set()
        return pending.outcome()

    def _write(self, batch: list[_Pending]) -> None:
        if not self.sqlite and hasattr(self._connection().dbapi_connection, "pipeline"):
            self._write_pipelined(batch)
            return
        conn = self._connection()
        cursor = conn.cursor()
        try:
            with self._writers_queue():
                for item in batch:
                    cursor.execute(*self._params(self._bump_visits, item.values))
                    cursor.execute(*self._params(self._insert_person, item.values))
                    item.new_person = bool(cursor.fetchone()[0])
                    if item.new_person:
                        cursor.execute(*self._params(self._bump_people, item.values))
                conn.commit()
        except Exception as exc:
            with contextlib.suppress(Exception):
                conn.rollback()
            cursor.close()
            self._discard()
            for item in batch:
                item.error = exc
            return
        cursor.close()

    def _write_pipelined(self, batch: list[_Pending]) -> None:
        """PostgreSQL: the whole transaction in one round trip (psycopg pipeline mode).

        The row lock taken by the first UPDATE is then held for one round trip, not four.
        """
        conn = self._connection()
        dbapi = conn.dbapi_connection
        cursors = []
        try:
            with dbapi.pipeline():
                dbapi.execute("BEGIN")
                for item in batch:
                    dbapi.execute(*self._params(self._bump_visits, item.values))
                    cursors.append(dbapi.execute(*self._params(self._insert_person, item.values)))
                    dbapi.execute(*self._params(self._bump_people_if_new, item.values))
                dbapi.execute("COMMIT")
            for item, cursor in zip(batch, cursors, strict=True):
                item.new_person = bool(cursor.fetchone()[0])
        except Exception as exc:
            with contextlib.suppress(Exception):
                dbapi.execute("ROLLBACK")
            self._discard()
            for item in batch:
                item.error = exc


class _Pending:
    """One visit waiting for its group's commit."""

    __slots__ = ("values", "event", "promoted", "new_person", "error")

    def __init__(self, values: dict):
        self.values = values
        self.event = threading.Event()
        self.promoted = False
        self.new_person = False
        self.error: BaseException | None = None

    def outcome(self) -> bool:
        if self.error is not None:
            raise self.error
        return self.new_person
