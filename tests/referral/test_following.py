"""``referral.sharing.following.follow``: the one decision behind ``/r/<code>`` (fast path and view)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from referral.sharing import following, visit_writer
from referral.sharing.links import LinkTarget
from referral.sharing.touches import read_touches

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SECRET = "test-secret-key-for-following"
PERSON = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"
CRAWLER = "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"


def target(status="published", closing=None, code="abcdefgh") -> LinkTarget:
    return LinkTarget(1, 2, 3, "Chef de projet", status, closing, code)


def follow(t=None, **kwargs):
    values = {
        "secret": SECRET,
        "window_days": 30,
        "now": NOW,
        "user_agent": PERSON,
        "address": "203.0.113.7",
        "referrer": "https://www.linkedin.com/feed/",
        "attribution": None,
        **kwargs,
    }
    return following.follow(t or target(), **values)


def test_a_person_on_an_open_offer_is_counted_and_remembered():
    decided = follow()
    assert not decided.bot and decided.offer_open and decided.ref == "abcdefgh"
    assert decided.visitor == visit_writer.visitor_hash(SECRET, NOW.date(), "203.0.113.7", PERSON)
    assert decided.referrer_host == "www.linkedin.com"
    touches = read_touches(SECRET, decided.attribution, NOW, 30)
    assert [t.code for t in touches] == ["abcdefgh"]


def test_the_first_touch_is_kept_and_the_last_replaced():
    first = follow(t=target(code="firstcode")).attribution
    later = follow(t=target(code="lastcode1"), attribution=first, now=NOW + timedelta(hours=1))
    touches = read_touches(SECRET, later.attribution, NOW + timedelta(hours=1), 30)
    assert [t.code for t in touches] == ["firstcode", "lastcode1"]


def test_a_crawler_is_counted_as_a_bot_and_never_remembered():
    decided = follow(user_agent=CRAWLER)
    assert decided.bot and decided.visitor is not None
    assert decided.referrer_host is None and decided.attribution is None


@pytest.mark.parametrize("kwargs", [{"head": True}, {"by_owner": True}])
def test_a_head_request_or_the_links_owner_counts_nothing(kwargs):
    decided = follow(**kwargs)
    assert decided.visitor is None and decided.attribution is None
    assert decided.ref == "abcdefgh"  # still sent to the offer page with its code


@pytest.mark.parametrize(
    "status, closing",
    [("closed", None), ("filled", None), ("published", date(2026, 11, 19))],
)
def test_a_closed_or_expired_offer_is_counted_but_neither_referenced_nor_remembered(
    status, closing
):
    decided = follow(t=target(status, closing))
    assert decided.visitor is not None  # the visit happened
    assert not decided.offer_open and decided.ref is None and decided.attribution is None


def test_the_closing_day_itself_is_still_open():
    assert follow(t=target("published", NOW.date())).offer_open


@pytest.mark.parametrize("referrer", [None, "", "not a url", "http://[bad"])
def test_a_missing_or_malformed_referrer_reads_as_none(referrer):
    assert follow(referrer=referrer).referrer_host is None
