"""The visit journal: ``/r/<code>`` appends a visit to a file, a loader puts it in the database.

Writing a visit row and its counters costs a database transaction per request. So the fast
path of ``/r/<code>`` appends the visit (link id, time, visitor hash, bot flag, referrer host)
as one line to its process's journal file before it answers: a copy into the file's shared
memory mapping, no system call. Once copied, the line is in the operating system's page cache
and survives a crash of the process (a crash of the machine can lose what was written since
the last load: the loader fsyncs the file before each load). The unwritten rest of a file is
zeros. A loader thread of each process loads its own journal every ``interval`` seconds, in
batches, each in one transaction: the visit rows, ``is_new_person`` decided with the same
24-hour rule as :func:`referral.sharing.visit_writer.record_visit`, the link's counters, the roll-up of days
already rolled up (a late visit), and the journal's high-water mark
(:class:`~referral.models.VisitJournalMark`, the byte offset loaded). The mark makes loading
idempotent: after a crash between the commit and the file's deletion, the records below the
mark are skipped, never counted twice.

Pages read the counters and the rows from the same committed transactions, so they always
agree; they lag behind the redirects by at most the loading interval (0.25 s by default) on
a healthy database.

Each process owns its files (named after its pid and a random token) and holds an exclusive
``flock`` on each while it lives; the lock dies with the process. A file nobody holds is an
orphan (its process crashed or stopped): any loader — another web process every few seconds,
a web process on startup, ``relais visits load`` or the notification worker — loads it from
its mark and deletes it. A journal that cannot be written makes the caller fall back to the
synchronous write (:class:`referral.sharing.visit_writer.VisitWriter`).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import mmap
import os
import secrets
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from referral.local_calendar import local_day_number
from referral.models import ShareLink, Visit, VisitDay, VisitDayZone, VisitJournalMark
from referral.sharing.visit_writer import _SEEN_RECENTLY, PERSON_WINDOW

log = logging.getLogger(__name__)

SUFFIX = ".jnl"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHUNK_BYTES = 1 << 20  # read (and load in one transaction) at most this much at a time
ROTATE_BYTES = 4 << 20  # the size of a journal file, allocated on disk when it is created
ORPHAN_SCAN_S = 5.0

_links = ShareLink.__table__
_visits = Visit.__table__
_marks = VisitJournalMark.__table__
_days = VisitDay.__table__

_ADD_COUNTS = (
    update(_links)
    .where(_links.c.id == bindparam("lid"))
    .values(
        visits_count=_links.c.visits_count + bindparam("v"),
        people_count=_links.c.people_count + bindparam("p"),
        bot_count=_links.c.bot_count + bindparam("b"),
    )
)


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One visit as journaled; ``offset`` is where its line starts in the file."""

    offset: int
    link_id: int
    at: datetime
    visitor: str
    bot: bool
    referrer_host: str | None


def encode(link_id: int, at: datetime, visitor: str, bot: bool, referrer_host: str | None) -> bytes:
    """One journal line: tab-separated, time in microseconds since the epoch."""
    micros = (at - EPOCH) // timedelta(microseconds=1)
    ref = referrer_host or ""
    if any(c in ref for c in "\t\n\r\0"):
        ref = ""
    return f"{link_id}\t{micros}\t{visitor}\t{1 if bot else 0}\t{ref}\n".encode()


def parse(data: bytes, base: int) -> tuple[list[JournalRecord], int]:
    """The complete lines of ``data`` (read at offset ``base``); (records, bytes consumed).

    A line that cannot be read (a write cut short, reported by the writer, which fell back to
    the database) is logged and skipped.
    """
    end = data.rfind(b"\n") + 1
    records: list[JournalRecord] = []
    position = 0
    for line in data[:end].split(b"\n")[:-1]:
        try:
            link_id, micros, visitor, bot, ref = line.decode().split("\t")
            records.append(
                JournalRecord(
                    base + position,
                    int(link_id),
                    EPOCH + timedelta(microseconds=int(micros)),
                    visitor,
                    bot == "1",
                    ref or None,
                )
            )
        except ValueError:
            log.warning("skipping an unreadable visit journal line at byte %d", base + position)
        position += len(line) + 1
    return records, end


