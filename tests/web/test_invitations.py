"""Invitations of imported staff: the import page and CLI record them as a batch that the
worker writes into the outbox in each agent's language; the link sets a password once; resend
to those who never signed in; the admin users page shows how each account signs in, when it was
invited and activated, and how far the batch has gone."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from referral import worker
from referral.models import AuditEvent, Direction, InvitationBatch, Notification, Role, User, utcnow
from referral.people import invitations

CSV = (
    "employee_number;email;first_name;last_name;job_title;direction_code;roles\n"
    "A1;claire.martin@region.example;Claire;Martin;Cheffe de projet;DSI;manager\n"
    "A2;hugo.bernard@region.example;Hugo;Bernard;Gestionnaire paie;DSI;\n"
)


@pytest.fixture
def admin(make_user, auth):
    user = make_user(Role.ADMIN, first_name="Nathalie", last_name="Roussel")
    auth.login(user)
    return user


@pytest.fixture
def dsi(session):
    session.add(Direction(name="Direction du numérique", code="DSI"))
    session.commit()


def _upload(client, text, invite):
    form = {"file": (io.BytesIO(text.encode()), "staff.csv")}
    if invite:
        form["invite"] = "y"
    return client.post("/admin/staff-import", data=form, content_type="multipart/form-data")


def _run_worker(app) -> int:
    """The worker's round that writes the recorded invitations (delivery is not needed here)."""
    state = app.extensions["relais"]
    return worker.send_invitations(state.sessions, state.settings, utcnow())


def _invitations(session):
    session.expire_all()
    return session.scalars(
        select(Notification)
        .where(Notification.kind == "account_invitation")
        .order_by(Notification.id)
    ).all()


def _link(row: Notification) -> str:
    return re.search(r"http://\S+/password/reset/\S+", row.body_text).group(0)


def test_import_page_invites_each_new_account_in_the_outbox(client, admin, session, dsi, app):
    response = _upload(client, CSV, invite=True)
    assert response.status_code == 200
    assert "2 invitations sont en file d’attente" in response.text
    # The request recorded the batch; the e-mails are the worker's job.
    assert _invitations(session) == []
    page = client.get("/admin/users")
    assert "2 en file, 0 envoyées à ce jour" in page.text
    assert _run_worker(app) == 2
    page = client.get("/admin/users")
    assert "2 en file, toutes écrites dans la boîte d’envoi" in page.text
    batch = session.scalar(select(InvitationBatch))
    assert (batch.total, batch.sent) == (2, 2) and batch.finished_at is not None
    assert _run_worker(app) == 0  # nothing is written twice
    rows = _invitations(session)
    assert [r.recipient_email for r in rows] == [
        "claire.martin@region.example",
        "hugo.bernard@region.example",
    ]
    assert all(r.status == "pending" for r in rows)
    # The organisation's language (French by default) for accounts with no setting yet.
    assert rows[0].locale == "fr" and rows[0].subject == "Votre compte Relais est prêt"
    assert "14 jours" in rows[0].body_text
    claire = session.scalar(select(User).where(User.email == "claire.martin@region.example"))
    assert claire.invited_at is not None and claire.activated_at is None
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "user.invite")).all()


def test_import_without_the_box_invites_nobody(client, admin, session, dsi):
    assert _upload(client, CSV, invite=False).status_code == 200
    assert _invitations(session) == []
    # A second import creates nobody, so it invites nobody even with the box ticked.
    again = _upload(client, CSV, invite=True)
    assert again.status_code == 200 and "en route" not in again.text
    assert _invitations(session) == []


def test_invitation_link_sets_a_password_once_then_the_account_is_activated(
    client, admin, session, dsi, auth, app
):
    _upload(client, CSV, invite=True)
    _run_worker(app)
    link = _link(_invitations(session)[1])
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.post("/logout")
    form = client.get("/" + path)
    assert form.status_code == 200
    done = client.post(
        "/" + path, data={"password": "un mot de passe solide", "confirm": "un mot de passe solide"}
    )
    assert done.status_code == 302
    session.expire_all()
    hugo = session.scalar(select(User).where(User.email == "hugo.bernard@region.example"))
    assert hugo.password_hash and hugo.activated_at is not None
    assert client.get("/" + path).status_code == 404  # single use
    assert auth.login(hugo.email, "un mot de passe solide").status_code == 302


