"""A GET writes nothing: reading a page, an expired offer or a notification leaves the
database as it was (closing expired offers, credit states and visit roll-ups are the worker's).

The exceptions are ``/r/<code>``, whose point is to count a visit (``referral.sharing.following``),
and the shortlist exports, which leave an audit line (who took personal data out, and when).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from referral.applications import credits
from referral.models import (
    ApplicationStatus,
    CreditEvent,
    CreditRule,
    CreditState,
    Milestone,
    Offer,
    OfferStatus,
    Role,
    utcnow,
)
from referral.notifications import candidate_messages
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


def test_admin_and_recruiter_tool_pages_write_nothing(
    client,
    auth,
    session,
    make_user,
    make_offer,
    make_link,
    make_application,
    count_queries,
):
    """The credits page shows a hire credit whose probation is over as eligible and the default
    rules, without recording either (the worker's ``credit_states`` job and the first save do);
    the other admin, recruiter, manager and analytics pages read only too."""
    staff = make_user(Role.ADMIN, Role.RECRUITER, Role.MANAGER, locale="en")
    agent = make_user(first_name="Alice", last_name="Martin")
    offer = make_offer(title="Comptable", hiring_manager=staff)
    link = make_link(offer=offer, agent=staff)
    application = make_application(offer, agent=agent, status=ApplicationStatus.HIRED)
    # A hire credited 200 days ago, still recorded pending: its probation (180 days) is over.
    credits.on_status_change(
        session,
        application,
        ApplicationStatus.NEW,
        ApplicationStatus.HIRED,
        actor=None,
        now=utcnow() - timedelta(days=200),
        probation_days=180,
    )
    session.query(CreditRule).delete()  # no rule saved yet: the page shows the defaults
    session.commit()
    hire = session.scalar(select(CreditEvent).where(CreditEvent.milestone == Milestone.HIRED))
    assert hire.state == CreditState.PENDING
    candidate_id = application.candidate_id
    pages = [
        "/admin/credits/",
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{agent.id}",
        "/admin/directions",
        "/admin/staff-import",
        "/admin/notifications/",
        "/admin/candidate-emails/",
        f"/admin/candidate-emails/{candidate_messages.STAGE_KINDS[0]}/fr",
        "/account/",
        "/recruiter/messages",
        "/recruiter/duplicates/",
        f"/recruiter/candidates/{candidate_id}",
        f"/recruiter/candidates/{candidate_id}/offers",
        f"/recruiter/offers/{offer.id}/talent-pool",
        f"/recruiter/applications/{application.id}/interviews/new",
        "/manager/offers/new",
        f"/manager/offers/{offer.id}/edit",
        f"/agent/links/{link.id}/poster",
        "/linkedin/participation",
        "/analytics/trainings",
        "/analytics/trainings/new",
    ]
    auth.login(staff)
    with count_queries() as counter:
        answers = {page: client.get(page) for page in pages}
    # /recruiter/messages sends back to the recruiter's home when no e-mail awaits review.
    assert {p: r.status_code for p, r in answers.items() if r.status_code != 200} == {
        "/recruiter/messages": 302
    }
    assert writes(counter.statements) == []
    # The one write a staff GET makes on purpose: exporting personal data leaves an audit line.
    with count_queries() as export:
        assert client.get(f"/recruiter/offers/{offer.id}/shortlist.csv").status_code == 200
    assert [s.split("(")[0].strip() for s in writes(export.statements)] == [
        "INSERT INTO audit_event"
    ]
    credits_page = answers["/admin/credits/"].get_data(as_text=True)
    # Probation over: shown earned (eligible), not pending, though still recorded pending.
    assert "<td>Alice Martin</td>" in credits_page and "<td>earned</td>" in credits_page
    assert "pending" not in credits_page.split('id="hire-credits-title"')[1].split("</p>", 1)[1]
    assert 'value="20"' in credits_page  # the default points of a hire
    session.expire_all()
    assert session.get(CreditEvent, hire.id).state == CreditState.PENDING
    assert session.scalars(select(CreditRule)).all() == []
