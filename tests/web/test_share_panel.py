"""Agents share: personal links per channel, share buttons, post text, QR codes, My links."""

import io
import re
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from referral.models import Application, Candidate, OfferStatus, ShareLink, utcnow
from referral.sharing import links
from tests.offer_helpers import PERSON_UA, make_link


@pytest.fixture
def offer(make_offer):
    return make_offer(title="Technicien SIG", location="Lyon", remote_work="partial")


@pytest.fixture
def agent(make_user):
    return make_user()


def _take(client, offer, channel, then="show"):
    return client.post(f"/agent/offers/{offer.id}/links/{channel}", data={"then": then})


def test_the_panel_offers_every_channel_and_creates_links_on_first_use(
    client, auth, session, offer, agent
):
    auth.login(agent)
    html = client.get(f"/agent/offers/{offer.id}").get_data(as_text=True)
    for channel in links.CHANNELS:
        assert f'id="channel-{channel}"' in html
    assert session.scalar(select(ShareLink)) is None  # nothing created by looking
    response = _take(client, offer, "linkedin")
    assert response.status_code == 302
    link = session.scalar(select(ShareLink))
    assert (link.channel, link.agent_id, link.offer_id) == ("linkedin", agent.id, offer.id)
    assert len(link.code) >= 8 and set(link.code) <= set(links.ALPHABET)
    assert not set(link.code) & set("0O1lI")
    html = client.get(f"/agent/offers/{offer.id}").get_data(as_text=True)
    assert f'value="http://localhost/r/{link.code}"' in html
    assert 'data-copy-target="link-linkedin"' in html
    # Stable afterwards.
    _take(client, offer, "linkedin")
    assert session.scalars(select(ShareLink)).all() == [link]


def test_share_on_linkedin_opens_linkedins_share_page_with_the_agents_link(
    client, auth, session, offer, agent
):
    auth.login(agent)
    response = _take(client, offer, "linkedin", then="open")
    link = session.scalar(select(ShareLink))
    target = response.headers["Location"]
    assert target.startswith("https://www.linkedin.com/sharing/share-offsite/?")
    assert parse_qs(urlsplit(target).query)["url"] == [f"http://localhost/r/{link.code}"]
    html = client.get(f"/agent/offers/{offer.id}").get_data(as_text=True)
    assert (
        "https://www.linkedin.com/sharing/share-offsite/?url=http%3A%2F%2Flocalhost%2Fr%2F" in html
    )


@pytest.mark.parametrize(
    "channel, prefix",
    [
        ("email", "mailto:?subject="),
        ("whatsapp", "https://wa.me/?text="),
        ("x", "https://twitter.com/intent/tweet?"),
        ("facebook", "https://www.facebook.com/sharer/sharer.php?u="),
    ],
)
def test_each_channel_has_its_own_link_and_button(
    client, auth, session, offer, agent, channel, prefix
):
    auth.login(agent)
    target = _take(client, offer, channel, then="open").headers["Location"]
    link = session.scalar(select(ShareLink).where(ShareLink.channel == channel))
    assert target.startswith(prefix)
    assert f"r%2F{link.code}" in target or f"r/{link.code}" in target


def test_the_post_text_in_french_and_english(client, auth, offer, agent):
    auth.login(agent)
    _take(client, offer, "linkedin")
    fr = client.get(f"/agent/offers/{offer.id}?text_lang=fr").get_data(as_text=True)
    text = re.search(r'<textarea id="text-linkedin"[^>]*>(.*?)</textarea>', fr, re.S).group(1)
    assert "Nous recrutons : Technicien SIG" in text
    assert "Télétravail partiel possible" in text and "#recrutement" in text
    assert "/r/" in text
    assert 'data-copy-target="text-linkedin" data-copy-open' in fr
    en = client.get(f"/agent/offers/{offer.id}?text_lang=en").get_data(as_text=True)
    assert "We are hiring: Technicien SIG" in en and "#hiring" in en


def test_each_channel_has_its_own_text_with_its_own_link(client, auth, session, offer, agent):
    auth.login(agent)
    for channel in ("linkedin", "whatsapp", "copy"):
        _take(client, offer, channel)
    html = client.get(f"/agent/offers/{offer.id}").get_data(as_text=True)
    for channel in ("linkedin", "whatsapp", "copy"):
        code = session.scalar(select(ShareLink.code).where(ShareLink.channel == channel))
        text = re.search(rf'<textarea id="text-{channel}"[^>]*>(.*?)</textarea>', html, re.S)
        assert f"/r/{code}" in text.group(1)
        others = session.scalars(select(ShareLink.code).where(ShareLink.channel != channel))
        assert not any(f"/r/{c}" in text.group(1) for c in others)
    # One button per channel without a link yet.
    facebook = html[html.index('id="channel-facebook"') :]
    facebook = facebook[: facebook.index("</li>")]
    assert facebook.count("<button") == 1 and "Préparer mon lien et mon texte Facebook" in facebook


