"""The notification worker as a daemon thread of the embedded server (``relais run``/``demo``).

Production runs ``relais worker`` as a process of its own instead (``RELAIS_WORKER_ENABLED=false``
for the web processes); both run the same loop, :func:`referral.worker.run_forever`.
"""

from __future__ import annotations

import threading

from flask import Flask

from referral import worker


class WorkerThread(threading.Thread):
    """Delivers notifications every ``settings.worker_interval_s`` until :meth:`stop`."""

    def __init__(self, app: Flask):
        super().__init__(name="relais-worker", daemon=True)
        state = app.extensions["relais"]
        self.sessions = state.sessions
        self.settings = state.settings
        self.urls = state.urls
        self.stopping = threading.Event()

    def run(self) -> None:
        worker.run_forever(self.sessions, self.settings, self.stopping, urls=self.urls)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.join(timeout)


def start(app: Flask) -> WorkerThread | None:
    """Start the thread when ``settings.worker_enabled``; returns it (None when disabled)."""
    if not app.extensions["relais"].settings.worker_enabled:
        return None
    thread = WorkerThread(app)
    thread.start()
    return thread
