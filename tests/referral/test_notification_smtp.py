"""Faults against a real SMTP server (aiosmtpd on 127.0.0.1): nothing is lost, nothing doubled."""

from __future__ import annotations

import dataclasses
import socket
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from referral import worker
from referral.models import Notification, Role
from referral.notifications import outbox as notifications
from referral.notifications.mailer import SMTPBackend
from tests.notification_factories import queue_closing_notice

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


class Recorder:
    """An aiosmtpd handler that keeps every message and refuses the addresses in ``refuse``
    (with ``refusal``: by default a temporary one)."""

    def __init__(self):
        self.received: list[tuple[list[str], bytes]] = []
        self.refuse: set[str] = set()
        self.refusal = "450 4.2.1 Mailbox busy, try again later"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """Start/stop an SMTP server on a fixed free port of 127.0.0.1 (restartable on that port)."""

    class Server:
        def __init__(self):
            self.port = free_port()
            self.handler = Recorder()
            self.controller: Controller | None = None

        def start(self):
            self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
            self.controller.start()

        def stop(self):
            if self.controller is not None:
                self.controller.stop()
                self.controller = None

    server = Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(app, smtp_server):
    return dataclasses.replace(
        app.extensions["relais"].settings,
        mail_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_security="none",
        smtp_timeout=3.0,
    )


class StopsServerAfter:
    """The real SMTP back-end; the server is stopped right after the ``n``-th hand-over."""

    def __init__(self, settings, server, n):
        self.inner, self.server, self.n, self.count = SMTPBackend(settings), server, n, 0

    def deliver(self, row, message):
        self.inner.deliver(row, message)
        self.count += 1
        if self.count == self.n:
            self.server.stop()

    def close(self):
        self.inner.close()


def queue_mixed(session, make_user) -> list[Notification]:
    rows = []
    for n, locale in enumerate(["fr", "en", "fr", "en"]):
        manager = make_user(Role.MANAGER, locale=locale, first_name=f"Zoé{n}")
        rows.append(queue_closing_notice(session, manager, n, title=f"Offre {n}", when=NOW))
    for n, locale in enumerate(["en", "fr"]):
        rows.append(
            notifications.notify(
                session,
                "password_reset",
                email=f"outside{n}@example.org",
                name=f"Outside {n}",
                locale=locale,
                link="http://localhost/password/reset/x",
                now=NOW,
            )
        )
    session.commit()
    return rows


def received_by_message_id(handler) -> dict[str, tuple[list[str], object]]:
    counts = Counter()
    found = {}
    for rcpts, raw in handler.received:
        mail = message_from_bytes(raw, policy=policy.default)
        counts[mail["Message-ID"]] += 1
        found[mail["Message-ID"]] = (rcpts, mail)
    assert all(c == 1 for c in counts.values()), counts
    return found


def test_server_stopped_mid_run_then_restarted_every_message_arrives_once(
    session, app, smtp_server, smtp_settings, make_user
):
    sessions = app.extensions["relais"].sessions
    rows = queue_mixed(session, make_user)

    first = worker.deliver_due(
        sessions, smtp_settings, NOW, backend=StopsServerAfter(smtp_settings, smtp_server, 3)
    )
    assert (first.sent, first.retrying, first.failed) == (3, 3, 0)
    assert len(smtp_server.handler.received) == 3
    session.expire_all()
    states = {r.id: session.get(Notification, r.id) for r in rows}
    waiting = [r for r in states.values() if r.status == "pending"]
    assert len(waiting) == 3
    for row in waiting:
        assert row.attempts == 1 and row.last_error
        assert row.next_attempt_at > NOW
    for row in waiting:
        assert row.last_error.startswith("server unavailable: ConnectionRefusedError")

    smtp_server.start()  # the same port again
    assert worker.deliver_due(sessions, smtp_settings, NOW + timedelta(seconds=1)).claimed == 0
    second = worker.deliver_due(sessions, smtp_settings, NOW + worker.max_backoff())
    assert (second.sent, second.retrying, second.failed) == (3, 0, 0)
    assert worker.deliver_due(sessions, smtp_settings, NOW + timedelta(days=1)).claimed == 0

    got = received_by_message_id(smtp_server.handler)
    session.expire_all()
    all_rows = session.scalars(select(Notification)).all()
    assert {r.message_id for r in all_rows} == set(got)
    for row in all_rows:
        rcpts, mail = got[row.message_id]
        assert row.status == "sent"
        assert rcpts == [row.recipient_email]
        assert mail["To"].addresses[0].addr_spec == row.recipient_email
        assert mail["Subject"] == row.subject
        assert mail["Content-Language"] == row.locale
    french = next(r for r in all_rows if r.kind == "password_reset" and r.locale == "fr")
    assert got[french.message_id][1]["Subject"] != "Reset your Relais password"


