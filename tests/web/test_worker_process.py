"""The worker outside the tests' direct calls: the embedded thread and ``relais worker`` signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from referral.models import Role
from tests.notification_factories import queue_closing_notice
from web import worker_thread

ROOT = Path(__file__).resolve().parents[2]


def _queue(session, user):
    queue_closing_notice(session, user)
    session.commit()


def test_the_embedded_thread_delivers_and_stops(app_config, engine, make_user, session):
    from web import create_app

    app_config.update(RELAIS_WORKER_ENABLED="true", RELAIS_WORKER_INTERVAL_S="0.05")
    embedded = create_app(app_config)
    _queue(session, make_user(Role.MANAGER))
    thread = worker_thread.start(embedded)
    assert thread is not None and thread.daemon
    outbox = embedded.extensions["relais"].settings.outbox_path
    try:
        deadline = time.monotonic() + 10
        while not list(outbox.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list(outbox.glob("*.eml"))) == 1
    finally:
        thread.stop()
        embedded.extensions["relais"].engine.dispose()
    assert not thread.is_alive()


def test_no_thread_when_the_worker_is_disabled(app):
    assert worker_thread.start(app) is None


def test_relais_worker_stops_cleanly_on_sigterm(app_config, app):
    env = {**os.environ, **{k: str(v) for k, v in app_config.items() if k.startswith("RELAIS_")}}
    env["RELAIS_WORKER_INTERVAL_S"] = "0.1"
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "Relais worker" in process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "SIGTERM" in output
