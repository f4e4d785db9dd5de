"""What the privacy page, the refer form and an invitation's deletion link tell people."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from referral.models import Notification, Referral

EN = {"Accept-Language": "en"}


def text(response) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def test_without_a_reply_address_the_privacy_page_promises_none(client):
    page = text(client.get("/privacy", headers=EN))
    assert "address of the receipt" not in page
    assert "You may ask the recruitment team of Région Exemple to see your data" in page
    assert "deleted after 183 days" in page


@pytest.fixture
def reply_to(app_config):
    app_config["RELAIS_MAIL_REPLY_TO"] = "Recrutement <recrutement@region.example>"


def test_with_a_reply_address_the_privacy_page_gives_it(reply_to, client):
    page = text(client.get("/privacy", headers=EN))
    assert "by writing to the recruitment team at recrutement@region.example" in page


def test_the_refer_form_says_the_reason_is_sent_word_for_word(client, auth, make_user, make_offer):
    make_offer()
    auth.login(make_user(locale="en"))
    page = text(client.get("/agent/refer"))
    assert "Sent word for word to the person, in the invitation e-mail." in page


def test_the_invited_person_deletes_what_is_kept(client, auth, session, make_user, make_offer):
    offer = make_offer()
    auth.login(make_user(locale="en"))
    client.post(
        "/agent/refer",
        data={
            "offer_id": offer.id,
            "first_name": "Léa",
            "last_name": "Petit",
            "email": "lea@example.org",
            "relationship": "voisine",
            "reason": "Très rigoureuse",
        },
    )
    auth.logout()
    invitation = session.scalar(select(Notification).where(Notification.kind == "invitation"))
    token = session.scalar(select(Referral.token))
    forget = f"/invitations/{token}/forget"
    assert forget in invitation.body_text

    page = client.get(forget, headers=EN)
    assert page.status_code == 200 and "Delete what we keep about you" in text(page)
    assert session.scalar(select(func.count(Referral.id))) == 1  # a GET deletes nothing

    done = client.post(forget, headers=EN)
    assert done.status_code == 200 and "The invitation link no longer works." in text(done)
    session.expire_all()
    assert session.scalar(select(func.count(Referral.id))) == 0
    assert session.scalar(select(Notification).where(Notification.kind == "invitation")) is None
    assert client.get(forget, headers=EN).status_code == 404
    apply_page = text(client.get(f"/offers/{offer.id}/apply?invite={token}"))
    assert "lea@example.org" not in apply_page  # the link no longer fills anything in
