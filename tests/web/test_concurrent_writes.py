"""Writers at the same moment, in real threads, on the suite's database (SQLite by default,
PostgreSQL with RELAIS_TEST_DATABASE_URL): one writer at a time, nobody fails, nothing lost.
"""

from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import event, func, select

from referral.models import Application, Role, StatusChange
from tests.applying import pdf_bytes
from tests.conftest import PASSWORD


def _slow_reads_of_applications(engine, seconds: float = 0.05):
    """Every read of an application takes ``seconds`` more: a read and the write that follows
    it are far apart, as on a busy server (the window a lost update needs)."""

    def after(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "FROM application" in statement:
            threading.Event().wait(seconds)

    event.listen(engine, "after_cursor_execute", after)
    return lambda: event.remove(engine, "after_cursor_execute", after)


def test_two_recruiters_moving_one_application_at_once_make_one_move(
    app, make_user, make_offer, make_application, session
):
    recruiters = [make_user(Role.RECRUITER, locale="en") for _ in range(2)]
    application = make_application(make_offer())
    clients = []
    for recruiter in recruiters:
        client = app.test_client()
        client.post("/login", data={"email": recruiter.email, "password": PASSWORD})
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[str, int]] = []
    errors: list[str] = []

    def move(client, to_status):
        try:
            barrier.wait(5)
            response = client.post(
                f"/recruiter/applications/{application.id}/move",
                data={
                    f"a{application.id}-to_status": to_status,
                    f"a{application.id}-current": "new",
                    f"a{application.id}-reason": "profile",
                },
            )
            answers.append((to_status, response.status_code))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    stop = _slow_reads_of_applications(app.extensions["relais"].engine)
    try:
        threads = [
            threading.Thread(target=move, args=(c, s))
            for c, s in zip(clients, ("screening", "rejected"), strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        stop()

    assert errors == []
    assert sorted(code for _, code in answers) == [302, 302]
    moves = session.scalars(
        select(StatusChange).where(StatusChange.application_id == application.id)
    ).all()
    assert len(moves) == 1, [(m.from_status, m.to_status) for m in moves]
    session.expire_all()
    assert session.get(Application, application.id).status == moves[0].to_status


SAME_CV = pdf_bytes("Léa Martin\nPython, SQL, gestion de projet")


def _apply_form(n: int, case: str) -> dict:
    """Ten people; one person's double click (one form sent ten times); or one person
    sending the same CV from ten forms (re-applying)."""
    same_person = case != "ten people"
    cv = SAME_CV if same_person else pdf_bytes(f"Léa Martin {n}\nPython, SQL")
    return {
        "first_name": "Léa",
        "last_name": "Martin" if same_person else f"Martin{n}",
        "email": "lea.martin@example.org" if same_person else f"person{n}@example.org",
        "phone": "06 12 34 56 78",
        "city": "Lyon",
        "message": "",
        "consent": "y",
        "nonce": "double-click" if case == "a double click" else f"form-{n}",
        "cv": (io.BytesIO(cv), "cv.pdf"),
    }


@pytest.mark.parametrize("case", ["ten people", "a double click", "the same CV ten times"])
def test_applications_at_once_beside_a_background_writer_all_succeed(
    app, make_offer, session, sessions, case
):
    from referral.models import Candidate, CVFile, Visit

    same_person = case != "ten people"

    offer = make_offer()
    n_threads = 10
    barrier = threading.Barrier(n_threads + 1)
    codes: list[int] = []
    errors: list[str] = []
    done = threading.Event()

    def applicant(n):
        try:
            client = app.test_client()
            barrier.wait(10)
            response = client.post(f"/offers/{offer.id}/apply", data=_apply_form(n, case))
            codes.append(response.status_code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    def background_writer():
        """Short write transactions all along, as the visit loader and the worker make."""
        barrier.wait(10)
        while not done.is_set():
            with sessions() as s, s.begin():
                s.scalar(select(func.count()).select_from(Visit))
                s.execute(Visit.__table__.delete().where(Visit.id < 0))
            threading.Event().wait(0.005)

    writer = threading.Thread(target=background_writer)
    writer.start()
    threads = [threading.Thread(target=applicant, args=(n,)) for n in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    done.set()
    writer.join(10)

    assert errors == []
    assert codes == [302] * n_threads
    applications = session.scalar(
        select(func.count()).select_from(Application).where(Application.offer_id == offer.id)
    )
    people = session.scalar(select(func.count()).select_from(Candidate))
    assert (applications, people) == ((1, 1) if same_person else (n_threads, n_threads))
    cvs = session.scalar(select(func.count()).select_from(CVFile))
    files = list(app.extensions["relais"].settings.uploads_path.iterdir())
    assert cvs == len(files) == (1 if same_person else n_threads)


def test_the_worker_holds_no_write_lock_while_a_mail_goes_out(
    app, make_user, session, sessions, engine
):
    """A slow mail server must not stop every other writer (the request that applies)."""
    from datetime import timedelta

    from referral import worker
    from referral.models import User, utcnow
    from tests.notification_factories import queue_closing_notice

    now = utcnow()
    queue_closing_notice(session, make_user(Role.MANAGER), when=now - timedelta(minutes=1))
    session.commit()
    settings = app.extensions["relais"].settings
    written_meanwhile: list[bool] = []

    class SlowServer:
        def deliver(self, row, message):
            def other_writer():
                try:
                    with engine.connect() as conn:
                        sqlite = engine.dialect.name == "sqlite"
                        if sqlite:
                            conn.exec_driver_sql("PRAGMA busy_timeout=500")
                        else:
                            conn.exec_driver_sql("SET LOCAL lock_timeout = '500ms'")
                        try:
                            conn.execute(User.__table__.update().values(job_title="Written"))
                            conn.commit()
                        finally:
                            if sqlite:  # the pooled connection's usual timeout again
                                conn.exec_driver_sql("PRAGMA busy_timeout=30000")
                    written_meanwhile.append(True)
                except Exception:  # noqa: BLE001 - recorded as not written
                    written_meanwhile.append(False)

            t = threading.Thread(target=other_writer)
            t.start()
            t.join(10)

        def close(self):
            pass

    report = worker.deliver_due(sessions, settings, now, backend=SlowServer())
    assert report.claimed == 1
    assert written_meanwhile == [True]
