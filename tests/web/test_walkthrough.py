"""What a walk-through as each user found (issue 20): addresses, words, offers that read well."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from referral.models import Candidate
from tests.applying import pdf_bytes
from tests.web.test_apply_form import form


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "typed,kept",
    [
        ("linkedin.com/in/marie-curie", "https://linkedin.com/in/marie-curie"),
        ("www.linkedin.com/in/marie-curie/", "https://www.linkedin.com/in/marie-curie/"),
        (" https://www.linkedin.com/in/mc ", "https://www.linkedin.com/in/mc"),
    ],
)
def test_a_linkedin_profile_without_https_is_accepted(client, session, make_offer, typed, kept):
    offer = make_offer()
    response = client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes(), linkedin_url=typed))
    assert response.status_code == 302, text(response)
    assert session.scalar(select(Candidate.linkedin_url)) == kept


@pytest.mark.parametrize("typed", ["pas une adresse", "javascript:alert(1)"])
def test_what_is_not_a_profile_address_is_refused(client, session, make_offer, typed):
    offer = make_offer()
    response = client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes(), linkedin_url=typed))
    assert response.status_code == 422
    assert "Saisissez l'adresse de votre profil" in text(response)
    assert session.scalar(select(Candidate)) is None


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data
    assert 'rel="icon"' in text(client.get("/"))