def _upsert(session: Session):
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def load_records(session: Session, name: str, records: list[JournalRecord], end: int) -> int:
    """Record the journal's visits below byte ``end`` not loaded yet; returns how many.

    Everything happens in the caller's transaction, which must commit it: the visit rows,
    the counters, late days of the roll-up, and the file's mark moved to ``end``. The first
    statement writes the mark, which takes SQLite's write lock (PostgreSQL: the mark's and
    then the links' row locks, in id order), so that the 24-hour check sees every visit
    recorded before, by any process.
    """
    postgresql = session.get_bind().dialect.name == "postgresql"
    upsert = _upsert(session)
    session.execute(
        upsert(_marks)
        .values(name=name, loaded_bytes=0)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    query = select(_marks.c.loaded_bytes).where(_marks.c.name == name)
    loaded = session.scalar(query.with_for_update() if postgresql else query) or 0
    fresh = [r for r in records if r.offset >= loaded]
    if fresh:
        link_query = (
            select(_links.c.id)
            .where(_links.c.id.in_(sorted({r.link_id for r in fresh})))
            .order_by(_links.c.id)
        )
        alive = set(session.scalars(link_query.with_for_update() if postgresql else link_query))
        fresh = sorted((r for r in fresh if r.link_id in alive), key=lambda r: (r.at, r.offset))
    if fresh:
        new_people = _new_people(session, fresh)
        _insert_visits(session, fresh, new_people)
        counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r, new in zip(fresh, new_people, strict=True):
            count = counts[r.link_id]
            count[2 if r.bot else 0] += 1
            count[1] += new
        session.execute(
            _ADD_COUNTS,
            [{"lid": lid, "v": v, "p": p, "b": b} for lid, (v, p, b) in sorted(counts.items())],
        )
        _roll_up_late(session, fresh, new_people)
    if end > loaded:
        session.execute(update(_marks).where(_marks.c.name == name).values(loaded_bytes=end))
    return len(fresh)


def _insert_visits(session: Session, records: list[JournalRecord], new_people: list[bool]) -> None:
    """The visit rows, with the driver's ``executemany`` (no per-row SQLAlchemy processing:
    a batch holds thousands of rows). Times as :class:`~referral.models.UTCDateTime` binds
    them: naive UTC text on SQLite, aware timestamps elsewhere."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (
        "INSERT INTO visit (link_id, occurred_at, visitor_hash, is_bot, is_new_person, "
        f"referrer_host) VALUES ({', '.join([marker] * 6)})"
    )
    rows = [
        (
            r.link_id,
            r.at.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else r.at,
            r.visitor,
            r.bot,
            new,
            r.referrer_host,
        )
        for r, new in zip(records, new_people, strict=True)
    ]
    connection.exec_driver_sql(sql, rows)


def _new_people(session: Session, records: list[JournalRecord]) -> list[bool]:
    """Per record (in time order): a person not seen on that link in the 24 hours before.

    The same rule as :func:`referral.sharing.visit_writer.record_visit`: any visit already recorded in the
    window, or an earlier visit of this batch, means "seen". One query per person and batch.
    """
    latest: dict[tuple[int, str], datetime] = {}
    flags: list[bool] = []
    for r in records:
        if r.bot:
            flags.append(False)
            continue
        key = (r.link_id, r.visitor)
        since = r.at - PERSON_WINDOW
        previous = latest.get(key)
        if previous is not None and previous > since:
            seen = True
        else:
            params = {"lid": r.link_id, "hash": r.visitor, "since": since}
            seen = session.execute(_SEEN_RECENTLY, params).first() is not None
        latest[key] = r.at
        flags.append(not seen)
    return flags


def _roll_up_late(session: Session, records: list[JournalRecord], new_people: list[bool]) -> None:
    """Add late visits to days the roll-up (``visit_day``) will not read again.

    :func:`referral.analytics.rollup.refresh_visit_days` re-counts from the last day it rolled up;
    a visit of an earlier day loaded now (after a crash, or just after midnight) is added here,
    to its day in the time zone the roll-up counts in (not the UTC date: a visit at 23:30 UTC
    is already the next day in Paris).
    """
    last, zone = session.execute(
        select(func.max(_days.c.day), select(VisitDayZone.zone).limit(1).scalar_subquery())
    ).one()
    if last is None or zone is None:
        return
    late: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for r, new in zip(records, new_people, strict=True):
        day = local_day_number(r.at, zone)
        if day < last:
            late[(r.link_id, day)].update(visits=1, people=int(new and not r.bot), bots=int(r.bot))
    if not late:
        return
    statement = _upsert(session)(_days)
    statement = statement.on_conflict_do_update(
        index_elements=["link_id", "day"],
        set_={
            "visits": _days.c.visits + statement.excluded.visits,
            "people": _days.c.people + statement.excluded.people,
            "bots": _days.c.bots + statement.excluded.bots,
        },
    )
    session.execute(
        statement,
        [
            {
                "link_id": lid,
                "day": day,
                "visits": c["visits"],
                "people": c["people"],
                "bots": c["bots"],
            }
            for (lid, day), c in sorted(late.items())
        ],
    )


@dataclass(eq=False, slots=True)
class _File:
    """One journal file of this process: its descriptor (which holds the ``flock``), its
    mapping, how far it is written and how far loaded."""

    fd: int
    name: str
    map: mmap.mmap
    end: int = 0  # bytes written (complete lines only)
    done: int = 0  # bytes loaded and committed

    def close(self) -> None:
        with contextlib.suppress(BufferError, ValueError):
            self.map.close()
        with contextlib.suppress(OSError):
            os.close(self.fd)  # releases the lock: if loading failed, the file is an orphan


class Journal:
    """This process's journal files and their loader; see the module's docstring.

    ``append`` is called by request threads: it copies the line into the current file's
    shared memory mapping, a memory copy under a lock with no system call, so that a request
    thread never gives up the interpreter lock to journal its visit (with a dozen threads
    serving redirects, each ``os.write`` meant waiting for the interpreter lock again, which
    cost a fifth of the throughput). A full file is retired and a new one, of
    ``rotate_bytes``, allocated on disk up front (``posix_fallocate``: a full disk is an
    ``OSError`` here, never a fault when the mapping is written). The loader thread (started
    by :meth:`start`, and again in a forked child on its first append) loads the current file,
    the retired ones (then deletes them) and the orphans.
    """

    def __init__(
        self,
        directory: Path,
        sessions: sessionmaker[Session],
        interval: float = 0.25,
        rotate_bytes: int = ROTATE_BYTES,
    ):
        self.directory = Path(directory)
        self.sessions = sessions
        self.interval = interval
        self.rotate_bytes = rotate_bytes
        self._write_lock = threading.Lock()  # appends, and switching files
        self._load_lock = threading.Lock()  # one loader at a time in this process
        self._pid: int | None = None  # the process that owns the files below
        self._current: _File | None = None
        self._retired: list[_File] = []  # full, not yet loaded to their end
        self._thread: threading.Thread | None = None
        self._thread_pid: int | None = None
        self._stopping = threading.Event()
        self._last_scan = 0.0
        self._closed = False
        atexit.register(self.close)
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        """In a forked child (gunicorn ``--preload``): fresh locks (another thread may have
        held them at the fork), none of the parent's files (the parent loads them; their lock
        would outlive a crashed parent), no pooled connections of the parent's loader; the
        first append opens a file."""
        self._write_lock = threading.Lock()
        self._load_lock = threading.Lock()
        for file in [*self._retired, *([self._current] if self._current else [])]:
            file.close()  # the child's copies only: the parent's lock and mapping stay
        self._current, self._retired, self._pid = None, [], None
        self._thread = self._thread_pid = None
        self._stopping = threading.Event()
        bind = self.sessions.kw.get("bind")
        if bind is not None:
            bind.dispose(close=False)

    # --- writing ---------------------------------------------------------------------------

    def append(
        self, link_id: int, at: datetime, visitor: str, bot: bool, referrer_host: str | None
    ) -> None:
        """Journal one visit (a copy into the mapped file); raises OSError when it could not."""
        data = encode(link_id, at, visitor, bot, referrer_host)
        size = len(data)
        with self._write_lock:
            file = self._current
            if file is None or self._pid != os.getpid() or file.end + size > len(file.map):
                file = self._open_new(size)
            end = file.end + size
            file.map[file.end : end] = data
            file.end = end  # after the copy: a loader never reads a partial line
        if self._thread_pid != os.getpid():
            self.start()

    def _open_new(self, at_least: int) -> _File:
        """A new file for this process, locked and allocated before it gets its journal name;
        the current one, if any, is retired (caller holds the write lock)."""
        pid = os.getpid()
        if self._current is not None and self._pid == pid:
            self._retired.append(self._current)
        self._current = None
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{int(time.time())}-{pid}-{secrets.token_hex(6)}{SUFFIX}"
        temporary = self.directory / (name + ".new")
        size = max(self.rotate_bytes, at_least)
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.posix_fallocate(fd, 0, size)
            mapping = mmap.mmap(fd, size)
        except OSError:
            os.close(fd)
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        try:
            os.rename(temporary, self.directory / name)
        except OSError:
            mapping.close()
            os.close(fd)
            raise
        self._current, self._pid = _File(fd, name, mapping), pid
        return self._current

    # --- loading ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start this process's loader thread (loads orphans at once, then every interval)."""
        with self._load_lock:
            pid = os.getpid()
            if self._thread_pid == pid and self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._run, name="relais-visit-journal", daemon=True
            )
            self._thread_pid = pid
            self._thread.start()

    def _run(self) -> None:
        try:  # on startup: what crashed or stopped processes left
            with self._load_lock:
                self._last_scan = time.monotonic()
                self._load_orphans()
        except Exception:  # noqa: BLE001 - the next rounds try again
            log.exception("loading orphan visit journals failed; trying again")
        while not self._stopping.wait(self.interval):
            try:
                self.load_pending()
            except Exception:  # noqa: BLE001 - a database outage must not end the loader
                log.exception("loading the visit journal failed; trying again")

    def load_pending(self) -> int:
        """Load what this process journaled, and the orphans every few seconds; how many."""
        with self._load_lock:
            count = self._load_own()
            if time.monotonic() - self._last_scan >= ORPHAN_SCAN_S:
                self._last_scan = time.monotonic()
                count += self._load_orphans()
            return count

    def _load_own(self, final: bool = False) -> int:
        """Load this process's files (load lock held); retired files, loaded to their end,
        are deleted, and so is the current one when ``final`` (a clean shutdown)."""
        with self._write_lock:
            if self._pid != os.getpid():
                return 0
            current = self._current
            files = [*self._retired, *([current] if current else [])]
            ends = [file.end for file in files]  # retired files are not written any more
            if final:
                self._current, self._retired, self._pid = None, [], None
        count = 0
        for file, end in zip(files, ends, strict=True):
            if file.done < end:  # nothing new: nothing to sync
                # Bounds what a crash of the machine (not just of the process) could lose.
                os.fdatasync(file.fd)
            while file.done < end:
                data = file.map[file.done : min(end, file.done + CHUNK_BYTES)]
                records, consumed = parse(data, file.done)
                if not consumed:  # cannot happen: appends write whole lines
                    break
                with self.sessions() as session, session.begin():
                    count += load_records(session, file.name, records, file.done + consumed)
                file.done += consumed
            if file is not current or final:
                _forget(self.sessions, self.directory / file.name, file.name)
                file.close()
                if not final:
                    with self._write_lock:
                        self._retired.remove(file)
        return count

    def _load_orphans(self) -> int:
        current = self._current
        return load_orphans(self.sessions, self.directory, own=current.name if current else None)

    def close(self) -> None:
        """Stop the loader and load (then delete) this process's files: a clean shutdown."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        thread = self._thread
        if (
            thread is not None
            and thread is not threading.current_thread()
            and self._thread_pid == os.getpid()
        ):
            thread.join(10)
        with self._load_lock:
            try:
                self._load_own(final=True)
            except Exception:  # noqa: BLE001 - left for the next start (orphans)
                log.exception("could not load the visit journal at shutdown")


def _load_file(
    sessions: sessionmaker[Session], path: Path, name: str, start: int, final: bool = False
) -> tuple[int, int]:
    """Load ``path`` from byte ``start`` to its last complete line; (new offset, visits)."""
    count = 0
    with open(path, "rb") as file:
        while True:
            file.seek(start)
            data = file.read(CHUNK_BYTES)
            data = data[: data.find(b"\0")] if b"\0" in data else data  # the unwritten rest
            records, consumed = parse(data, start)
            if not consumed:
                if final and data:
                    log.warning(
                        "%s ends with an incomplete line (%d bytes): skipped", name, len(data)
                    )
                return start, count
            with sessions() as session, session.begin():
                count += load_records(session, name, records, start + consumed)
            start += consumed


def _forget(sessions: sessionmaker[Session], path: Path, name: str) -> None:
    """Delete a loaded file, then its mark (a crash in between leaves a harmless mark)."""
    path.unlink(missing_ok=True)
    with sessions() as session, session.begin():
        session.execute(delete(_marks).where(_marks.c.name == name))


def load_orphans(sessions: sessionmaker[Session], directory: Path, own: str | None = None) -> int:
    """Load and delete every journal file of ``directory`` no live process holds; visits loaded.

    Safe to run from any process at any time: a file is loaded only under its ``flock``,
    from its mark in the database.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    count = 0
    for path in sorted(directory.glob("*" + SUFFIX)):
        if path.name == own:
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue  # loaded and deleted by another loader meanwhile
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive and loads it
            if not path.exists():
                continue
            with sessions() as session:
                mark = session.get(VisitJournalMark, path.name)
                start = mark.loaded_bytes if mark is not None else 0
            _, loaded = _load_file(sessions, path, path.name, start, final=True)
            count += loaded
            _forget(sessions, path, path.name)
            log.info("loaded %d visit(s) from the orphan journal %s", loaded, path.name)
        finally:
            os.close(fd)
    for path in directory.glob("*" + SUFFIX + ".new"):
        # A file created but never renamed (the process died in between) holds nothing.
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > 60:
                path.unlink()
    return count
