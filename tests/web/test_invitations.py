"""Invitations of imported staff: the import page and CLI queue them through the outbox in each
agent's language; the link sets a password once; resend to those who never signed in; the admin
users page shows how each account signs in, when it was invited and activated."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from referral.models import AuditEvent, Direction, Notification, Role, User
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


def _invitations(session):
    session.expire_all()
    return session.scalars(
        select(Notification)
        .where(Notification.kind == "account_invitation")
        .order_by(Notification.id)
    ).all()


def _link(row: Notification) -> str:
    return re.search(r"http://\S+/password/reset/\S+", row.body_text).group(0)


def test_import_page_invites_each_new_account_in_the_outbox(client, admin, session, dsi):
    response = _upload(client, CSV, invite=True)
    assert response.status_code == 200
    assert "2 invitations sont en route" in response.text
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
    client, admin, session, dsi, auth
):
    _upload(client, CSV, invite=True)
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
    rows = _invitations(session)
    assert [r.recipient_email for r in rows[2:]] == ["claire.martin@region.example"]


def test_deactivated_accounts_are_not_invited(client, admin, session, dsi):
    _upload(client, CSV, invite=False)
    claire = session.scalar(select(User).where(User.email == "claire.martin@region.example"))
    claire.active = False
    session.commit()
    client.post("/admin/users/invite-again")
    assert [r.recipient_email for r in _invitations(session)] == ["hugo.bernard@region.example"]


def test_invite_again_is_for_admins_only(client, auth, make_user):
    auth.login(make_user(Role.RECRUITER))
    assert client.post("/admin/users/invite-again").status_code == 403


def test_cli_import_staff_invites(runner, session, dsi, tmp_path):
    path = tmp_path / "annuaire.csv"
    path.write_text(CSV, encoding="utf-8")
    result = runner.invoke(["import-staff", "--invite", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 invitation(s) queued" in result.output
    rows = _invitations(session)
    assert len(rows) == 2 and "/password/reset/" in rows[0].body_text
