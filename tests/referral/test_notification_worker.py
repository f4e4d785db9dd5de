"""The worker with the file back-end: e-mails on disk, claims, backoff, failures, digests, daily jobs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from referral import worker
from referral.models import AuditEvent, Direction, Notification, NotificationPreference, Role
from referral.notifications import digests
from referral.notifications import events as notification_events
from referral.notifications import outbox as notifications
from referral.notifications import outbox_admin as outbox
from referral.notifications.mailer import build_message
from tests.notification_factories import queue_closing_notice

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
def settings(app):
    return app.extensions["relais"].settings


@pytest.fixture
def direction_tree(app, engine, make_direction):
    """``make_direction``, and a flat tree again at the end (the table is emptied in one DELETE)."""
    yield make_direction
    with engine.begin() as conn:
        conn.execute(update(Direction).values(parent_id=None))


def closing(session, user, n=1, when=NOW):
    return queue_closing_notice(session, user, n, when=when)


class Refusing:
    """A back-end whose server is down."""

    def __init__(self):
        self.calls = 0

    def deliver(self, row, message):
        self.calls += 1
        raise ConnectionRefusedError(111, "Connection refused")

    def close(self):
        pass


def emls(settings):
    return sorted(settings.outbox_path.glob("*.eml"))


def test_file_backend_writes_a_multipart_eml_in_the_recipients_language(
    session, sessions, settings, make_user
):
    manager = make_user(Role.MANAGER, first_name="Zoé", last_name="Dupré", locale="en")
    row = closing(session, manager)
    session.commit()

    report = worker.deliver_due(sessions, settings, NOW)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    files = emls(settings)
    assert len(files) == 1
    assert files[0].name.startswith("20261127-080000-")
    assert not list(settings.outbox_path.glob(".tmp-*"))
    raw = files[0].read_bytes()
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert mail["Message-ID"] == row.message_id
    assert mail["To"].addresses[0].display_name == "Zoé Dupré"
    assert mail["To"].addresses[0].addr_spec == manager.email
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n")[0]  # the name is encoded in the header
    assert mail["From"] == settings.sender
    # No RELAIS_MAIL_FROM: the sender is the organisation, which candidates know.
    assert mail["From"].addresses[0].display_name == settings.organisation_name
    assert mail["Reply-To"] is None  # staff mail: no reply address
    assert mail["Content-Language"] == "en"
    assert mail["Date"] is not None
    assert mail["Subject"] == "Your offer “Juriste 1” closes on December 1, 2026"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "closes in 3 days" in text
    assert "http://localhost/account/#notifications" in text
    assert 'href="http://localhost/account/#notifications"' in html

    session.expire_all()
    stored = session.get(Notification, row.id)
    assert stored.status == "sent" and stored.sent_at == NOW and stored.attempts == 1
    # Nothing more to send: a second run claims nothing and writes nothing.
    assert worker.deliver_due(sessions, settings, NOW + timedelta(hours=1)).claimed == 0
    assert len(emls(settings)) == 1


def test_french_recipient_gets_french(session, sessions, settings, make_user):
    manager = make_user(Role.MANAGER, locale="fr")
    closing(session, manager)
    session.commit()
    worker.deliver_due(sessions, settings, NOW)
    mail = message_from_bytes(emls(settings)[0].read_bytes(), policy=policy.default)
    assert mail["Content-Language"] == "fr"
    assert mail["Subject"] == "Votre offre « Juriste 1 » se clôt le 1 décembre 2026"
    assert "paramètres de notification" in mail.get_body(("plain",)).get_content()


def test_outside_recipients_are_told_why_they_receive_the_mail(settings):
    row = Notification(
        recipient_id=None,
        recipient_email="lea@example.org",
        recipient_name="Léa",
        locale="en",
        kind="receipt",
        subject="We received your application",
        body_text="Thank you.",
        body_html="<html><body><p>Thank you.</p></body></html>",
        message_id="<x@relais.local>",
        created_at=NOW,
    )
    mail = build_message(row, settings)
    text = mail.get_body(("plain",)).get_content()
    assert "because you applied to an offer of" in text
    assert "/account/" not in text


def test_backoff_grows_and_is_capped():
    assert timedelta(seconds=30) <= worker.backoff(1) <= timedelta(seconds=33)
    assert timedelta(seconds=60) <= worker.backoff(2) <= timedelta(seconds=66)
    assert timedelta(seconds=240) <= worker.backoff(4) <= timedelta(seconds=264)
    assert worker.backoff(30) <= worker.max_backoff() == timedelta(seconds=3960)


def test_failures_back_off_then_fail_after_max_attempts_and_admin_retry_sends(
    session, sessions, settings, make_user
):
    settings = dataclasses.replace(settings, mail_max_attempts=3)
    manager = make_user(Role.MANAGER)
    admin = make_user(Role.ADMIN)
    row = closing(session, manager)
    session.commit()
    down = Refusing()

    first = worker.deliver_due(sessions, settings, NOW, backend=down)
    assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
    session.expire_all()
    row = session.get(Notification, row.id)
    assert row.status == "pending" and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert NOW + timedelta(seconds=30) <= row.next_attempt_at <= NOW + timedelta(seconds=33)

    # Not due again before the backoff has passed.
    assert (
        worker.deliver_due(sessions, settings, NOW + timedelta(seconds=29), backend=down).claimed
        == 0
    )
    second = worker.deliver_due(sessions, settings, NOW + timedelta(seconds=34), backend=down)
    assert second.retrying == 1
    session.expire_all()
    row = session.get(Notification, row.id)
    assert row.attempts == 2
    delay = row.next_attempt_at - (NOW + timedelta(seconds=34))
    assert timedelta(seconds=60) <= delay <= timedelta(seconds=66)

    third = worker.deliver_due(sessions, settings, NOW + timedelta(minutes=5), backend=down)
    assert third.failed == 1
    session.expire_all()
    row = session.get(Notification, row.id)
    assert row.status == "failed" and row.attempts == 3 and row.next_attempt_at is None
    assert down.calls == 3
    assert (
        worker.deliver_due(sessions, settings, NOW + timedelta(days=1), backend=down).claimed == 0
    )
    assert emls(settings) == []

    outbox.retry(session, row.id, actor=admin, now=NOW + timedelta(days=1))
    session.commit()
    again = worker.deliver_due(sessions, settings, NOW + timedelta(days=1))
    assert again.sent == 1
    session.expire_all()
    assert session.get(Notification, row.id).status == "sent"
    assert len(emls(settings)) == 1


def test_a_claim_is_exclusive_until_its_lease_ends(session, sessions, make_user):
    manager = make_user(Role.MANAGER)
    for n in range(3):
        closing(session, manager, n)
    session.commit()
    with sessions() as first, first.begin():
        mine = worker.claim_due(first, NOW, 10)
    with sessions() as second, second.begin():
        theirs = worker.claim_due(second, NOW, 10)
    assert len(mine) == 3 and theirs == []
    # A worker that died after claiming: the rows are due again when the lease ends.
    with sessions() as third, third.begin():
        assert worker.claim_due(third, NOW + worker.LEASE + timedelta(seconds=1), 10) == mine


def test_held_rows_go_out_in_the_next_digest(session, sessions, settings, make_user):
    manager = make_user(Role.MANAGER, locale="en")
    other = make_user(Role.MANAGER)
    session.add(NotificationPreference(user_id=manager.id, kind="offer_closing", mode="digest"))
    session.commit()
    held = [closing(session, manager, n) for n in (1, 2)]
    immediate = closing(session, other, 3)
    session.commit()
    assert [r.status for r in held] == ["held", "held"]

    report = worker.deliver_due(sessions, settings, NOW)
    assert report.sent == 1  # only the other manager's, at once
    later = NOW + timedelta(hours=1)
    queued = digests.send_digests(session, later, "http://localhost")
    session.commit()
    assert len(queued) == 1 and queued[0].recipient_id == manager.id
    assert digests.send_digests(session, later, "http://localhost") == []  # nothing twice

    assert worker.deliver_due(sessions, settings, later).sent == 1
    session.expire_all()
    rows = session.scalars(
        select(Notification).where(Notification.recipient_id == manager.id)
    ).all()
    digest = next(r for r in rows if r.kind == "digest")
    assert digest.status == "sent"
    for row in held:
        row = session.get(Notification, row.id)
        assert row.status == "sent" and row.digest_id == digest.id and row.sent_at == later
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in emls(settings)]
    digest_mail = next(m for m in mails if m["Message-ID"] == digest.message_id)
    assert digest_mail["Subject"] == "Your Relais digest: 2 notifications"
    body = digest_mail.get_body(("plain",)).get_content()
    assert "Juriste 1" in body and "Juriste 2" in body and "Juriste 3" not in body
    assert immediate.message_id != digest.message_id


def test_daily_jobs_run_once_a_day_and_the_digest_at_its_hour(
    session, sessions, settings, make_user, make_offer
):
    settings = dataclasses.replace(settings, digest_hour=7, timezone="UTC")
    manager = make_user(Role.MANAGER)
    offer = make_offer(hiring_manager=manager, closing_date=date(2026, 11, 30))
    make_offer(closing_date=date(2026, 12, 15))  # too far away
    early = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)

    assert worker.run_daily_jobs(sessions, settings, early) == [
        "worker.offer_closing_scan",
        "worker.retention_purge",
        "worker.close_expired_offers",
    ]
    assert worker.run_daily_jobs(sessions, settings, early + timedelta(hours=1)) == []
    assert worker.run_daily_jobs(sessions, settings, NOW) == ["worker.digest"]
    assert worker.run_daily_jobs(sessions, settings, NOW + timedelta(hours=2)) == []
    # The next day the scan runs again, but the reminder for this closing date is not repeated.
    assert "worker.offer_closing_scan" in worker.run_daily_jobs(
        sessions, settings, NOW + timedelta(days=1)
    )

    reminders = session.scalars(
        select(Notification).where(Notification.kind == "offer_closing")
    ).all()
    assert len(reminders) == 1
    assert reminders[0].recipient_id == manager.id
    assert offer.title in reminders[0].subject
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "worker.digest")) is not None
    )


def test_closing_today_and_in_three_days(session, make_user, make_offer):
    today = make_offer(closing_date=NOW.date())
    in_three = make_offer(closing_date=NOW.date() + timedelta(days=3))
    make_offer(closing_date=NOW.date() + timedelta(days=4))
    make_offer(closing_date=NOW.date() - timedelta(days=1))
    make_offer(status="draft", closing_date=NOW.date() + timedelta(days=1))
    rows = notification_events.offers_closing_soon(session, NOW, "http://localhost")
    session.commit()
    assert sorted(r.recipient_id for r in rows) == sorted(
        [today.hiring_manager_id, in_three.hiring_manager_id]
    )
    assert all(r.link_url == "http://localhost/manager/" for r in rows)
    assert notification_events.offers_closing_soon(session, NOW, "http://localhost") == []


def test_new_offer_reaches_the_agents_of_the_direction_who_opted_in(
    session, make_user, direction_tree, make_offer
):
    make_direction = direction_tree
    top = make_direction("Direction des solidarités")
    below = make_direction("Service de l'autonomie", parent=top)
    elsewhere = make_direction("Direction des routes")
    opted_in = make_user(direction_id=top.id)
    opted_in_below = make_user(direction_id=below.id, locale="en")
    not_opted = make_user(direction_id=top.id)
    opted_out = make_user(direction_id=below.id)
    outside = make_user(direction_id=elsewhere.id)
    for user, mode in (
        (opted_in, "immediate"),
        (opted_in_below, "digest"),
        (opted_out, "off"),
        (outside, "immediate"),
    ):
        session.add(NotificationPreference(user_id=user.id, kind="new_offer", mode=mode))
    session.commit()
    offer = make_offer(direction=top, title="Travailleur social")

    rows = notification_events.offer_published(session, offer, NOW, base_url="http://localhost")
    session.commit()
    by_user = {r.recipient_id: r for r in rows}
    assert set(by_user) == {opted_in.id, opted_in_below.id}
    assert by_user[opted_in.id].status == "pending"
    assert by_user[opted_in_below.id].status == "held"
    assert by_user[opted_in_below.id].subject == "New offer to share: Travailleur social"
    assert by_user[opted_in.id].link_url == "http://localhost/agent/"
    assert not_opted.id not in by_user and outside.id not in by_user
    # Published again (or the call repeated): nobody is told twice.
    assert (
        notification_events.offer_published(session, offer, NOW, base_url="http://localhost") == []
    )


def test_new_offer_ignores_drafts_and_offers_without_direction(session, make_user, make_offer):
    draft = make_offer(status="draft")
    assert notification_events.offer_published(session, draft, NOW) == []


def test_concurrent_workers_send_each_row_once(session, sessions, settings, make_user):
    import threading

    manager = make_user(Role.MANAGER)
    for n in range(30):
        closing(session, manager, n)
    session.commit()
    delivered: list[str] = []
    lock = threading.Lock()

    class Recording:
        def deliver(self, row, message):
            with lock:
                delivered.append(row.message_id)

        def close(self):
            pass

    def run():
        for _ in range(5):
            worker.deliver_due(sessions, settings, NOW, limit=4, backend=Recording())

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(delivered) == 30 and len(set(delivered)) == 30
    statuses = session.scalars(
        select(Notification.status).execution_options(populate_existing=True)
    )
    assert set(statuses) == {"sent"}


def test_a_failing_daily_job_does_not_hold_up_deliveries(
    session, sessions, settings, make_user, monkeypatch
):
    def broken(*_args, **_kwargs):
        raise RuntimeError("scan broken")

    monkeypatch.setattr(notification_events, "offers_closing_soon", broken)
    closing(session, make_user(Role.MANAGER))
    session.commit()
    assert worker.run_once(sessions, settings, NOW).sent == 1


def test_a_password_reset_does_not_claim_to_come_from_the_settings(session, settings, make_user):
    user = make_user(locale="en")
    row = notifications.notify(session, "password_reset", user=user, link="http://localhost/r/x")
    text = build_message(row, settings).get_body(("plain",)).get_content()
    assert "notification settings" not in text
    assert "because of a request made to" in text


def test_the_digest_hour_and_the_digests_times_are_those_of_the_time_zone(
    session, sessions, settings, make_user
):
    settings = dataclasses.replace(settings, digest_hour=7, timezone="Europe/Paris")
    manager = make_user(Role.MANAGER, locale="en")
    session.add(NotificationPreference(user_id=manager.id, kind="offer_closing", mode="digest"))
    session.commit()
    closing(session, manager, 1, when=datetime(2026, 11, 26, 15, 30, tzinfo=UTC))
    session.commit()
    # 05:59 UTC is 06:59 in Paris (winter time, UTC+1): not yet; 06:00 UTC is 07:00 there.
    early = datetime(2026, 11, 27, 5, 59, tzinfo=UTC)
    on_time = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    assert "worker.digest" not in worker.run_daily_jobs(sessions, settings, early)
    assert worker.run_daily_jobs(sessions, settings, on_time) == ["worker.digest"]
    digest = session.scalars(select(Notification).where(Notification.kind == "digest")).one()
    assert "4:30" in digest.body_text and "3:30" not in digest.body_text  # 16:30 in Paris


def test_each_footer_offers_what_the_settings_can_change(session, settings, make_user):
    manager = make_user(Role.MANAGER, locale="en")
    context = {"offer_title": "Juriste", "candidate_name": "Léa Petit", "score": 91}
    context |= {"source_label": "careers site", "reason": ""}
    strong = notifications.notify(session, "strong_match", user=manager, context=context)
    mail = build_message(strong, settings)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Strong matches are always sent at once, whatever your notification settings." in text
    assert "in a daily digest or not at all" not in text
    assert "Your settings for the other notifications:\nhttp://localhost/account/" in text
    assert "Strong matches are always sent at once" in html
    assert "because of your notification settings" not in html

    items = [{"subject": "Juriste", "link": None, "at": NOW}]
    digest = notifications.notify(
        session, digests.KIND, user=manager, context={"items": items, "count": 1}
    )
    text = build_message(digest, settings).get_body(("plain",)).get_content()
    assert "some of your notifications are set to the daily digest" in text
    assert "in a daily digest or not at all" not in text

    settable = build_message(closing(session, manager), settings).get_body(("plain",))
    assert "at once, in a daily digest or not at all" in settable.get_content()


@pytest.mark.parametrize(
    "name",
    [
        'Jean-Baptiste, dit "Le Grand", de la Fontaine, attacker@evil.example, Mc Donald Smith',
        "a" * 200 + ", bob@evil.example",
        "Éléonore " + "Marie-Thérèse, " * 6 + "x@evil.example",
        "Zoé <zoe@evil.example>; (cc) other@evil.example\r\nBcc: spy@evil.example",
    ],
)
def test_a_long_or_odd_name_never_adds_a_recipient(settings, name):
    from email.utils import getaddresses

    row = Notification(
        recipient_id=None,
        recipient_email="lea@example.org",
        recipient_name=name,
        locale="en",
        kind="receipt",
        subject="We received your application",
        body_text="Thank you.",
        body_html="<html><body><p>Thank you.</p></body></html>",
        message_id="<x@relais.local>",
        created_at=NOW,
    )
    raw = build_message(row, settings).as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    recipients = getaddresses(parsed.get_all("To") + (parsed.get_all("Cc") or []))
    assert [address for _, address in recipients] == ["lea@example.org"]
    assert parsed.get_all("Bcc") is None
