"""What a probe of every route, role and failure found, each kept from coming back.

Open redirects after sign-in and on the language switch, sessions that outlive a sign-out,
sign-in throttling that neither tells which accounts exist nor lets a stranger lock one.
"""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest

from referral.models import Role
from tests.conftest import PASSWORD

pytest_plugins = ["tests.shortlist_fixtures"]

# Known ways past a naive "starts with / and not //" check; each must land on the home page.
REDIRECT_BYPASSES = [
    "//evil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "https://evil.example",
    "https:evil.example",
    "//user@evil.example",
    "javascript:alert(1)",
    "/\r\nLocation: https://evil.example",
    "/%0d%0aSet-Cookie:x=1",
    "/\u2044\u2044evil.example",
    "/\uff0f\uff0fevil.example",
    "/\u3002evil.example",
    " //evil.example",
    "///evil.example",
]


@pytest.mark.parametrize("target", REDIRECT_BYPASSES)
def test_sign_in_never_redirects_off_the_site(client, make_user, target):
    user = make_user()
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/agent/"


@pytest.mark.parametrize("target", REDIRECT_BYPASSES)
def test_the_language_switch_never_redirects_off_the_site(client, target):
    response = client.post("/account/language", data={"locale": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_path_on_the_site_is_still_followed(client, make_user):
    user = make_user()
    response = client.post(
        "/login",
        query_string={"next": "/agent/offers?q=caf%C3%A9&page=2"},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/agent/offers?q=caf%C3%A9&page=2"


def _signed_in_cookies(app, auth_client, user) -> dict[str, str]:
    response = auth_client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    return {name: auth_client.get_cookie(name).value for name in ("session", "remember_token")}


def _replay(app, cookies: dict[str, str], only: str | None = None) -> int:
    """The status of the agent's home page for a new browser holding copies of ``cookies``."""
    other = app.test_client()
    for name, value in cookies.items():
        if only is None or name == only:
            other.set_cookie(name, value)
    return other.get("/agent/").status_code


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_signing_out_ends_the_copied_session_and_remember_cookies(app, client, make_user, cookie):
    user = make_user()
    cookies = _signed_in_cookies(app, client, user)
    assert _replay(app, cookies, only=cookie) == 200
    client.post("/logout")
    assert _replay(app, cookies, only=cookie) == 302


def test_signing_out_ends_the_sessions_on_other_devices(app, make_user):
    user = make_user()
    phone, laptop = app.test_client(), app.test_client()
    _signed_in_cookies(app, phone, user)
    _signed_in_cookies(app, laptop, user)
    laptop.post("/logout")
    assert phone.get("/agent/").status_code == 302


def test_deactivation_ends_every_session_even_after_reactivation(app, client, make_user, session):
    from referral.people import users

    user = make_user()
    admin = make_user(Role.ADMIN)
    cookies = _signed_in_cookies(app, client, user)
    users.set_active(session, user, False, actor=admin)
    session.commit()
    assert _replay(app, cookies) == 302
    users.set_active(session, user, True, actor=admin)
    session.commit()
    assert _replay(app, cookies) == 302
    assert _replay(app, cookies, only="remember_token") == 302


def test_a_password_reset_ends_every_session_and_every_other_reset_link(
    app, client, make_user, session
):
    from sqlalchemy import select

    from referral.models import PasswordResetToken
    from referral.people import users

    user = make_user()
    cookies = _signed_in_cookies(app, client, user)
    first = users.issue_reset_token(session, user)
    second = users.issue_reset_token(session, user)
    session.commit()
    response = app.test_client().post(
        f"/password/reset/{first}",
        data={"password": "a brand new password", "confirm": "a brand new password"},
    )
    assert response.status_code == 302
    assert _replay(app, cookies) == 302
    assert app.test_client().get(f"/password/reset/{second}").status_code == 404
    session.expire_all()
    assert all(
        t.used_at is not None
        for t in session.scalars(
            select(PasswordResetToken).where(PasswordResetToken.user_id == user.id)
        )
    )


def test_the_remember_cookie_lasts_two_weeks_not_a_year(client, make_user):
    from datetime import datetime, timedelta
    from email.utils import parsedate_to_datetime

    response = client.post(
        "/login", data={"email": make_user().email, "password": PASSWORD, "remember": "y"}
    )
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    )
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert expires - datetime.now(UTC) < timedelta(days=15)


def test_a_manager_reads_only_the_cvs_sent_to_their_own_offers(
    client, auth, make_user, make_offer, make_application, make_candidate, session
):
    from referral.models import CVFile

    manager = make_user(Role.MANAGER, locale="en")
    own_offer = make_offer(hiring_manager=manager)
    other_offer = make_offer()
    candidate = make_candidate("Lea", "Deux", file_bytes=b"%PDF sent to me")
    make_application(own_offer, candidate)
    later = CVFile(
        stored_name="later-cv.bin",
        original_name="CV-for-the-other-offer.pdf",
        mime_type="application/pdf",
        size=9,
        sha256="0" * 64,
        text="Lettre pour l'autre poste",
        uploaded_at=candidate.cv_files[0].uploaded_at + timedelta(days=1),
    )
    candidate.cv_files.append(later)
    session.commit()
    make_application(other_offer, candidate)  # carries the later CV
    session.commit()
    auth.login(manager)

    page = client.get(f"/recruiter/candidates/{candidate.id}")
    assert page.status_code == 200
    assert f"/recruiter/cv/{candidate.cv_files[0].id}" in page.text
    assert f"/recruiter/cv/{later.id}" not in page.text
    assert "CV-for-the-other-offer.pdf" not in page.text
    assert client.get(f"/recruiter/cv/{later.id}").status_code == 403
    assert client.get(f"/recruiter/cv/{candidate.cv_files[0].id}").status_code == 200


@pytest.fixture
def limited_app(app_config, engine):
    from web import create_app

    app_config["RATELIMIT_ENABLED"] = True
    app_config["RELAIS_LOGIN_RATE_LIMIT"] = "100 per minute"
    application = create_app(app_config)
    yield application
    application.extensions["relais"].engine.dispose()


def _try(app, email: str, password: str, address: str) -> tuple[int, str]:
    response = app.test_client().post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    # The page without its per-request CSRF token.
    return response.status_code, re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))


