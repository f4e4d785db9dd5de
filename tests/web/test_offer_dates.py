"""The careers site writes an offer's dates as words in the reader's language, never 2026-12-07."""

from __future__ import annotations

from datetime import date

import pytest

CLOSING = date(2026, 12, 7)
VACANCY = date(2027, 2, 5)


@pytest.mark.parametrize(
    ("language", "apply_by", "available_on"),
    [
        ("fr", "Candidature avant le 7 déc. 2026", "5 févr. 2027"),
        ("en", "Apply by Dec 7, 2026", "Feb 5, 2027"),
    ],
)
def test_offer_page_and_offer_list_format_their_dates(
    client, make_offer, language, apply_by, available_on
):
    offer = make_offer(closing_date=CLOSING, vacancy_date=VACANCY)
    headers = {"Accept-Language": language}

    page = client.get(f"/offers/{offer.id}", headers=headers, follow_redirects=True)
    listing = client.get("/offers", headers=headers)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert apply_by in html
    assert f"<dd>{available_on}</dd>" in html
    assert apply_by in listing.get_data(as_text=True)
