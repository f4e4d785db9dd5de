"""The lifecycle of an offer is stated once (``Offer.allowed_actions``) and the domain's
operations agree with it: what it allows succeeds, what it does not is refused."""

import contextlib

import pytest

from referral.errors import DomainError
from referral.models import OfferAction, OfferStatus, Role, utcnow
from referral.offers import lifecycle as offers

OPERATIONS = {
    OfferAction.PUBLISH: (offers.publish, OfferStatus.PUBLISHED),
    OfferAction.CLOSE: (offers.close, OfferStatus.CLOSED),
    OfferAction.FILL: (offers.mark_filled, OfferStatus.FILLED),
}


@pytest.mark.parametrize("status", list(OfferStatus), ids=str)
@pytest.mark.parametrize("action", list(OPERATIONS), ids=str)
def test_the_operations_agree_with_the_allowed_actions(
    session, make_offer, make_user, status, action
):
    admin = make_user(Role.ADMIN)
    offer = make_offer(status=status.value)
    session.commit()
    operation, target = OPERATIONS[action]
    if action in offer.allowed_actions():
        operation(session, offer, admin, utcnow())
        assert offer.status == target
    elif status == target:
        # Not offered, and doing it again changes nothing (a double click).
        with contextlib.suppress(DomainError):
            operation(session, offer, admin, utcnow())
        assert offer.status == status
    else:
        with pytest.raises(DomainError):
            operation(session, offer, admin, utcnow())
        assert offer.status == status


def test_only_a_published_offer_is_shared(make_offer):
    shared = {
        s for s in OfferStatus if OfferAction.SHARE in make_offer(status=s.value).allowed_actions()
    }
    assert shared == {OfferStatus.PUBLISHED}
