"""``/r/<code>``: crawlers get the offer page, people are counted once a day and redirected."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.models import OfferStatus, ShareLink, Visit, utcnow
from referral.sharing import links, visit_writer
from referral.sharing.touches import COOKIE_NAME, read_touches
from tests.offer_helpers import BOT_UAS, PERSON_UA, make_link, meta

SECRET = "test-secret-key-not-for-production"


@pytest.fixture
def link(session, make_offer, make_user):
    offer = make_offer(title="Ingénieur·e données")
    return make_link(session, offer, make_user(), "linkedin")


def _visits(session, link):
    session.expire_all()
    return list(session.scalars(select(Visit).where(Visit.link_id == link.id).order_by(Visit.id)))


def _refresh(session, link):
    session.expire_all()
    return session.get(ShareLink, link.id)


def test_a_person_is_counted_redirected_and_given_the_attribution_cookie(client, session, link):
    response = client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"/offers/{link.offer_id}-ingenieur-e-donnees")
    assert f"ref={link.code}" in location
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE_NAME))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert f"Max-Age={30 * 24 * 3600}" in cookie
    assert "Secure" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    touches = read_touches(SECRET, value, utcnow(), 30)
    assert [t.code for t in touches] == [link.code]
    [visit] = _visits(session, link)
    assert visit.is_new_person and not visit.is_bot
    assert len(visit.visitor_hash) == 64 and "127.0.0.1" not in visit.visitor_hash
    fresh = _refresh(session, link)
    assert (fresh.visits_count, fresh.people_count, fresh.bot_count) == (1, 1, 0)
    # The offer page it lands on answers.
    assert client.get(location).status_code == 200


def test_no_raw_ip_is_stored_anywhere(client, session, link):
    client.get(
        f"/r/{link.code}",
        headers={"User-Agent": PERSON_UA, "Referer": "https://www.linkedin.com/feed/"},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    [visit] = _visits(session, link)
    values = [str(getattr(visit, c.key)) for c in Visit.__table__.columns]
    assert not any("203.0.113" in v for v in values)
    assert visit.referrer_host == "www.linkedin.com"
    assert visit.visitor_hash == visit_writer.visitor_hash(
        SECRET, visit.occurred_at.date(), "203.0.113.77", PERSON_UA
    )


def test_a_person_counts_once_per_link_per_day(client, session, link, monkeypatch):
    for _ in range(3):
        client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA + " Other"})
    visits = _visits(session, link)
    assert [v.is_new_person for v in visits] == [True, False, False, True]
    fresh = _refresh(session, link)
    assert (fresh.visits_count, fresh.people_count) == (4, 2)
    # A day later the same person counts again (the hash rotates daily).
    later = utcnow() + timedelta(hours=25)
    monkeypatch.setattr("web.views.offers.utcnow", lambda: later)
    monkeypatch.setattr("web.fastlinks.utcnow", lambda: later)
    client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    fresh = _refresh(session, link)
    assert (fresh.visits_count, fresh.people_count) == (5, 3)
    assert visit_writer.counters_match_rows(session, link.id)


def test_the_visitor_hash_rotates_every_day():
    today = utcnow().date()
    first = visit_writer.visitor_hash(SECRET, today, "198.51.100.1", PERSON_UA)
    assert first == visit_writer.visitor_hash(SECRET, today, "198.51.100.1", PERSON_UA)
    assert first != visit_writer.visitor_hash(
        SECRET, today + timedelta(days=1), "198.51.100.1", PERSON_UA
    )
    assert first != visit_writer.visitor_hash("another secret", today, "198.51.100.1", PERSON_UA)


@pytest.mark.parametrize("name", list(BOT_UAS))
def test_each_preview_crawler_gets_the_offer_page_and_is_not_a_person(client, session, link, name):
    assert visit_writer.is_bot(BOT_UAS[name])
    response = client.get(f"/r/{link.code}", headers={"User-Agent": BOT_UAS[name]})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert meta(html, "og:title") == "Ingénieur·e données"
    # The preview keeps the tracked address, so clicks on the post still go through it.
    assert meta(html, "og:url") == f"http://localhost/r/{link.code}"
    assert meta(html, "og:image").endswith(f"/offers/{link.offer_id}/card.png")
    assert not any(c.startswith(COOKIE_NAME) for c in response.headers.getlist("Set-Cookie"))
    [visit] = _visits(session, link)
    assert visit.is_bot and not visit.is_new_person
    fresh = _refresh(session, link)
    assert (fresh.visits_count, fresh.people_count, fresh.bot_count) == (0, 0, 1)


def test_a_request_without_user_agent_is_not_a_person(client, session, link):
    response = client.get(f"/r/{link.code}", headers={"User-Agent": ""})
    assert response.status_code == 200
    assert _refresh(session, link).people_count == 0


def test_head_requests_are_not_counted(client, session, link):
    response = client.head(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert response.status_code == 302
    assert _visits(session, link) == []


def test_the_agents_own_visits_are_not_counted(client, auth, session, link):
    auth.login(link.agent)
    response = client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert response.status_code == 302
    assert _visits(session, link) == []
    assert not any(c.startswith(COOKIE_NAME) for c in response.headers.getlist("Set-Cookie"))


def test_another_signed_in_agent_is_counted(client, auth, session, link, make_user):
    auth.login(make_user())
    client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert _refresh(session, link).people_count == 1


def test_unknown_and_revoked_codes_get_a_helpful_404_and_no_redirect(client, session, link):
    response = client.get("/r/zzzzzzzzzz", headers={"User-Agent": PERSON_UA})
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert b'href="/offers"' in response.data
    links.revoke(session, link, link.agent, utcnow())
    session.commit()
    response = client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert response.status_code == 404
    assert _visits(session, link) == []


def test_a_closed_offers_link_leads_to_its_closed_page(client, session, link):
    offer = link.offer
    offer.status = OfferStatus.CLOSED.value
    session.commit()
    response = client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert response.status_code == 302
    assert "ref=" not in response.headers["Location"]
    assert not any(c.startswith(COOKIE_NAME) for c in response.headers.getlist("Set-Cookie"))
    page = client.get(response.headers["Location"])
    assert b"offer-closed" in page.data


def test_the_redirect_never_uses_the_requests_host(client, link):
    response = client.get(
        f"/r/{link.code}",
        headers={"User-Agent": PERSON_UA, "Host": "evil.example", "X-Forwarded-Host": "x.example"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/offers/")


def test_the_cookie_is_secure_when_configured(app_config, engine, make_offer):
    from tests.conftest import empty_tables
    from web import create_app

    app_config["RELAIS_SESSION_COOKIE_SECURE"] = "true"
    app = create_app(app_config)
    try:
        with app.extensions["relais"].sessions() as s:
            offer = make_offer()
            agent = offer.hiring_manager
            link = make_link(s, s.merge(offer), s.merge(agent), "copy")
            code = link.code
        response = app.test_client().get(f"/r/{code}", headers={"User-Agent": PERSON_UA})
        cookie = next(
            c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE_NAME)
        )
        assert "Secure" in cookie
    finally:
        app.extensions["relais"].engine.dispose()
        empty_tables(engine)


def test_a_second_link_keeps_the_first_touch(client, session, link, make_offer, make_user):
    other = make_link(session, make_offer(), make_user(), "email")
    client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    response = client.get(f"/r/{other.code}", headers={"User-Agent": PERSON_UA})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE_NAME))
    value = cookie.split(";")[0].split("=", 1)[1]
    assert [t.code for t in read_touches(SECRET, value, utcnow(), 30)] == [link.code, other.code]


def test_people_take_the_fast_path_and_the_view_does_the_same(
    client, session, link, count_queries, monkeypatch
):
    # The fast path runs on its own raw connection: the ORM engine sees no statement.
    with count_queries() as counter:
        fast = client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert counter.count == 0, counter.statements
    # With the fast path failing, the view answers the same and counts the visit once.
    monkeypatch.setattr(visit_writer.VisitWriter, "resolve", lambda *_: 1 / 0)
    with count_queries() as counter:
        slow = client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA + " 2"})
    # lookup, counter update, insert of the visit, people update
    assert counter.count == 4, counter.statements
    assert slow.headers["Location"] == fast.headers["Location"]
    assert slow.headers["Cache-Control"] == fast.headers["Cache-Control"] == "no-store"
    fresh = _refresh(session, link)
    assert (fresh.visits_count, fresh.people_count) == (2, 2)
    assert visit_writer.counters_match_rows(session, link.id)


def test_the_fast_paths_cookie_has_the_same_attributes_as_the_views(
    client, session, link, monkeypatch
):
    def attributes(response):
        cookie = next(
            c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE_NAME)
        )
        parts = [p.strip() for p in cookie.split(";")[1:]]
        return sorted(p.split("=")[0] if p.startswith("Expires") else p for p in parts)

    fast = client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    client.delete_cookie(COOKIE_NAME)
    monkeypatch.setattr(visit_writer.VisitWriter, "resolve", lambda *_: 1 / 0)
    slow = client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert attributes(fast) == attributes(slow)


def test_a_link_revoked_or_closed_after_a_visit_is_not_followed_from_memory(client, session, link):
    # The fast path keeps what it read of the link for a second; a change made by this
    # process shows at once.
    assert client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA}).status_code == 302
    link.offer.status = OfferStatus.CLOSED.value
    session.commit()
    response = client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA})
    assert "ref=" not in response.headers["Location"]
    links.revoke(session, link, link.agent, utcnow())
    session.commit()
    assert client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA}).status_code == 404


def test_a_revocation_by_another_process_shows_within_the_cache_time(
    client, session, link, engine, monkeypatch
):
    assert client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA}).status_code == 302
    # Another process revokes the link: no ORM event reaches this one.
    with engine.begin() as conn:
        conn.execute(
            ShareLink.__table__.update()
            .where(ShareLink.__table__.c.id == link.id)
            .values(revoked_at=utcnow())
        )
    clock = [visit_writer.time.monotonic()]
    monkeypatch.setattr(visit_writer.time, "monotonic", lambda: clock[0])
    assert client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA}).status_code == 302
    clock[0] += links.TARGET_CACHE_S + 0.01
    assert client.get(f"/r/{link.code}", headers={"User-Agent": PERSON_UA}).status_code == 404


@pytest.mark.parametrize("proxies", ["0", "1"])
def test_the_visitor_is_the_forwarded_address_only_behind_a_declared_proxy(
    app_config, make_offer, session, proxies
):
    from web import create_app

    app = create_app({**app_config, "RELAIS_PROXIES": proxies})
    try:
        offer = make_offer()
        link = make_link(session, offer, offer.hiring_manager, "email")
        app.test_client().get(
            f"/r/{link.code}",
            headers={"User-Agent": PERSON_UA, "X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
        [visit] = _visits(session, link)
        # Without a declared proxy, anyone could claim any address in the header.
        seen = "203.0.113.9" if proxies == "1" else "10.0.0.1"
        day = visit.occurred_at.date()
        assert visit.visitor_hash == visit_writer.visitor_hash(SECRET, day, seen, PERSON_UA)
    finally:
        app.extensions["relais"].engine.dispose()  # the session fixture empties the tables
