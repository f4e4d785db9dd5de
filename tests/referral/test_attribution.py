"""Attribution, rule by rule: referral, then share link (last or first touch), else careers."""

from dataclasses import replace
from datetime import timedelta

import pytest

from referral.applications import referrals
from referral.applications.attribution import attribute, describe
from referral.i18n import translations
from referral.models import utcnow
from referral.sharing.touches import Touch
from tests.applying import *  # noqa: F403

EMAIL = "lea.petit@example.org"


@pytest.fixture
def conf(app):
    return app.extensions["relais"].settings


@pytest.fixture
def who(session, conf):
    def run(offer, *, touches=(), ref=None, invite=None, staff=None, email=EMAIL, settings=None):
        return attribute(
            session,
            settings or conf,
            offer=offer,
            email=email,
            touches=list(touches),
            ref_code=ref,
            invite_token=invite,
            staff_user=staff,
            now=utcnow(),
        )

    return run


def ago(days):
    return utcnow() - timedelta(days=days)


def test_no_touch_means_the_careers_site_and_no_agent(make_offer, who):
    found = who(make_offer())
    assert (found.source, found.agent, found.reason) == ("careers", None, "no referral")


def test_last_touch_wins_by_default(make_offer, make_link, who):
    offer = make_offer()
    first, last = make_link(offer=offer), make_link(offer=offer, channel="email")
    found = who(offer, touches=[Touch(first.code, ago(5)), Touch(last.code, ago(1))])
    assert found.share_link.id == last.id and found.agent.id == last.agent_id
    assert found.reason == f"e-mail link of {last.agent.full_name} visited 1 day before"


def test_first_touch_by_configuration(make_offer, make_link, who, conf):
    offer = make_offer()
    first, last = make_link(offer=offer), make_link(offer=offer)
    found = who(
        offer,
        touches=[Touch(first.code, ago(5)), Touch(last.code, ago(1))],
        settings=replace(conf, attribution_model="first"),
    )
    assert found.share_link.id == first.id
    assert found.reason.endswith("visited 5 days before")


def test_the_code_on_the_apply_address_counts_as_a_touch_now(make_offer, make_link, who):
    offer = make_offer()
    link = make_link(offer=offer)
    found = who(offer, ref=link.code)
    assert found.source == "share_link" and found.agent.id == link.agent_id
    assert found.reason.endswith("visited today")


def test_revoked_and_unknown_codes_are_ignored(make_offer, make_link, who):
    offer = make_offer()
    revoked = make_link(offer=offer, revoked=True)
    assert who(offer, ref=revoked.code).source == "careers"
    assert who(offer, ref="nosuchcode", touches=[Touch("forged", ago(1))]).source == "careers"


def test_a_link_to_this_offer_beats_a_later_link_to_another(make_offer, make_link, who):
    offer, other_offer = make_offer(), make_offer()
    mine, other = make_link(offer=offer), make_link(offer=other_offer)
    found = who(offer, touches=[Touch(mine.code, ago(4)), Touch(other.code, ago(1))])
    assert found.share_link.id == mine.id
    # Without a link to this offer, the agent who brought the person still gets it.
    assert who(offer, touches=[Touch(other.code, ago(1))]).share_link.id == other.id


def test_a_direct_referral_beats_any_link(session, conf, make_offer, make_link, make_user, who):
    offer = make_offer()
    link = make_link(offer=offer)
    referrer = make_user(first_name="Paul", last_name="Roche")
    referral = referrals.refer(
        session,
        conf,
        agent=referrer,
        offer_id=offer.id,
        data=referrals.ReferralInput("Léa", "Petit", EMAIL, "voisine", "Très organisée"),
    )
    session.commit()
    by_email = who(offer, ref=link.code)
    assert (by_email.source, by_email.agent.id) == ("referral", referrer.id)
    assert by_email.reason == "direct referral by Paul Roche"
    # The personal link works even when the person applies with another address.
    by_token = who(offer, invite=referral.token, email="lea.autre@example.org")
    assert by_token.referral.id == referral.id
    # ...but only for the offer it was made for.
    assert who(make_offer(), invite=referral.token, email="x@example.org").source == "careers"


def test_staff_are_internal_mobility_and_credit_nobody(make_offer, make_link, make_user, who):
    offer = make_offer()
    colleague = make_user()
    link = make_link(offer=offer)
    by_email = who(offer, ref=link.code, email=colleague.email.upper())
    assert (by_email.source, by_email.agent, by_email.internal_mobility) == ("internal", None, True)
    signed_in = who(offer, ref=link.code, staff=colleague, email="private@example.org")
    assert signed_in.source == "internal" and signed_in.agent is None


def test_an_agent_is_never_credited_for_their_own_link(make_offer, make_link, make_user, who):
    offer = make_offer()
    agent = make_user()
    own = make_link(offer=offer, agent=agent)
    # Applying with the staff address is internal mobility; no credit in any case.
    assert who(offer, ref=own.code, email=agent.email).agent is None


def test_reasons_read_in_french():
    fr = translations("fr")

    def gettext(message, **params):
        return fr.gettext(message) % params if params else fr.gettext(message)

    assert describe("no referral", gettext) == "aucune cooptation"
    assert (
        describe("LinkedIn link of Alice Martin visited 3 days before", gettext)
        == "lien LinkedIn de Alice Martin consulté il y a 3 jours"
    )
    assert describe("direct referral by Paul Roche", gettext) == "cooptation directe par Paul Roche"
    assert describe("typed by hand", gettext) == "typed by hand"


def test_a_deactivated_agents_link_keeps_its_source_but_credits_nobody(
    session, make_offer, make_link, make_user, who
):
    offer = make_offer()
    agent = make_user(first_name="Paul", last_name="Roche")
    link = make_link(offer=offer, agent=agent)
    agent.active = False
    session.commit()
    found = who(offer, ref=link.code)
    assert (found.source, found.share_link.id, found.agent) == ("share_link", link.id, None)
    assert found.reason == "LinkedIn link of Paul Roche, whose account is deactivated: no credit"
    # The reason is one of the known patterns, so it is shown in the reader's language.
    shown = describe(found.reason, lambda m, **p: "«" + (m % p if p else m) + "»")
    assert shown.startswith("«") and shown.endswith("no credit»")
    # A colleague who also brought the person, even earlier, gets the credit.
    colleague = make_link(offer=offer)
    found = who(offer, touches=[Touch(colleague.code, ago(3)), Touch(link.code, ago(1))])
    assert (found.share_link.id, found.agent.id) == (colleague.id, colleague.agent_id)


def test_a_deactivated_agents_referral_keeps_its_source_but_credits_nobody(
    session, conf, make_offer, make_user, who
):
    offer = make_offer()
    referrer = make_user(first_name="Paul", last_name="Roche")
    referral = referrals.refer(
        session,
        conf,
        agent=referrer,
        offer_id=offer.id,
        data=referrals.ReferralInput("Léa", "Petit", EMAIL, "voisine", "Très organisée"),
    )
    referrer.active = False
    session.commit()
    found = who(offer)
    assert (found.source, found.referral.id, found.agent) == ("referral", referral.id, None)
    assert found.reason.endswith("whose account is deactivated: no credit")
