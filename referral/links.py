"""Share links: an agent's personal, trackable link to an offer for one channel, and its visits.

A link is created on first use (one per offer, agent and channel: a database constraint, so
two concurrent first uses end with the same link) and stays stable afterwards. Its public
address is ``/r/<code>``, the code drawn from :mod:`secrets` over an alphabet without
look-alike characters.

Visits are counted right: crawlers are recorded as bots and never as people; a person is
recognised only by a keyed hash of IP and user agent that changes every day (no raw IP is
kept), and counts once per link per 24 hours. The link's counters are bumped with atomic
``UPDATE ... SET n = n + 1`` statements in the visit's transaction, so they always equal the
visit rows and pages never scan the visits table.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import itertools
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote, urlencode

from crawlerdetect import CrawlerDetect
from sqlalchemy import (
    Integer,
    String,
    bindparam,
    event,
    exists,
    false,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from referral import audit
from referral.errors import Forbidden, NotFound
from referral.models import (
    Application,
    ApplicationStatus,
    Channel,
    Offer,
    ShareLink,
    User,
    UTCDateTime,
    Visit,
    utcnow,
)
from referral.offers import N_, OfferNotOpen, is_open

# No 0/O/o, no 1/l/I: a code read aloud or copied from a poster cannot be mistyped.
ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10
PERSON_WINDOW = timedelta(hours=24)
CHANNELS = tuple(c.value for c in Channel)


def new_code(length: int = CODE_LENGTH) -> str:
    """A fresh, unguessable link code (56^10 ≈ 3·10^17 possibilities)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


# --- links ------------------------------------------------------------------------------------


def find_active_link(session: Session, code: str) -> ShareLink | None:
    """The link with this code, unless it is unknown or revoked."""
    if not code or len(code) > 16:
        return None
    return session.scalar(
        select(ShareLink).where(ShareLink.code == code, ShareLink.revoked_at.is_(None))
    )


def _find(session: Session, offer_id: int, agent_id: int, channel: str) -> ShareLink | None:
    return session.scalar(
        select(ShareLink).where(
            ShareLink.offer_id == offer_id,
            ShareLink.agent_id == agent_id,
            ShareLink.channel == channel,
        )
    )


def get_or_create_link(
    session: Session, offer: Offer, agent: User, channel: str, now: datetime | None = None
) -> ShareLink:
    """The agent's link to ``offer`` for ``channel``, created on first use.

    A revoked link gets a new code (the old one stays dead). New links only for open offers.
    Safe under concurrency: the unique (offer, agent, channel) constraint makes the loser of a
    race re-read the winner's link.
    """
    now = now or utcnow()
    if channel not in CHANNELS:
        raise NotFound(N_("No such channel."))
    link = _find(session, offer.id, agent.id, channel)
    if link is not None and link.revoked_at is None:
        return link
    if not is_open(offer, now):
        raise OfferNotOpen(N_("This offer is closed: it can no longer be shared."))
    if link is not None:  # renew a revoked link
        link.code = new_code()
        link.revoked_at = None
        session.flush()
        return link
    for _attempt in range(5):
        link = ShareLink(
            code=new_code(), offer_id=offer.id, agent_id=agent.id, channel=channel, created_at=now
        )
        try:
            with session.begin_nested():
                session.add(link)
                session.flush()
            return link
        except IntegrityError:
            existing = _find(session, offer.id, agent.id, channel)
            if existing is not None:
                return existing
            # else two codes collided: draw another one
    raise OfferNotOpen(N_("Could not create the link; try again."))


def links_for_offer(session: Session, offer: Offer, agent: User) -> dict[str, ShareLink]:
    """The agent's existing links to ``offer``, by channel."""
    rows = session.scalars(
        select(ShareLink).where(ShareLink.offer_id == offer.id, ShareLink.agent_id == agent.id)
    )
    return {link.channel: link for link in rows}


def get_own_link(session: Session, link_id: int, agent: User) -> ShareLink:
    link = session.get(ShareLink, link_id)
    if link is None:
        raise NotFound(N_("No such link."))
    if link.agent_id != agent.id:
        raise Forbidden(N_("This is not your link."))
    return link


def revoke(session: Session, link: ShareLink, agent: User, now: datetime | None = None) -> None:
    """Kill the link's code: ``/r/<code>`` answers 404 from now on. Counts are kept."""
    if link.agent_id != agent.id:
        raise Forbidden(N_("This is not your link."))
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
        audit.record(session, agent, "link.revoke", "share_link", link.id, code=link.code)


@dataclass
class LinkRow:
    link: ShareLink
    applications: int = 0
    hires: int = 0


@dataclass
class OfferLinks:
    offer: Offer
    rows: list[LinkRow]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "people": sum(r.link.people_count for r in self.rows),
            "visits": sum(r.link.visits_count for r in self.rows),
            "applications": sum(r.applications for r in self.rows),
            "hires": sum(r.hires for r in self.rows),
        }


