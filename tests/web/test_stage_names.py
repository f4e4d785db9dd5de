"""An application's stage has one name on every page, in each language."""

from __future__ import annotations

import re

import pytest

from referral.applications.pipeline import ALL_STATUSES
from referral.models import Role

pytest_plugins = ["tests.shortlist_fixtures"]

NAMES = {
    "en": ["New", "Screening", "Interview", "Offer made", "Recruited", "Rejected", "Withdrawn"],
    "fr": [
        "Nouvelle",
        "Présélection",
        "Entretien",
        "Proposition faite",
        "Recruté(e)",
        "Non retenue",
        "Retiré",
    ],
}


def _unescape(text: str) -> str:
    return text.replace("&#39;", "'").replace("&amp;", "&")


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_manager_home_and_the_shortlist_name_the_stages_alike(
    client, auth, make_user, make_offer, make_application, locale
):
    manager = make_user(Role.MANAGER, locale=locale)
    offer = make_offer(hiring_manager=manager)
    for status in ALL_STATUSES:
        make_application(offer, status=status)
    auth.login(manager)
    expected = dict(zip(ALL_STATUSES, NAMES[locale], strict=True))

    home = client.get("/manager/").get_data(as_text=True)
    on_home = {_unescape(name) for name in re.findall(r'<span class="tag">([^<]+): 1</span>', home)}
    assert on_home == set(expected.values())

    page = client.get(f"/recruiter/offers/{offer.id}/shortlist").get_data(as_text=True)
    in_rows = {
        status: _unescape(name)
        for status, name in re.findall(r'class="status status-(\w+)">([^<]+)</span>', page)
    }
    assert in_rows == expected
    in_filter = re.search(r'<select[^>]*name="status".*?</select>', page, re.S).group(0)
    for name in expected.values():
        assert f">{name}</option>" in _unescape(in_filter)


def test_the_recruiter_home_names_its_columns_as_the_stages(
    client, auth, make_user, make_offer, make_application
):
    auth.login(make_user(Role.RECRUITER, locale="fr"))
    make_application(make_offer(), status="rejected")
    home = client.get("/recruiter/").get_data(as_text=True)
    head = re.search(r"<thead>.*?</thead>", home, re.S).group(0)
    columns = [_unescape(c) for c in re.findall(r'<th scope="col" class="num">([^<]+)</th>', head)]
    assert columns == [
        "Candidatures",
        "Nouvelle",
        "En cours",
        "Recruté(e)",
        "Non retenue",
        "Retiré",
    ]
