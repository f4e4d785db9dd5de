"""The visit journal of ``/r/<code>``: appended before the redirect, loaded in batches, never
lost on a crash and never counted twice (referral/sharing/visit_journal.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from referral.analytics import rollup
from referral.local_calendar import local_day_number
from referral.models import ShareLink, Visit, VisitDay, VisitJournalMark, utcnow
from referral.sharing import visit_journal, visit_writer
from referral.sharing.touches import COOKIE_NAME
from tests.offer_helpers import PERSON_UA, make_link

ROOT = Path(__file__).resolve().parents[2]

# A web process in miniature: appends visits to its journal, then stops as told.
CHILD = textwrap.dedent(
    """
    import os, sys, threading
    from datetime import timedelta
    from referral.db import make_engine, session_factory
    from referral.models import utcnow
    from referral.sharing.visit_journal import Journal

    url, directory, link_id, threads, per_thread, people, interval, rotate, end = sys.argv[1:]
    journal = Journal(directory, session_factory(make_engine(url)), float(interval), int(rotate))
    now = utcnow()

    def write(t):
        for i in range(int(per_thread)):
            at = now + timedelta(microseconds=t * 100000 + i)
            journal.append(int(link_id), at, f"person-{i % int(people)}", i % 10 == 9, "x.example")

    workers = [threading.Thread(target=write, args=(t,)) for t in range(int(threads))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if end == "loaded-then-crash":
        journal.load_pending()  # committed; the crash comes before the file is deleted
    if end == "close":
        journal.close()
        sys.exit(0)
    os._exit(9)  # a crash: no clean-up, no atexit
    """
)


def run_child(
    url,
    directory,
    link_id,
    *,
    threads=1,
    per_thread=10,
    people=3,
    interval=3600.0,
    rotate=1 << 30,
    end="crash",
    wait=True,
):
    command = [
        sys.executable,
        "-c",
        CHILD,
        url,
        str(directory),
        str(link_id),
        str(threads),
        str(per_thread),
        str(people),
        str(interval),
        str(rotate),
        end,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if wait:
        process.wait(60)
    return process


@pytest.fixture
def link(session, make_offer, make_user):
    return make_link(session, make_offer(), make_user(), "linkedin")


@pytest.fixture
def journals(instance_path) -> Path:
    return instance_path / "visits"


def rows_and_counters(session, link):
    session.expire_all()
    visits = list(session.scalars(select(Visit).where(Visit.link_id == link.id).order_by(Visit.id)))
    fresh = session.get(ShareLink, link.id)
    return visits, (fresh.visits_count, fresh.people_count, fresh.bot_count)


def load_all(app, journals) -> int:
    return visit_journal.load_orphans(app.extensions["relais"].sessions, journals)


# --- through HTTP ---------------------------------------------------------------------------


@pytest.fixture
def journal_app(app, app_config):
    """A second app on the same (emptied) database, with the journal; loads only when told."""
    from web import create_app

    config = {
        **app_config,
        "RELAIS_VISIT_JOURNAL": "true",
        "RELAIS_VISIT_JOURNAL_INTERVAL_S": "3600",
    }
    application = create_app(config)
    yield application
    application.wsgi_app.journal.close()
    application.extensions["relais"].engine.dispose()


def test_a_journaled_visit_is_redirected_at_once_and_counted_when_loaded(
    journal_app, session, link, journals
):
    client = journal_app.test_client()
    for agent in (PERSON_UA, PERSON_UA, PERSON_UA + " Other"):
        response = client.get(
            f"/r/{link.code}", headers={"User-Agent": agent, "Referer": "https://t.co/x"}
        )
        assert response.status_code == 302
        assert f"ref={link.code}" in response.headers["Location"]
        assert any(c.startswith(COOKIE_NAME) for c in response.headers.getlist("Set-Cookie"))
    # Journaled, not yet in the database: the page would show the previous counts.
    assert rows_and_counters(session, link) == ([], (0, 0, 0))
    assert journal_app.wsgi_app.journal.load_pending() == 3
    visits, counters = rows_and_counters(session, link)
    assert [v.is_new_person for v in visits] == [True, False, True]
    assert {v.referrer_host for v in visits} == {"t.co"}
    assert counters == (3, 2, 0)
    assert visit_writer.counters_match_rows(session, link.id)
    # Loaded once: loading again changes nothing.
    assert journal_app.wsgi_app.journal.load_pending() == 0
    assert rows_and_counters(session, link)[1] == (3, 2, 0)


def test_a_clean_shutdown_loads_and_deletes_the_journal(journal_app, session, link, journals):
    client = journal_app.test_client()
    client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert list(journals.glob("*.jnl"))
    journal_app.wsgi_app.journal.close()
    assert rows_and_counters(session, link)[1] == (1, 1, 0)
    assert not list(journals.glob("*.jnl"))
    assert session.scalar(select(func.count()).select_from(VisitJournalMark)) == 0


def test_an_unwritable_journal_falls_back_to_writing_the_visit(
    journal_app, session, link, monkeypatch
):
    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(visit_journal.Journal, "append", broken)
    client = journal_app.test_client()
    response = client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert response.status_code == 302
    assert rows_and_counters(session, link)[1] == (1, 1, 0)  # written before the answer


def test_the_journal_is_rotated_without_losing_a_visit(journal_app, session, link, journals):
    journal = journal_app.wsgi_app.journal
    journal.rotate_bytes = 300  # a few records per file
    client = journal_app.test_client()
    for n in range(12):
        client.get(f"/r/{link.code}", headers={"User-Agent": f"{PERSON_UA} {n % 4}"})
        if n % 3 == 2:
            journal.load_pending()
    journal.load_pending()
    assert len(list(journals.glob("*.jnl"))) == 1  # only the current file is left
    assert rows_and_counters(session, link)[1] == (12, 4, 0)
    assert visit_writer.counters_match_rows(session, link.id)


# --- crashes --------------------------------------------------------------------------------


def test_visits_of_a_crashed_process_are_loaded_on_the_next_start(
    app_config, database_url, session, link, journals
):
    run_child(database_url, journals, link.id, per_thread=10, people=3, end="crash")
    assert len(list(journals.glob("*.jnl"))) == 1
    assert rows_and_counters(session, link)[1] == (0, 0, 0)
    from web import create_app

    # The next web process loads the orphan on startup, in its loader thread.
    app = create_app({**app_config, "RELAIS_VISIT_JOURNAL": "true"})
    try:
        deadline = time.monotonic() + 10
        while list(journals.glob("*.jnl")) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        app.wsgi_app.journal.close()
        app.extensions["relais"].engine.dispose()
    assert not list(journals.glob("*.jnl"))
    visits, counters = rows_and_counters(session, link)
    assert len(visits) == 10
    assert counters == (9, 3, 1)  # 9 people's visits (3 people), 1 bot
    assert visit_writer.counters_match_rows(session, link.id)


def test_a_crash_between_the_commit_and_the_deletion_never_counts_twice(
    app, database_url, session, link, journals
):
    run_child(database_url, journals, link.id, per_thread=20, people=4, end="loaded-then-crash")
    # Loaded and committed by the child, but its file is still there.
    assert len(list(journals.glob("*.jnl"))) == 1
    assert rows_and_counters(session, link)[1] == (18, 4, 2)
    assert load_all(app, journals) == 0
    assert not list(journals.glob("*.jnl"))
    visits, counters = rows_and_counters(session, link)
    assert len(visits) == 20 and counters == (18, 4, 2)
    assert visit_writer.counters_match_rows(session, link.id)


def test_a_cut_last_line_and_an_unreadable_line_are_skipped(app, session, link, journals):
    journals.mkdir()
    now = utcnow()
    good = visit_journal.encode(link.id, now, "person-a", False, None)
    later = visit_journal.encode(link.id, now + timedelta(seconds=1), "person-b", False, None)
    (journals / "1-1-dead.jnl").write_bytes(good + b"garbage\n" + later + later[:7])
    assert load_all(app, journals) == 2
    assert rows_and_counters(session, link)[1] == (2, 2, 0)
    assert not list(journals.glob("*.jnl"))


def test_a_journal_held_by_a_live_process_is_left_to_it(app, database_url, session, link, journals):
    child = run_child(database_url, journals, link.id, per_thread=5, end="close", wait=False)
    child.wait(60)
    # A clean stop loads and deletes its own file.
    assert child.returncode == 0
    assert not list(journals.glob("*.jnl"))
    assert rows_and_counters(session, link)[1] == (5, 3, 0)
    journal = visit_journal.Journal(journals, app.extensions["relais"].sessions, interval=3600)
    try:
        journal.append(link.id, utcnow(), "person-x", False, None)
        assert load_all(app, journals) == 0  # held (flock) by this live journal
        assert journal.load_pending() == 1
    finally:
        journal.close()


# --- the 24-hour rule and the roll-up, at loading time ----------------------------------------


def test_people_are_counted_once_per_24_hours_across_batches_and_rows(app, session, link):
    sessions = app.extensions["relais"].sessions
    now = utcnow()
    # Already in the database, written by the synchronous path: person-a two hours ago.
    with sessions() as s, s.begin():
        visit_writer.record_visit(
            s, link.id, "person-a", bot=False, referrer_host=None, now=now - timedelta(hours=2)
        )
    records = [
        visit_journal.JournalRecord(0, link.id, now - timedelta(hours=30), "person-b", False, None),
        visit_journal.JournalRecord(10, link.id, now, "person-a", False, None),
        visit_journal.JournalRecord(20, link.id, now, "person-b", False, None),
        visit_journal.JournalRecord(
            30, link.id, now - timedelta(hours=29), "person-b", False, None
        ),
        visit_journal.JournalRecord(40, link.id, now, "person-c", True, None),
        visit_journal.JournalRecord(50, 999999, now, "person-d", False, None),  # link deleted
    ]
    with sessions() as s, s.begin():
        assert visit_journal.load_records(s, "batch", records, 60) == 5
    visits, counters = rows_and_counters(session, link)
    new = {(v.visitor_hash, v.occurred_at): v.is_new_person for v in visits}
    assert new[("person-a", now)] is False  # seen two hours before
    assert new[("person-b", now - timedelta(hours=30))] is True
    assert new[("person-b", now - timedelta(hours=29))] is False  # an hour after
    assert new[("person-b", now)] is True  # 29 hours after: counted again
    assert counters == (5, 3, 1)
    assert visit_writer.counters_match_rows(session, link.id)
    # The same batch again (a replay after a crash) is skipped by the mark.
    with sessions() as s, s.begin():
        assert visit_journal.load_records(s, "batch", records, 60) == 0
    assert rows_and_counters(session, link)[1] == (5, 3, 1)


def _rolled_up_then_rebuilt(sessions, zone):
    """The roll-up's (day, visits, people) rows brought up to date, then rebuilt from scratch."""
    with sessions() as s, s.begin():
        rollup.refresh_visit_days(s, zone)
        incremental = sorted(s.execute(select(VisitDay.day, VisitDay.visits, VisitDay.people)))
        rollup.refresh_visit_days(s, zone, rebuild=True)
        rebuilt = sorted(s.execute(select(VisitDay.day, VisitDay.visits, VisitDay.people)))
    return incremental, rebuilt


def test_a_late_visit_of_a_day_already_rolled_up_is_added_to_it(app, session, link):
    sessions = app.extensions["relais"].sessions
    zone = app.extensions["relais"].settings.timezone
    now = utcnow()
    with sessions() as s, s.begin():
        visit_writer.record_visit(
            s, link.id, "person-a", bot=False, referrer_host=None, now=now - timedelta(days=3)
        )
        visit_writer.record_visit(s, link.id, "person-b", bot=False, referrer_host=None, now=now)
    with sessions() as s, s.begin():
        rollup.refresh_visit_days(s, zone)
    late = [
        visit_journal.JournalRecord(
            0, link.id, now - timedelta(days=3, microseconds=1), "person-c", False, None
        )
    ]
    with sessions() as s, s.begin():
        visit_journal.load_records(s, "late", late, 10)
    incremental, rebuilt = _rolled_up_then_rebuilt(sessions, zone)
    assert incremental == rebuilt
    # The day is the organisation's (Europe/Paris): not the UTC date between 22:00 and 24:00.
    assert (local_day_number(now - timedelta(days=3), zone), 2, 2) in rebuilt


def test_a_late_visit_late_in_the_evening_goes_to_the_local_day_not_the_utc_date(
    app, session, link
):
    """23:30 UTC is already the next day in Paris: the late visit joins that day's row."""
    sessions = app.extensions["relais"].sessions
    zone = app.extensions["relais"].settings.timezone
    now = utcnow()
    evening = datetime.combine(now.date() - timedelta(days=3), clock_time(23, 30), tzinfo=UTC)
    with sessions() as s, s.begin():
        visit_writer.record_visit(
            s, link.id, "person-a", bot=False, referrer_host=None, now=evening
        )
        visit_writer.record_visit(s, link.id, "person-b", bot=False, referrer_host=None, now=now)
    with sessions() as s, s.begin():
        rollup.refresh_visit_days(s, zone)
    late = [visit_journal.JournalRecord(0, link.id, evening, "person-c", False, None)]
    with sessions() as s, s.begin():
        visit_journal.load_records(s, "late-evening", late, 10)
    incremental, rebuilt = _rolled_up_then_rebuilt(sessions, zone)
    assert incremental == rebuilt
    assert (local_day_number(evening, zone), 2, 2) in rebuilt
    assert local_day_number(evening, zone) != local_day_number(evening, "UTC")


# --- many writers ---------------------------------------------------------------------------


def test_concurrent_writers_in_several_processes_lose_nothing(
    app, database_url, session, link, journals
):
    threads, per_thread, people = 4, 150, 7
    ends = ["close", "crash", "loaded-then-crash"]
    children = [
        run_child(
            database_url,
            journals,
            link.id,
            threads=threads,
            per_thread=per_thread,
            people=people,
            interval=0.01,
            rotate=2000,
            end=end,
            wait=False,
        )
        for end in ends
    ]
    for child in children:
        child.wait(120)
    load_all(app, journals)
    assert not list(journals.glob("*.jnl"))
    sent = len(ends) * threads * per_thread
    bots = len(ends) * threads * (per_thread // 10)
    visits, counters = rows_and_counters(session, link)
    assert len(visits) == sent
    # The same seven people came through every process and thread: counted once each.
    assert counters == (sent - bots, people, bots)
    assert visit_writer.counters_match_rows(session, link.id)


def test_relais_visits_load_loads_the_orphans(app, runner, session, link, journals):
    journals.mkdir()
    line = visit_journal.encode(link.id, utcnow(), "person-a", False, "www.linkedin.com")
    (journals / "1-1-dead.jnl").write_bytes(line)
    result = runner.invoke(["visits", "load"])
    assert result.exit_code == 0, result.output
    assert "Loaded 1 visit(s)." in result.output
    assert rows_and_counters(session, link)[1] == (1, 1, 0)


def test_full_journal_files_are_loaded_then_deleted_and_a_clean_stop_leaves_none(
    journal_app, session, link, journals
):
    journal = journal_app.wsgi_app.journal
    journal.rotate_bytes = 300  # three records per file
    client = journal_app.test_client()
    for n in range(10):
        client.get(f"/r/{link.code}", headers={"User-Agent": f"{PERSON_UA} {n}"})
    assert len(list(journals.glob("*.jnl"))) == 4
    journal.close()
    assert not list(journals.glob("*.jnl"))
    assert rows_and_counters(session, link)[1] == (10, 10, 0)
    assert session.scalar(select(func.count()).select_from(VisitJournalMark)) == 0


def test_a_disk_too_full_for_a_new_journal_file_falls_back_to_the_database(
    journal_app, session, link, journals, monkeypatch
):
    def full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(visit_journal.os, "posix_fallocate", full)
    client = journal_app.test_client()
    response = client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert response.status_code == 302
    assert rows_and_counters(session, link)[1] == (1, 1, 0)  # written before the answer
    assert not list(journals.glob("*.jnl*"))  # nor a file left half made