def agent_links(session: Session, agent: User) -> list[OfferLinks]:
    """The agent's links grouped by offer with people, visits, applications, hires (2 queries)."""
    links = list(
        session.scalars(
            select(ShareLink)
            .where(ShareLink.agent_id == agent.id)
            .options(joinedload(ShareLink.offer).joinedload(Offer.direction))
            .order_by(ShareLink.offer_id.desc(), ShareLink.channel)
        )
    )
    counts: dict[int, LinkRow] = {link.id: LinkRow(link) for link in links}
    if links:
        rows = session.execute(
            select(Application.share_link_id, Application.status, func.count(Application.id))
            .where(Application.share_link_id.in_(list(counts)))
            .group_by(Application.share_link_id, Application.status)
        )
        for link_id, status, count in rows:
            counts[link_id].applications += int(count)
            if status == ApplicationStatus.HIRED.value:
                counts[link_id].hires += int(count)
    grouped: dict[int, OfferLinks] = {}
    for link in links:
        grouped.setdefault(link.offer_id, OfferLinks(link.offer, [])).rows.append(counts[link.id])
    return list(grouped.values())


# --- what each channel opens ------------------------------------------------------------------


def share_urls(link_urls: dict[str, str], title: str, text: str) -> dict[str, str]:
    """The address each channel's button opens, each with that channel's own link."""
    urls: dict[str, str] = {}
    if "linkedin" in link_urls:
        urls["linkedin"] = "https://www.linkedin.com/sharing/share-offsite/?" + urlencode(
            {"url": link_urls["linkedin"]}
        )
    if "email" in link_urls:
        body = f"{text}\n\n{link_urls['email']}"
        urls["email"] = f"mailto:?subject={quote(title)}&body={quote(body)}"
    if "whatsapp" in link_urls:
        urls["whatsapp"] = "https://wa.me/?" + urlencode(
            {"text": f"{text}\n{link_urls['whatsapp']}"}
        )
    if "x" in link_urls:
        urls["x"] = "https://twitter.com/intent/tweet?" + urlencode(
            {"text": title, "url": link_urls["x"]}
        )
    if "facebook" in link_urls:
        urls["facebook"] = "https://www.facebook.com/sharer/sharer.php?" + urlencode(
            {"u": link_urls["facebook"]}
        )
    return urls


# --- visits: the hot path of /r/<code> ------------------------------------------------------

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


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What ``/r/<code>`` needs of a link and its offer (one indexed lookup)."""

    link_id: int
    agent_id: int
    offer_id: int
    offer_title: str
    offer_status: str
    closing_date: date | None
    code: str


# Core statements on the tables (no ORM unit of work on the hot path), compiled once.
_links = ShareLink.__table__
_offers = Offer.__table__
_visits = Visit.__table__

_RESOLVE = (
    select(
        _links.c.id,
        _links.c.agent_id,
        _links.c.offer_id,
        _offers.c.title,
        _offers.c.status,
        _offers.c.closing_date,
    )
    .join(_offers, _offers.c.id == _links.c.offer_id)
    .where(_links.c.code == bindparam("code"), _links.c.revoked_at.is_(None))
)


# How long a process may answer ``/r/<code>`` from the link and offer it read before: a link
# revoked or an offer closed by another process shows within this time; in the process that
# made the change, at once (see _count_link_changes).
TARGET_CACHE_S = 1.0
TARGET_CACHE_SIZE = 20_000
_link_changes = 0  # committed transactions of this process that changed a link or an offer


@event.listens_for(Session, "after_flush")
def _note_link_changes(session: Session, _context) -> None:
    changed = itertools.chain(session.dirty, session.deleted)
    if any(isinstance(obj, ShareLink | Offer) for obj in changed):
        session.info["relais_link_changes"] = True


@event.listens_for(Session, "after_commit")
def _count_link_changes(session: Session) -> None:
    global _link_changes
    if session.info.pop("relais_link_changes", False):
        _link_changes += 1


@event.listens_for(Session, "after_soft_rollback")
def _drop_link_changes(session: Session, _previous_transaction) -> None:
    session.info.pop("relais_link_changes", None)


def resolve_code(session: Session, code: str) -> LinkTarget | None:
    """The active link of ``code`` and its offer's status, or None (unknown or revoked)."""
    if not code or len(code) > 16:
        return None
    row = session.execute(_RESOLVE, {"code": code}).first()
    if row is None:
        return None
    return LinkTarget(*row, code)


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
        """Like :func:`resolve_code`, on this thread's connection; an active link's target is
        reused for ``TARGET_CACHE_S`` unless this process changed a link or an offer since.

        Besides the query, this spares the request thread a wait: each call into SQLite
        gives up the interpreter lock, and with a dozen threads answering redirects, taking
        it back cost more than the query itself.
        """
        if not code or len(code) > 16:
            return None
        cached = self._targets.get(code)
        if cached is not None and cached[1] == _link_changes and cached[0] > time.monotonic():
            return cached[2]
        changes = _link_changes  # before the query: a change committed meanwhile re-reads
        target = self._lookup(code)
        if target is None:
            self._targets.pop(code, None)
            return None
        if len(self._targets) >= TARGET_CACHE_SIZE:
            self._targets.clear()
        self._targets[code] = (time.monotonic() + TARGET_CACHE_S, changes, target)
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
