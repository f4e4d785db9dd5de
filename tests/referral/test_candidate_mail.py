"""What candidates and invited people read in their e-mails: who writes, where to answer,
what is kept about them and how to have it deleted (the privacy notice says the same)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.applications.applying import apply
from referral.applications.referrals import ReferralInput, refer
from referral.config import ConfigError, load_settings
from referral.errors import InvalidInput, NotFound
from referral.models import AuditEvent, Notification, Referral, utcnow
from referral.notifications.mailer import build_message
from referral.privacy import erasure as privacy
from tests.applying import *  # noqa: F403
from tests.applying import apply_input, pdf_bytes

PERSON = ReferralInput("Léa", "Petit", "lea.petit@example.org", "voisine", "Très rigoureuse")


@pytest.fixture
def conf(app):
    return app.extensions["relais"].settings


def receipt(session, conf, make_offer):
    apply(
        session,
        conf,
        offer_id=make_offer().id,
        data=apply_input(email="marie@example.org"),
        cv_data=pdf_bytes(),
        cv_filename="cv.pdf",
        locale="en",
    )
    session.flush()
    return session.scalar(select(Notification).where(Notification.kind == "receipt"))


def test_without_settings_the_organisation_writes_and_no_address_is_promised(
    session, conf, make_offer
):
    row = receipt(session, conf, make_offer)
    mail = build_message(row, conf)
    assert mail["From"].addresses[0].display_name == "Région Exemple"
    assert mail["From"].addresses[0].addr_spec == "no-reply@relais.example"
    assert mail["Reply-To"] is None
    assert "reply to this e-mail" not in row.body_text and "write to" not in row.body_text


def test_a_reply_to_address_is_given_to_candidates(session, conf, make_offer):
    conf = dataclasses.replace(conf, mail_reply_to="Recrutement <recrutement@region.example>")
    row = receipt(session, conf, make_offer)
    mail = build_message(row, conf)
    assert mail["Reply-To"].addresses[0].addr_spec == "recrutement@region.example"
    text = mail.get_body(("plain",)).get_content()
    assert "reply to this e-mail or write to recrutement@region.example." in text
    assert "recrutement@region.example" in mail.get_body(("html",)).get_content()


def test_mail_settings_are_checked():
    settings = load_settings({"RELAIS_ORGANISATION_NAME": "Ville d'Exemple, DRH"})
    assert settings.sender == '"Ville d\'Exemple, DRH" <no-reply@relais.example>'
    with pytest.raises(ConfigError, match="RELAIS_MAIL_REPLY_TO"):
        load_settings({"RELAIS_MAIL_REPLY_TO": "recrutement"})


def test_the_invitation_says_what_is_kept_and_how_to_delete_it(
    session, conf, make_offer, make_user
):
    conf = dataclasses.replace(conf, mail_reply_to="recrutement@region.example")
    referral = refer(
        session, conf, agent=make_user(locale="en"), offer_id=make_offer().id, data=PERSON
    )
    session.flush()
    row = session.scalar(select(Notification).where(Notification.kind == "invitation"))
    mail = build_message(row, conf)
    text = " ".join(mail.get_body(("plain",)).get_content().split())
    assert "We keep nothing" not in text
    assert "we keep your name, your e-mail address and what they wrote about you" in text
    assert "for 183 days" in text
    assert f"http://localhost/invitations/{referral.token}/forget" in text
    assert mail["Reply-To"] == "recrutement@region.example"


def test_the_invited_person_deletes_the_invitation(session, conf, make_offer, make_user):
    referral = refer(session, conf, agent=make_user(), offer_id=make_offer().id, data=PERSON)
    session.commit()
    privacy.forget_invitation(session, referral.token)
    session.commit()
    assert session.scalar(select(func.count(Referral.id))) == 0
    kinds = session.scalars(select(Notification.kind)).all()
    assert "invitation" not in kinds
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.forgotten"))
    assert event.details["reason"] == "request"
    with pytest.raises(NotFound):
        privacy.forget_invitation(session, referral.token)


def test_once_applied_the_invitation_is_the_applications(session, conf, make_offer, make_user):
    offer = make_offer()
    referral = refer(session, conf, agent=make_user(), offer_id=offer.id, data=PERSON)
    apply(
        session,
        conf,
        offer_id=offer.id,
        data=apply_input(email=PERSON.email),
        cv_data=pdf_bytes(),
        cv_filename="cv.pdf",
        invite_token=referral.token,
    )
    session.commit()
    with pytest.raises(InvalidInput):
        privacy.forget_invitation(session, referral.token)


def test_invitations_are_deleted_at_the_end_of_their_window(session, conf, make_offer, make_user):
    now = utcnow()
    old = refer(
        session,
        conf,
        agent=make_user(),
        offer_id=make_offer().id,
        data=PERSON,
        now=now - timedelta(days=conf.referral_window_days + 1),
    )
    recent = refer(session, conf, agent=make_user(), offer_id=make_offer().id, data=PERSON)
    session.commit()
    old_id = old.id
    erasure = privacy.purge_expired(session, conf, now)
    session.commit()
    assert erasure.referrals == 1
    assert session.scalars(select(Referral.id)).all() == [recent.id]
    links = session.scalars(
        select(Notification.link_url).where(Notification.kind == "invitation")
    ).all()
    assert [link.endswith(recent.token) for link in links] == [True]
    assert old_id != recent.id
