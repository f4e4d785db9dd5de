"""LinkedIn activity through HTTP: consent, import, "I posted it", one's own page, deletion,
participation; nobody sees another agent's figures."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from referral.models import (
    LinkedInConsent,
    LinkedInEdge,
    LinkedInPost,
    LinkedInWeek,
    Role,
    ShareLink,
)
from tests.linkedin_factories import activity_csv, connections_csv, shares_csv, zip_bytes

DAY = date(2025, 3, 4)  # a Tuesday; its week starts on Monday 3 March


def _consent(client, profile=""):
    return client.post("/linkedin/consent", data={"agree": "y", "profile_url": profile})


def _upload(client, data: bytes, name="archive.zip"):
    return client.post(
        "/linkedin/import",
        data={"archive": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _archive(colleague, outsider=("Jean", "Inconnu")):
    return zip_bytes(
        {
            "Connections.csv": connections_csv(
                [
                    (colleague.first_name, colleague.last_name, "", DAY),
                    (*outsider, "https://www.linkedin.com/in/jinconnu", DAY),
                ]
            ),
            "Shares.csv": shares_csv(
                [(DAY, "Nous recrutons http://localhost/r/abc123"), (DAY, "Bonne journée")]
            ),
            "Reactions.csv": activity_csv(
                "reactions",
                [(DAY, "https://www.linkedin.com/feed/update/urn:li:activity:987654321")],
            ),
        }
    )


def test_consent_is_asked_before_any_upload_and_says_what_is_kept(client, auth, make_user, session):
    agent = make_user(locale="en")
    auth.login(agent)
    page = client.get("/linkedin/")
    assert page.status_code == 200
    assert b"Never kept: the names of people outside the staff" in page.data
    assert b"Import my archive" not in page.data
    refused = _upload(client, _archive(agent))
    assert refused.status_code == 400
    assert session.scalar(select(func.count()).select_from(LinkedInWeek)) == 0
    no_tick = client.post("/linkedin/consent", data={"profile_url": ""})
    assert no_tick.status_code == 400 and b"Tick the box" in no_tick.data
    bad = _consent(client, "https://example.com/me")
    assert bad.status_code == 400 and b"linkedin.com/in/your-name" in bad.data
    assert _consent(client, "https://www.linkedin.com/in/Me-Agent/").status_code == 302
    assert session.get(LinkedInConsent, agent.id).profile_url == "me-agent"


def test_import_keeps_weekly_counts_and_edges_between_consenting_colleagues_only(
    client, auth, make_user, session, make_offer
):
    colleague = make_user(first_name="Hélène", last_name="Lefèvre")
    session.add(LinkedInConsent(user_id=colleague.id))
    offer = make_offer()
    session.add(
        LinkedInPost(
            user_id=colleague.id,
            offer_id=offer.id,
            url="https://www.linkedin.com/feed/update/urn:li:activity:987654321/",
        )
    )
    session.commit()
    agent = make_user(locale="en")
    auth.login(agent)
    _consent(client)
    # The same name typed without accents is still recognised (rapidfuzz above the threshold).
    colleague.first_name, colleague.last_name = "Helene", "Lefevre"
    answer = _upload(client, _archive(colleague))
    assert answer.status_code == 302
    session.expire_all()
    (week,) = session.scalars(select(LinkedInWeek).where(LinkedInWeek.user_id == agent.id)).all()
    assert week.week == date(2025, 3, 3)
    assert (week.connections, week.colleague_connections) == (2, 1)
    assert (week.posts, week.posts_with_link) == (2, 1)
    assert (week.reactions, week.colleague_reactions) == (1, 1)
    edges = session.execute(select(LinkedInEdge.target_id, LinkedInEdge.kind)).all()
    assert sorted(edges) == sorted([(colleague.id, "connection"), (colleague.id, "reaction")])
    page = client.get("/linkedin/")
    assert b"2025-03" in page.data and b"Posts with a Relais link" in page.data
    # Nothing of the outsider is kept anywhere.
    assert b"Inconnu" not in page.data

    # The same archive twice: the same figures, not double.
    assert _upload(client, _archive(colleague)).status_code == 302
    session.expire_all()
    assert (
        session.scalar(select(LinkedInWeek.connections).where(LinkedInWeek.user_id == agent.id))
        == 2
    )
    assert session.scalar(select(func.count()).select_from(LinkedInEdge)) == 2
    # A later archive replaces the earlier figures.
    later = zip_bytes({"Shares.csv": shares_csv([(date(2025, 4, 1), "x")])})
    assert _upload(client, later).status_code == 302
    session.expire_all()
    weeks = session.scalars(select(LinkedInWeek).where(LinkedInWeek.user_id == agent.id)).all()
    assert [(w.week, w.posts, w.connections) for w in weeks] == [(date(2025, 3, 31), 1, 0)]


def test_a_bad_archive_gets_a_clear_message_and_changes_nothing(client, auth, make_user, session):
    agent = make_user(locale="en")
    auth.login(agent)
    _consent(client)
    assert _upload(client, zip_bytes({"Shares.csv": shares_csv([(DAY, "x")])})).status_code == 302
    for data, message in (
        (b"not a zip", b"This is not a ZIP file"),
        (zip_bytes({"Profile.csv": "a\n"}), b"none of Connections.csv"),
        (zip_bytes({"Shares.csv": b"\x00\x00binary"}), b"is not a text file"),
    ):
        answer = _upload(client, data)
        assert answer.status_code == 400
        assert message in answer.data
    assert session.scalar(select(LinkedInWeek.posts).where(LinkedInWeek.user_id == agent.id)) == 1


def test_french_messages(client, auth, make_user):
    agent = make_user(locale="fr")
    auth.login(agent)
    page = client.get("/linkedin/")
    assert b"Ce que Relais garde" in page.data
    _consent(client)
    answer = _upload(client, b"nope")
    assert b"pas un fichier ZIP" in answer.data


def test_i_posted_it_ties_the_post_to_the_offer_and_the_share_link(
    client, auth, make_user, make_offer, session
):
    agent = make_user(locale="en")
    offer = make_offer()
    link = ShareLink(code="k7Yq2", offer_id=offer.id, agent_id=agent.id, channel="linkedin")
    session.add(link)
    session.commit()
    auth.login(agent)
    assert client.get(f"/linkedin/offers/{offer.id}/posted").status_code == 302  # consent first
    _consent(client)
    url = "https://www.linkedin.com/posts/agent_recrutement-activity-7123456789012345678-abcd"
    bad = client.post(f"/linkedin/offers/{offer.id}/posted", data={"url": "http://evil.example/x"})
    assert bad.status_code == 400 and b"https://www.linkedin.com/" in bad.data
    ok = client.post(
        f"/linkedin/offers/{offer.id}/posted",
        data={"url": url, "post_text": "Postulez : http://localhost/r/k7Yq2", "impressions": "120"},
    )
    assert ok.status_code == 302
    post = session.scalar(select(LinkedInPost))
    assert (post.offer_id, post.share_link_id, post.impressions) == (offer.id, link.id, 120)
    # Counts updated later: the same post, not a second one.
    client.post(
        f"/linkedin/offers/{offer.id}/posted",
        data={"url": url, "impressions": "300", "reactions": "9"},
    )
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(LinkedInPost)) == 1
    assert session.scalar(select(LinkedInPost.impressions)) == 300
    assert b"300 impressions" in client.get("/linkedin/").data


def test_delete_everything_in_one_click(client, auth, make_user, session):
    colleague = make_user(first_name="Paul", last_name="Martin")
    session.add(LinkedInConsent(user_id=colleague.id))
    session.commit()
    agent = make_user(locale="en")
    auth.login(agent)
    _consent(client)
    _upload(client, _archive(colleague))
    assert session.scalar(select(func.count()).select_from(LinkedInEdge)) == 1
    answer = client.post("/linkedin/delete", follow_redirects=True)
    assert b"Everything Relais kept about your LinkedIn activity is deleted." in answer.data
    session.expire_all()
    assert session.get(LinkedInConsent, agent.id) is None
    assert session.scalar(select(func.count()).select_from(LinkedInWeek)) == 0
    assert session.scalar(select(func.count()).select_from(LinkedInEdge)) == 0


def test_participation_by_direction_hides_small_groups(
    client, auth, make_user, make_direction, session
):
    big, small = make_direction("Direction des routes"), make_direction("Direction du port")
    for _ in range(5):
        user = make_user(direction_id=big.id)
        session.add(LinkedInConsent(user_id=user.id))
    lonely = make_user(direction_id=small.id)
    session.add(LinkedInConsent(user_id=lonely.id))
    session.commit()
    recruiter = make_user(Role.RECRUITER, locale="en")
    auth.login(recruiter)
    page = client.get("/linkedin/participation")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    routes = text[text.index("Direction des routes") :]
    assert '<td class="num">5</td>' in routes[:200]
    port = text[text.index("Direction du port") :]
    assert "not enough data" in port[:200]
    auth.logout()
    auth.login(make_user(locale="en"))
    assert client.get("/linkedin/participation").status_code == 403


def test_a_manager_sees_the_participation_of_their_direction_only(
    client, auth, make_user, make_direction
):
    mine, other = make_direction("Direction des routes"), make_direction("Direction du port")
    make_user(direction_id=other.id)
    manager = make_user(Role.MANAGER, direction_id=mine.id, locale="en")
    auth.login(manager)
    page = client.get("/linkedin/participation")
    assert page.status_code == 200
    assert b"Direction des routes" in page.data
    assert b"Direction du port" not in page.data