def test_temporarily_refused_recipient_is_retried_then_accepted(
    session, app, smtp_server, smtp_settings
):
    sessions = app.extensions["relais"].sessions
    smtp_server.handler.refuse = {"bounce@example.org"}
    refused, fine = (
        notifications.notify(
            session, "password_reset", email=email, locale="en", link="http://localhost/x", now=NOW
        )
        for email in ("bounce@example.org", "fine@example.org")
    )
    session.commit()

    first = worker.deliver_due(sessions, smtp_settings, NOW)
    assert (first.sent, first.retrying) == (1, 1)
    session.expire_all()
    row = session.get(Notification, refused.id)
    assert row.status == "pending" and row.attempts == 1
    assert "recipient refused" in row.last_error and "450" in row.last_error
    assert session.get(Notification, fine.id).status == "sent"

    smtp_server.handler.refuse = set()
    second = worker.deliver_due(sessions, smtp_settings, NOW + worker.max_backoff())
    assert second.sent == 1
    got = received_by_message_id(smtp_server.handler)
    assert got[refused.message_id][0] == ["bounce@example.org"]
    assert got[fine.message_id][0] == ["fine@example.org"]
    session.expire_all()
    assert session.get(Notification, refused.id).status == "sent"


def test_a_dropped_connection_is_opened_again(session, app, smtp_server, smtp_settings):
    sessions = app.extensions["relais"].sessions
    backend = SMTPBackend(smtp_settings)  # one connection kept across both runs
    for n in range(2):
        notifications.notify(
            session,
            "password_reset",
            email=f"p{n}@example.org",
            locale="en",
            link="http://localhost/x",
            now=NOW + timedelta(seconds=n),
        )
    session.commit()
    assert worker.deliver_due(sessions, smtp_settings, NOW, limit=1, backend=backend).sent == 1
    smtp_server.stop()  # the server closes the idle connection...
    smtp_server.start()  # ...and is back at once
    second = worker.deliver_due(
        sessions, smtp_settings, NOW + timedelta(seconds=1), backend=backend
    )
    backend.close()
    assert second.sent == 1
    assert len(received_by_message_id(smtp_server.handler)) == 2


def test_a_recipient_refused_for_good_fails_at_once_and_the_others_go(
    session, app, smtp_server, smtp_settings
):
    sessions = app.extensions["relais"].sessions
    smtp_server.handler.refuse = {"nobody@example.org"}
    smtp_server.handler.refusal = "550 5.1.1 Mailbox unavailable"
    refused, fine = (
        notifications.notify(
            session, "password_reset", email=email, locale="en", link="http://localhost/x", now=NOW
        )
        for email in ("nobody@example.org", "fine@example.org")
    )
    session.commit()

    report = worker.deliver_due(sessions, smtp_settings, NOW)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 1)
    session.expire_all()
    row = session.get(Notification, refused.id)
    assert row.status == "failed" and row.attempts == 1 and row.next_attempt_at is None
    assert "550" in row.last_error
    # Nothing is tried again on its own (an admin can, from the delivery page).
    assert worker.deliver_due(sessions, smtp_settings, NOW + worker.max_backoff()).claimed == 0