def test_qr_code_svg_png_and_poster(client, auth, session, offer, agent, make_user):
    auth.login(agent)
    _take(client, offer, "qr")
    link = session.scalar(select(ShareLink))
    svg = client.get(f"/agent/links/{link.id}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    png = client.get(f"/agent/links/{link.id}/qr.png")
    assert png.mimetype == "image/png"
    assert Image.open(io.BytesIO(png.data)).size[0] > 100
    poster = client.get(f"/agent/links/{link.id}/poster").get_data(as_text=True)
    assert "<h1>Technicien SIG</h1>" in poster
    assert f"http://localhost/r/{link.code}" in poster
    css = client.get("/static/css/relais.css").get_data(as_text=True)
    assert "@page { size: A4" in css
    # Another agent cannot use someone else's link.
    auth.logout()
    auth.login(make_user())
    assert client.get(f"/agent/links/{link.id}/qr.svg").status_code == 403
    assert client.post(f"/agent/links/{link.id}/revoke").status_code == 403


def test_revoking_kills_the_address_and_a_new_link_gets_a_new_code(
    client, auth, session, offer, agent
):
    auth.login(agent)
    _take(client, offer, "copy")
    link = session.scalar(select(ShareLink))
    old = link.code
    assert client.post(f"/agent/links/{link.id}/revoke").status_code == 302
    assert client.get(f"/r/{old}", headers={"User-Agent": PERSON_UA}).status_code == 404
    assert client.get(f"/agent/links/{link.id}/qr.svg").status_code == 404
    _take(client, offer, "copy")
    session.expire_all()
    renewed = session.get(ShareLink, link.id)
    assert renewed.code != old and renewed.revoked_at is None


def test_closed_offers_cannot_be_shared(client, auth, session, make_offer, agent):
    closed = make_offer(status=OfferStatus.CLOSED)
    auth.login(agent)
    html = client.get(f"/agent/offers/{closed.id}").get_data(as_text=True)
    assert "Prepare my" not in html and "Préparer" not in html
    response = _take(client, closed, "linkedin", then="open")
    assert response.headers["Location"].startswith(f"/agent/offers/{closed.id}")
    assert session.scalar(select(ShareLink)) is None


def test_drafts_are_not_shown_to_agents(client, auth, make_offer, agent):
    draft = make_offer(status=OfferStatus.DRAFT)
    auth.login(agent)
    assert client.get(f"/agent/offers/{draft.id}").status_code == 404


def test_my_links_counts_people_visits_applications_and_hires(
    client, auth, session, offer, agent, count_queries, make_offer
):
    linkedin = make_link(session, offer, agent, "linkedin")
    make_link(session, offer, agent, "email")
    for ua in ("A", "B", "B"):
        client.get(f"/r/{linkedin.code}", headers={"User-Agent": PERSON_UA + ua})
    client.get(f"/r/{linkedin.code}", headers={"User-Agent": "LinkedInBot/1.0"})
    for n, status in enumerate(["new", "hired"]):
        candidate = Candidate(email=f"p{n}@example.org", first_name="P", last_name=str(n))
        session.add(candidate)
        session.flush()
        session.add(
            Application(
                candidate_id=candidate.id,
                offer_id=offer.id,
                share_link_id=linkedin.id,
                status=status,
            )
        )
    session.commit()
    auth.login(agent)
    with count_queries() as counter:
        html = client.get("/agent/links").get_data(as_text=True)
    linkedin_row = re.search(r"<tr>\s*<th scope=\"row\">LinkedIn</th>(.*?)</tr>", html, re.S).group(
        1
    )
    assert re.findall(r'<td class="num"[^>]*>(\d+)</td>', linkedin_row) == ["2", "3", "2", "1"]
    total = html[html.index("<tfoot>") :]
    assert re.findall(r'<td class="num"[^>]*>(\d+)</td>', total)[:4] == ["2", "3", "2", "1"]
    # A fixed number of queries, however many links and offers.
    for other in (make_offer(), make_offer()):
        for channel in ("copy", "qr", "x"):
            make_link(session, other, agent, channel)
    with count_queries() as more:
        client.get("/agent/links")
    assert more.count == counter.count


def test_my_links_is_empty_at_first(client, auth, agent):
    auth.login(agent)
    html = client.get("/agent/links").get_data(as_text=True)
    assert 'class="empty"' in html


def test_agent_home_links_to_the_share_panel(client, auth, offer, agent):
    auth.login(agent)
    assert f'href="/agent/offers/{offer.id}"'.encode() in client.get("/agent/").data


def test_concurrent_first_uses_end_with_one_link(app, session, offer, agent):
    """Two requests creating the same link at once: the constraint keeps one, both get it."""
    sessions = app.extensions["relais"].sessions
    barrier = threading.Barrier(6)
    codes, errors = [], []

    def take():
        try:
            with sessions() as s:
                o, a = s.get(type(offer), offer.id), s.get(type(agent), agent.id)
                # Not waiting for the others inside a transaction: on SQLite a transaction
                # holds the write lock (one writer at a time) and the others would wait on it.
                s.commit()
                barrier.wait(10)
                link = links.get_or_create_link(s, o, a, "whatsapp", utcnow())
                s.commit()
                codes.append(link.code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(set(codes)) == 1
    assert len(session.scalars(select(ShareLink)).all()) == 1
