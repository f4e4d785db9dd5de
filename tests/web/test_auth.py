"""Sign-in, sign-out, remember me, lockout, password reset, cookies and headers."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.models import Notification, PasswordResetToken, Role, utcnow
from referral.people import users


def test_login_lands_on_the_role_home(client, auth, make_user):
    recruiter = make_user(Role.RECRUITER)
    response = auth.login(recruiter)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/recruiter/")
    assert client.get("/recruiter/").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_message(client, auth, make_user):
    user = make_user()
    wrong = auth.login(user, password="not the password")
    unknown = auth.login("nobody@region.example")
    assert wrong.status_code == unknown.status_code == 401
    assert b"Wrong e-mail or password." in wrong.data or b"Adresse" in wrong.data
    assert wrong.data.count(b"flash-error") == unknown.data.count(b"flash-error") == 1


def test_logout_and_protected_pages(client, auth, make_user):
    user = make_user()
    auth.login(user)
    assert client.get("/agent/").status_code == 200
    auth.logout()
    response = client.get("/agent/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_remember_me_sets_a_lasting_httponly_cookie(client, auth, make_user):
    response = auth.login(make_user(), remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember and "Expires=" in remember
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_next_parameter_never_leaves_the_site(client, make_user):
    user = make_user()
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": user.email, "password": "correct horse battery"},
    )
    assert response.headers["Location"] == "/agent/"


def test_password_reset_is_emailed_single_use_and_expiring(client, make_user, session):
    user = make_user()
    response = client.post("/password/forgot", data={"email": user.email})
    assert response.status_code == 302
    mail = session.scalar(select(Notification).where(Notification.kind == "password_reset"))
    assert mail is not None and mail.recipient_email == user.email
    link = re.search(r"http://localhost(/password/reset/\S+)", mail.body_text).group(1)
    page = client.post(link, data={"password": "a brand new pass", "confirm": "a brand new pass"})
    assert page.status_code == 302
    assert (
        client.post(
            "/login", data={"email": user.email, "password": "a brand new pass"}
        ).status_code
        == 302
    )
    client.post("/logout")
    again = client.post(link, data={"password": "another new pass", "confirm": "another new pass"})
    assert again.status_code == 404
    assert b"already used" in again.data or "déjà utilisé".encode() in again.data


@pytest.mark.parametrize("state", ["garbage", "used", "expired"])
def test_an_unusable_reset_link_says_so_at_once_without_a_form(client, make_user, session, state):
    user = make_user()
    token = "not-a-token"
    if state != "garbage":
        token = users.issue_reset_token(session, user)
        row = session.scalar(select(PasswordResetToken))
        if state == "used":
            row.used_at = utcnow()
        else:
            row.expires_at = utcnow() - timedelta(minutes=1)
        session.commit()
    page = client.get(f"/password/reset/{token}")
    assert page.status_code == 404
    assert b'type="password"' not in page.data
    assert b"already used or expired" in page.data or "déjà utilisé".encode() in page.data
    assert page.data.count(b'href="/password/forgot"') == 1


def test_a_usable_reset_link_shows_the_form(client, make_user, session):
    token = users.issue_reset_token(session, make_user())
    session.commit()
    page = client.get(f"/password/reset/{token}")
    assert page.status_code == 200 and b'type="password"' in page.data


def test_a_reset_asked_with_an_english_browser_is_written_in_english(client, make_user, session):
    user = make_user()  # language setting: the browser's
    assert user.locale is None
    client.post(
        "/password/forgot", data={"email": user.email}, headers={"Accept-Language": "en-GB,en"}
    )
    mail = session.scalar(select(Notification).where(Notification.kind == "password_reset"))
    assert (mail.locale, mail.subject) == ("en", "Reset your Relais password")


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(client, session):
    response = client.post("/password/forgot", data={"email": "ghost@region.example"})
    assert response.status_code == 302
    assert session.scalar(select(Notification)) is None
    assert session.scalar(select(PasswordResetToken)) is None


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


@pytest.mark.parametrize("code", [404])
def test_error_pages_use_the_layout(client, code):
    response = client.get("/no/such/page")
    assert response.status_code == code
    assert b'<main id="main"' in response.data


def test_csrf_is_required_on_forms(app_config, engine):
    from web import create_app

    app_config["WTF_CSRF_ENABLED"] = True
    app = create_app(app_config)
    response = app.test_client().post("/login", data={"email": "a@b.example", "password": "x"})
    assert response.status_code == 400
    app.extensions["relais"].engine.dispose()


def test_sign_in_is_rate_limited(app_config, engine):
    from web import create_app

    app_config["RATELIMIT_ENABLED"] = True
    app_config["RELAIS_LOGIN_RATE_LIMIT"] = "3 per minute"
    app = create_app(app_config)
    client = app.test_client()
    codes = [
        client.post("/login", data={"email": "a@b.example", "password": "x"}).status_code
        for _ in range(4)
    ]
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429
    app.extensions["relais"].engine.dispose()