def test_invitation_is_written_in_the_agents_language(session, make_user):
    english = make_user(email="anna@region.example")
    english.password_hash = None
    english.locale = "en"
    session.commit()
    count = invitations.invite(
        session, [english], link_for=lambda t: f"http://x/password/reset/{t}", actor=None
    )
    session.commit()
    assert count == 1
    row = _invitations(session)[0]
    assert row.locale == "en" and row.subject == "Your Relais account is ready"
    assert "within 14 days" in row.body_text


def test_users_page_shows_how_each_account_signs_in_and_resends(client, admin, session, dsi, app):
    _upload(client, CSV, invite=True)
    _run_worker(app)
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert "Jamais connecté" in page.text
    assert "<td>Mot de passe</td>" in page.text  # the admin's own account
    assert "2 comptes actifs n’ont jamais servi" in page.text
    # Hugo sets his password; only Claire gets the invitation again.
    hugo = session.scalar(select(User).where(User.email == "hugo.bernard@region.example"))
    hugo.password_hash = "x"
    session.commit()
    response = client.post("/admin/users/invite-again")
    assert response.status_code == 302
    _run_worker(app)
    rows = _invitations(session)
    assert [r.recipient_email for r in rows[2:]] == ["claire.martin@region.example"]


def test_deactivated_accounts_are_not_invited(client, admin, session, dsi, app):
    _upload(client, CSV, invite=False)
    claire = session.scalar(select(User).where(User.email == "claire.martin@region.example"))
    claire.active = False
    session.commit()
    client.post("/admin/users/invite-again")
    _run_worker(app)
    assert [r.recipient_email for r in _invitations(session)] == ["hugo.bernard@region.example"]


def test_invite_again_is_for_admins_only(client, auth, make_user):
    auth.login(make_user(Role.RECRUITER))
    assert client.post("/admin/users/invite-again").status_code == 403


def test_cli_import_staff_invites(runner, session, dsi, tmp_path, app):
    path = tmp_path / "annuaire.csv"
    path.write_text(CSV, encoding="utf-8")
    result = runner.invoke(["import-staff", "--invite", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 invitation(s) queued" in result.output
    assert _invitations(session) == []
    _run_worker(app)
    rows = _invitations(session)
    assert len(rows) == 2 and "/password/reset/" in rows[0].body_text


def test_an_account_deactivated_after_queuing_gets_no_e_mail(client, admin, session, dsi, app):
    _upload(client, CSV, invite=True)
    claire = session.scalar(select(User).where(User.email == "claire.martin@region.example"))
    claire.active = False
    session.commit()
    _run_worker(app)
    assert [r.recipient_email for r in _invitations(session)] == ["hugo.bernard@region.example"]
    batch = session.scalar(select(InvitationBatch))
    assert (batch.total, batch.sent) == (2, 1) and batch.finished_at is not None


def test_the_worker_writes_a_large_batch_a_step_at_a_time(session, app, monkeypatch):
    session.add_all(
        User(email=f"agent{n}@region.example", first_name="A", last_name=str(n)) for n in range(7)
    )
    session.commit()
    batch = invitations.queue_never_signed_in(
        session, set_password_url="http://x/password/reset/", sign_in_url=None, actor=None
    )
    session.commit()
    assert batch.total == 7
    state = app.extensions["relais"]
    with state.sessions() as s, s.begin():
        assert invitations.send_queued(s, state.settings, limit=3) == 3
    session.expire_all()
    assert (batch.sent, batch.finished_at) == (3, None)
    monkeypatch.setattr(invitations, "BATCH_SIZE", 3)
    _run_worker(app)
    session.expire_all()
    assert batch.sent == 7 and batch.finished_at is not None
    assert len(_invitations(session)) == 7


def test_queue_benchmark_in_miniature():
    """``benchmarks/queue_invitations.py`` runs and every invitation queued gets written."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [
            sys.executable,
            str(root / "benchmarks" / "queue_invitations.py"),
            "--count",
            "60",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env={k: v for k, v in os.environ.items() if k != "RELAIS_BENCH_DATABASE_URL"},
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["count"] == result["worker_written"] == result["before_written"] == 60
    assert result["request_after_s"] >= 0 and result["request_before_s"] > 0
