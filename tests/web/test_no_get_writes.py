"""A GET writes nothing: reading a page, an expired offer or a notification leaves the
database as it was (closing expired offers, credit states and visit roll-ups are the worker's).

The one exception is ``/r/<code>``, whose point is to count a visit (``referral.sharing.following``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from referral.models import Offer, OfferStatus, Role, utcnow
from tests.applying import *  # noqa: F403 - its fixtures (make_link)
from tests.notification_factories import queue_closing_notice

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith(WRITES)]


def test_pages_read_by_staff_and_visitors_write_nothing(
    client, auth, session, make_user, make_offer, make_link, count_queries
):
    recruiter = make_user(Role.RECRUITER, Role.MANAGER, locale="en")
    expired = make_offer(title="Juriste", closing_date=utcnow().date() - timedelta(days=2))
    open_offer = make_offer(title="Comptable")
    make_link(offer=open_offer, agent=recruiter)
    notice = queue_closing_notice(
        session, recruiter, 1, title="Offre", when=datetime(2026, 11, 1, tzinfo=UTC)
    )
    session.commit()
    public_pages = [
        "/",
        "/offers",
        f"/offers/{expired.id}",
        f"/offers/{expired.id}-juriste",
        f"/offers/{open_offer.id}-comptable",
    ]
    staff_pages = [
        "/agent/",
        f"/agent/offers/{open_offer.id}",
        f"/agent/offers/{expired.id}",
        "/agent/refer",
        "/agent/referrals",
        "/agent/links",
        "/agent/leaderboard",
        "/inbox/",
        f"/inbox/{notice.id}/open",
        "/recruiter/",
        f"/recruiter/offers/{open_offer.id}/shortlist",
        "/manager/",
        f"/manager/offers/{expired.id}",
        "/linkedin/",
    ]
    with count_queries() as counter:
        answers = {page: client.get(page).status_code for page in public_pages}
    auth.login(recruiter)
    with count_queries() as staff:
        answers.update({page: client.get(page).status_code for page in staff_pages})
    assert all(code in (200, 301, 302) for code in answers.values()), answers
    assert writes(counter.statements + staff.statements) == []
    session.expire_all()
    # The expired offer is still recorded published: the worker closes it, not the page.
    assert session.get(Offer, expired.id).status == OfferStatus.PUBLISHED.value
    # Following the notification's link (GET) did not mark it read.
    assert session.get(type(notice), notice.id).read_at is None