def test_failed_sign_ins_slow_down_one_address_for_any_e_mail_alike(limited_app, make_user):
    from referral.models import User

    user = make_user(Role.ADMIN)
    answers = {}
    for email in (user.email, "nobody@region.example"):
        codes = [_try(limited_app, email, "wrong password!", "203.0.113.9")[0] for _ in range(5)]
        assert codes == [401] * 5
        answers[email] = _try(limited_app, email, PASSWORD, "203.0.113.9")
    known, unknown = answers.values()
    assert known[0] == unknown[0] == 429  # even the right password waits, known or not
    assert known[1] == unknown[1]
    # Nobody is locked out by a stranger: the admin signs in from their own address.
    assert _try(limited_app, user.email, PASSWORD, "198.51.100.7")[0] == 302
    with limited_app.app_context():
        from web.database import db

        assert db().get(User, user.id).active


def test_successful_sign_ins_do_not_count(limited_app, make_user):
    user = make_user()
    codes = [_try(limited_app, user.email, PASSWORD, "203.0.113.10")[0] for _ in range(8)]
    assert codes == [302] * 8


HUGE_PAGES = ["99999999999999999999999", "9223372036854775808", "-1", "0", "abc", "1e9"]


@pytest.mark.parametrize("page", HUGE_PAGES)
def test_every_paginated_page_answers_any_page_number(
    client, auth, make_user, make_offer, make_application, page
):
    admin = make_user(Role.ADMIN, Role.RECRUITER, locale="en", last_name="Zeroual")
    offer = make_offer(title="Chargée de mission numérique")
    make_application(offer)
    auth.login(admin)
    for url, shown in [
        ("/admin/users", "Zeroual"),
        ("/offers", "Chargée de mission numérique"),
        ("/inbox/", "<h1>Notifications</h1>"),
        ("/admin/notifications/", "<h1>Mail delivery</h1>"),
        (f"/recruiter/offers/{offer.id}/shortlist", "Chargée de mission numérique"),
    ]:
        response = client.get(url, query_string={"page": page})
        assert response.status_code == 200, (url, page)
        assert shown in response.get_data(as_text=True), (url, page)
