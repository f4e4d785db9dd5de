"""Direct referrals: invitation, ownership window, supersession."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.applications import referrals
from referral.applications.applying import apply
from referral.applications.referrals import ReferralInput, ReferralRefused, refer
from referral.errors import NotFound
from referral.models import Notification, OfferStatus, Referral, utcnow
from tests.applying import *  # noqa: F403
from tests.applying import apply_input, pdf_bytes

PERSON = ReferralInput("Léa", "Petit", "Lea.Petit@example.org", "ancienne collègue", "Rigoureuse")


@pytest.fixture
def conf(app):
    return app.extensions["relais"].settings


def test_a_referral_invites_the_person_with_a_personal_link(session, conf, make_offer, make_user):
    offer = make_offer(title="Juriste")
    agent = make_user(first_name="Paul", last_name="Roche", locale="fr")
    referral = refer(session, conf, agent=agent, offer_id=offer.id, data=PERSON)
    session.commit()
    assert (referral.email, referral.status) == ("lea.petit@example.org", "invited")
    mail = session.scalar(select(Notification).where(Notification.kind == "invitation"))
    assert mail.recipient_email == "lea.petit@example.org"
    assert mail.link_url == f"http://localhost/offers/{offer.id}/apply?invite={referral.token}"
    assert "Paul Roche" in mail.body_text and "Rigoureuse" in mail.body_text


def test_applying_marks_the_referral_applied(session, conf, make_offer, make_user):
    offer = make_offer()
    referral = refer(session, conf, agent=make_user(), offer_id=offer.id, data=PERSON)
    session.commit()
    result = apply(
        session,
        conf,
        offer_id=offer.id,
        data=apply_input(email="lea.petit@example.org"),
        cv_data=pdf_bytes(),
        cv_filename="cv.pdf",
        invite_token=referral.token,
    )
    session.commit()
    assert referral.status == "applied" and referral.candidate_id == result.candidate.id
    assert result.application.source == "referral"


def test_a_second_agent_inside_the_window_is_refused(session, conf, make_offer, make_user):
    offer = make_offer()
    first, second = make_user(), make_user()
    refer(session, conf, agent=first, offer_id=offer.id, data=PERSON)
    session.commit()
    with pytest.raises(ReferralRefused) as info:
        refer(session, conf, agent=second, offer_id=offer.id, data=PERSON)
    assert info.value.code == "taken"
    with pytest.raises(ReferralRefused) as again:
        refer(session, conf, agent=first, offer_id=offer.id, data=PERSON)
    assert again.value.code == "again"


def test_after_the_window_the_newer_referral_wins(session, conf, make_offer, make_user):
    offer = make_offer()
    first, second = make_user(), make_user()
    old = refer(
        session,
        conf,
        agent=first,
        offer_id=offer.id,
        data=PERSON,
        now=utcnow() - timedelta(days=conf.referral_window_days + 1),
    )
    session.commit()
    new = refer(session, conf, agent=second, offer_id=offer.id, data=PERSON)
    session.commit()
    assert (old.status, new.status) == ("superseded", "invited")
    # The superseded invitation no longer credits its agent.
    result = apply(
        session,
        conf,
        offer_id=offer.id,
        data=apply_input(email=PERSON.email),
        cv_data=pdf_bytes(),
        cv_filename="cv.pdf",
        invite_token=old.token,
    )
    assert result.application.credited_agent_id == second.id


def test_the_same_person_may_be_referred_for_another_offer(session, conf, make_offer, make_user):
    a, b = make_offer(), make_offer()
    refer(session, conf, agent=make_user(), offer_id=a.id, data=PERSON)
    refer(session, conf, agent=make_user(), offer_id=b.id, data=PERSON)
    session.commit()
    assert len(session.scalars(select(Referral)).all()) == 2


def test_refusals(session, conf, make_offer, make_user):
    offer = make_offer()
    agent = make_user()
    colleague = make_user()
    cases = {
        "self": ReferralInput("A", "B", agent.email),
        "staff": ReferralInput("A", "B", colleague.email),
    }
    for code, data in cases.items():
        with pytest.raises(ReferralRefused) as info:
            refer(session, conf, agent=agent, offer_id=offer.id, data=data)
        assert info.value.code == code
    apply(
        session,
        conf,
        offer_id=offer.id,
        data=apply_input(email="deja@example.org"),
        cv_data=pdf_bytes(),
        cv_filename="a.pdf",
    )
    with pytest.raises(ReferralRefused) as info:
        refer(
            session,
            conf,
            agent=agent,
            offer_id=offer.id,
            data=ReferralInput("A", "B", "deja@example.org"),
        )
    assert info.value.code == "applied"
    closed = make_offer(status=OfferStatus.CLOSED)
    with pytest.raises(ReferralRefused):
        refer(session, conf, agent=agent, offer_id=closed.id, data=PERSON)
    with pytest.raises(NotFound):
        refer(session, conf, agent=agent, offer_id=999999, data=PERSON)
    assert referrals.agent_referrals(session, agent.id) == []
