"""The notification worker: claims due outbox rows, sends them, retries with backoff.

Delivery is at least once. Rows are claimed in one statement (``UPDATE ... WHERE id IN
(SELECT ... FOR UPDATE SKIP LOCKED) RETURNING id`` on PostgreSQL; the same conditional
``UPDATE`` on SQLite, whose writes are serialised), which moves their next attempt a lease
ahead: another worker skips them, and if this one dies they are due again when the lease ends.
Each row is marked sent in its own transaction right after the hand-over; a crash in between
sends it again with the same Message-ID, so the copy is recognisable.

The same loop (:func:`run_forever`) runs in ``relais worker`` and in the thread of the embedded
server; it also runs the daily jobs (the "offer closing soon" scan, the digests, the retention
purge, closing the offers past their closing date), builds the matching index again after an
erasure, loads orphan visit journals, and keeps the analytics' visit roll-up current (the
pages only read it).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import get_timezone
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from referral import audit
from referral.analytics import rollup
from referral.applications import credits
from referral.config import Settings
from referral.db import write_late
from referral.models import AuditEvent, Notification, NotificationStatus, utcnow
from referral.notifications import digests
from referral.notifications import events as notification_events
from referral.notifications.mailer import (
    Backend,
    ServerUnavailable,
    build_message,
    describe_error,
    is_permanent,
    make_backend,
)
from referral.offers import lifecycle as offers
from referral.offers import scoring, semantic
from referral.people import invitations
from referral.privacy import erasure as privacy
from referral.sharing import visit_journal
from referral.unit_of_work import Urls

log = logging.getLogger("relais.worker")

LEASE = timedelta(minutes=10)  # longer than any single send (the SMTP timeout is seconds)
BACKOFF_BASE_S = 30.0
BACKOFF_FACTOR = 2.0
BACKOFF_CAP_S = 3600.0
BACKOFF_JITTER = 0.1  # up to +10 %, so that rows failed together do not retry together

PENDING = NotificationStatus.PENDING


@dataclass
class DeliveryReport:
    """What one run of :func:`deliver_due` did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Wait before the next try after ``attempts`` tries: 30 s, 60 s, 120 s… capped at 1 h."""
    base = min(BACKOFF_CAP_S, BACKOFF_BASE_S * BACKOFF_FACTOR ** max(0, attempts - 1))
    return timedelta(seconds=base * (1 + (rng or random).uniform(0, BACKOFF_JITTER)))


def max_backoff() -> timedelta:
    """The longest wait :func:`backoff` can return (tests jump past it)."""
    return timedelta(seconds=BACKOFF_CAP_S * (1 + BACKOFF_JITTER))


def claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` due rows for this worker; returns their ids, oldest first."""
    due = (
        select(Notification.id)
        .where(Notification.status == PENDING, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(Notification)
        .where(
            Notification.id.in_(due),
            Notification.status == PENDING,
            Notification.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + LEASE, attempts=Notification.attempts + 1)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    return sorted(claimed)


def deliver_due(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime | None = None,
    limit: int = 100,
    backend: Backend | None = None,
    urls: Urls | None = None,
) -> DeliveryReport:
    """Send the rows due at ``now`` (at most ``limit``); record failures for a later retry.
    ``urls`` gives the e-mails' footer its link to the notification settings."""
    now = now or utcnow()
    with session_factory() as session, session.begin():
        ids = claim_due(session, now, limit)
    report = DeliveryReport()
    if not ids:
        return report
    own_backend = backend is None
    backend = backend or make_backend(settings)
    unavailable: ServerUnavailable | None = None
    try:
        for notification_id in ids:
            with session_factory() as session, session.begin():
                write_late(session)  # claimed rows: no write lock held while a mail goes out
                row = session.get(Notification, notification_id)
                if row is None or row.status != PENDING:
                    continue
                try:
                    if unavailable is not None:
                        # The server is down: the rest of the batch waits, without one
                        # connection timeout per row (which could outlast the lease).
                        raise unavailable
                    backend.deliver(row, build_message(row, settings, urls))
                except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
                    if isinstance(exc, ServerUnavailable):
                        unavailable = exc
                    _record_failure(row, exc, now, settings)
                    if row.status == NotificationStatus.FAILED:
                        report.failed += 1
                    else:
                        report.retrying += 1
                else:
                    mark_sent(session, row, now)
                    report.sent += 1
    finally:
        if own_backend:
            backend.close()
    return report


def mark_sent(session: Session, row: Notification, now: datetime) -> None:
    """The row left; a digest takes the rows it carries along with it."""
    row.status = NotificationStatus.SENT
    row.sent_at = now
    row.next_attempt_at = None
    row.last_error = None
    if row.kind == digests.KIND:
        session.execute(
            update(Notification)
            .where(
                Notification.digest_id == row.id,
                Notification.status == NotificationStatus.HELD,
            )
            .values(status=NotificationStatus.SENT, sent_at=now)
            .execution_options(synchronize_session=False)
        )


def _record_failure(row: Notification, exc: BaseException, now: datetime, settings) -> None:
    row.last_error = describe_error(exc)
    if is_permanent(exc) or row.attempts >= settings.mail_max_attempts:
        row.status = NotificationStatus.FAILED
        row.next_attempt_at = None
        log.error("notification %s failed for good: %s", row.id, row.last_error)
    else:
        row.next_attempt_at = now + backoff(row.attempts)
        log.warning("notification %s will be retried: %s", row.id, row.last_error)


# --- daily jobs ---------------------------------------------------------------------------------


def _day_key(now: datetime) -> int:
    return int(now.strftime("%Y%m%d"))


def _done_today(session: Session, action: str, now: datetime) -> bool:
    return (
        session.scalar(
            select(AuditEvent.id).where(
                AuditEvent.entity_type == "worker",
                AuditEvent.entity_id == _day_key(now),
                AuditEvent.action == action,
            )
        )
        is not None
    )


def run_daily_jobs(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    urls: Urls | None = None,
) -> list[str]:
    """Run the jobs that are due today and not yet done (each at most once a day); today
    and the digest hour are those of ``settings.timezone``. ``urls`` gives the reminders and
    digests their links."""
    local = now.astimezone(get_timezone(settings.timezone))
    purged: list[privacy.Erasure] = []

    def purge(session: Session) -> int:
        purged.append(privacy.purge_expired(session, settings, now))
        return purged[-1].candidates

    jobs: list[tuple[str, bool, Callable[[Session], int]]] = [
        (
            "worker.offer_closing_scan",
            True,
            lambda s: len(notification_events.offers_closing_soon(s, now, urls=urls)),
        ),
        (
            "worker.digest",
            local.hour >= settings.digest_hour,
            lambda s: len(digests.send_digests(s, now, urls=urls, timezone=settings.timezone)),
        ),
        ("worker.retention_purge", True, purge),
        ("worker.close_expired_offers", True, lambda s: offers.close_expired(s, now)),
        ("worker.credit_states", True, lambda s: credits.refresh_states(s, now)),
    ]
    ran = []
    for action, due, job in jobs:
        if not due:
            continue
        try:
            with session_factory() as session, session.begin():
                if _done_today(session, action, local):
                    continue
                count = job(session)
                audit.record(session, None, action, "worker", _day_key(local), count=count)
        except IntegrityError:
            log.info("%s: another worker did it first", action)
            continue
        ran.append(action)
    if "worker.retention_purge" in ran:
        purged[-1].complete(settings)
    return ran


def semantic_tick(session: Session, settings: Settings) -> int:
    """Embed a batch of CVs (and the offers new or edited) under the current model, and
    score again the applications they concern; the number of applications rescored."""
    # The model runs for seconds: on SQLite the write lock is taken only once every vector of
    # the batch is computed (deferred begin, nothing flushed before the first write).
    write_late(session)
    with session.no_autoflush:
        cv_ids, offer_ids = semantic.embed_missing(session, settings, limit=semantic.BATCH)
    return scoring.rescore_embedded(session, settings, cv_ids, offer_ids)


def send_invitations(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    max_batches: int = 10,
) -> int:
    """Invitations recorded by a page or a command (referral.people.invitations), written into the
    outbox ``invitations.BATCH_SIZE`` accounts per transaction, up to ``max_batches`` per
    round; delivered below like every e-mail. Returns how many accounts were handled."""
    total = 0
    for _ in range(max_batches):
        with session_factory() as session, session.begin():
            count = invitations.send_queued(session, settings, now)
        if not count:
            break
        total += count
    return total


def roll_up_visits(session_factory: sessionmaker[Session], settings: Settings) -> int:
    """Add the visits recorded since the last tick to the analytics' roll-up (``visit_day``).

    The dashboards read the roll-up and never write it; this keeps them current to within a
    tick. When nothing is new it is one read, without SQLite's write lock; otherwise the
    lock is held only for the upsert of the last days.
    """
    with session_factory() as session, session.begin():
        write_late(session)
        return rollup.refresh_visit_days(session, settings.timezone)


def run_once(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime | None = None,
    backend: Backend | None = None,
    urls: Urls | None = None,
) -> DeliveryReport:
    """One tick of the worker: the daily jobs when due, then the due deliveries (``urls``:
    the links of the notifications it writes and of the e-mails' footer)."""
    now = now or utcnow()
    try:
        run_daily_jobs(session_factory, settings, now, urls)
    except Exception:  # noqa: BLE001 - a failing daily job must not hold up the deliveries
        log.exception("daily notification jobs failed; trying again at the next round")
    try:
        send_invitations(session_factory, settings, now)
    except Exception:  # noqa: BLE001 - the accounts stay marked: sent at the next round
        log.exception("queuing invitations failed; trying again at the next round")
    try:
        # An erasure asked for the matching index to be built without the erased CVs.
        with session_factory() as session:
            write_late(session)  # it reads for long and writes nothing: no write lock held
            scoring.rebuild_if_requested(session, settings)
    except Exception:  # noqa: BLE001 - the marker stays: tried again at the next round
        log.exception("building the matching index failed; trying again at the next round")
    try:
        # Vectors of new CVs and offers (never computed in a candidate's request), then the
        # applications they change scored again.
        with session_factory() as session, session.begin():
            semantic_tick(session, settings)
    except Exception:  # noqa: BLE001 - ranking goes on by words; tried again next round
        log.exception("embedding CVs and offers failed; trying again at the next round")
    try:
        # Journals of web processes that stopped or crashed (referral/sharing/visit_journal.py).
        visit_journal.load_orphans(session_factory, settings.instance_path / "visits")
    except Exception:  # noqa: BLE001 - must not hold up the deliveries either
        log.exception("loading orphan visit journals failed; trying again at the next round")
    try:
        roll_up_visits(session_factory, settings)
    except Exception:  # noqa: BLE001 - the pages say how old their figures are meanwhile
        log.exception("rolling up the visits failed; trying again at the next round")
    return deliver_due(session_factory, settings, now, backend=backend, urls=urls)


def run_forever(
    session_factory: sessionmaker[Session],
    settings: Settings,
    stop: threading.Event,
    clock: Callable[[], datetime] = utcnow,
    urls: Urls | None = None,
) -> None:
    """Tick every ``settings.worker_interval_s`` until ``stop`` is set; never dies on an error."""
    log.info("notification worker started (every %ss)", settings.worker_interval_s)
    while not stop.is_set():
        try:
            run_once(session_factory, settings, clock(), urls=urls)
        except Exception:  # noqa: BLE001 - a database outage must not end the loop
            log.exception("notification worker tick failed; trying again")
        stop.wait(settings.worker_interval_s)
    log.info("notification worker stopped")
