"""Duplicates page, CV downloads and the credits administration, over HTTP."""

import hashlib
import html
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.applications import credits
from referral.models import (
    Application,
    AuditEvent,
    Candidate,
    CreditEvent,
    CreditRule,
    CVFile,
    DuplicateFlag,
    Role,
    utcnow,
)
from tests.applying import *  # noqa: F403
from tests.applying import pdf_bytes


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def apply(client, offer, email, phone="06 12 34 56 78", ref=None, first="Marie"):
    url = f"/offers/{offer.id}/apply" + (f"?ref={ref}" if ref else "")
    return client.post(
        url,
        data={
            "first_name": first,
            "last_name": "Curie",
            "email": email,
            "phone": phone,
            "city": "Lyon",
            "consent": "y",
            "cv": (io.BytesIO(pdf_bytes(email)), "cv.pdf"),
        },
    )


@pytest.fixture
def two_marie(client, make_offer):
    apply(client, make_offer(), "marie@example.org")
    apply(client, make_offer(), "marie.curie@autre.example", phone="+33612345678")


def test_recruiters_see_and_merge_duplicates(client, auth, session, make_user, two_marie):
    recruiter = make_user(Role.RECRUITER)
    auth.login(recruiter)
    page = text(client.get("/recruiter/duplicates/"))
    assert "même numéro de téléphone" in page
    assert "marie@example.org" in page and "marie.curie@autre.example" in page
    flag = session.scalar(select(DuplicateFlag))
    keep_id = flag.other_id
    response = client.post(f"/recruiter/duplicates/{flag.id}/merge", data={"keep": keep_id})
    assert response.status_code == 302
    assert "a été fusionné(e)" in text(client.get("/recruiter/duplicates/"))
    session.expire_all()
    assert {a.candidate_id for a in session.scalars(select(Application))} == {keep_id}
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.merge")).actor_id
        == recruiter.id
    )
    assert "Aucun doublon possible" in text(client.get("/recruiter/duplicates/"))


def test_a_merge_needs_a_choice_among_the_two(client, auth, session, make_user, two_marie):
    auth.login(make_user(Role.RECRUITER))
    flag = session.scalar(select(DuplicateFlag))
    client.post(f"/recruiter/duplicates/{flag.id}/merge", data={"keep": "12345"})
    session.expire_all()
    assert session.scalar(select(Candidate).where(Candidate.merged_into_id.is_not(None))) is None
    assert client.post("/recruiter/duplicates/999999/merge", data={"keep": 1}).status_code == 404


def test_dismissing_a_flag(client, auth, session, make_user, two_marie):
    auth.login(make_user(Role.RECRUITER))
    flag = session.scalar(select(DuplicateFlag))
    client.post(f"/recruiter/duplicates/{flag.id}/dismiss")
    session.expire_all()
    assert session.get(DuplicateFlag, flag.id).resolution == "dismissed"
    assert client.post(f"/recruiter/duplicates/{flag.id}/dismiss").status_code == 404


def test_agents_and_managers_cannot_see_duplicates(client, auth, make_user):
    auth.login(make_user(Role.MANAGER))
    assert client.get("/recruiter/duplicates/").status_code == 403


def test_cv_files_are_served_to_recruiters_and_the_offers_manager_only(
    client, auth, session, make_user, make_offer
):
    manager = make_user(Role.MANAGER)
    offer = make_offer(hiring_manager=manager)
    apply(client, offer, "marie@example.org")
    cv = session.scalar(select(CVFile))
    auth.login(make_user(Role.RECRUITER))
    response = client.get(f"/recruiter/cv/{cv.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert hashlib.sha256(response.data).hexdigest() == cv.sha256
    assert "attachment" in response.headers["Content-Disposition"]
    auth.logout()
    auth.login(manager)
    assert client.get(f"/recruiter/cv/{cv.id}").status_code == 200
    auth.logout()
    auth.login(make_user(Role.MANAGER))
    assert client.get(f"/recruiter/cv/{cv.id}").status_code == 403
    auth.logout()
    auth.login(make_user())
    assert client.get(f"/recruiter/cv/{cv.id}").status_code == 403
    auth.logout()
    assert client.get(f"/recruiter/cv/{cv.id}").status_code == 302
    assert client.get(f"/static/../instance/uploads/{cv.stored_name}").status_code == 404


def test_admins_edit_the_credit_rules(client, auth, session, make_user):
    auth.login(make_user(Role.ADMIN))
    page = text(client.get("/admin/credits/"))
    assert "Points par étape" in page and 'value="20"' in page
    data = {
        "applied": 2,
        "applied_active": "y",
        "shortlisted": 4,
        "shortlisted_active": "y",
        "interview": 6,
        "interview_active": "y",
        "hired": 30,
    }
    assert client.post("/admin/credits/", data=data).status_code == 302
    session.expire_all()
    rules = {r.milestone: (r.points, r.active) for r in session.scalars(select(CreditRule))}
    assert rules == {
        "applied": (2, True),
        "shortlisted": (4, True),
        "interview": (6, True),
        "hired": (30, False),
    }
    bad = client.post("/admin/credits/", data={**data, "applied": "-3"})
    assert bad.status_code == 422


def test_each_credit_rule_field_says_it_holds_points_and_names_its_rule(client, auth, make_user):
    import re

    auth.login(make_user(Role.ADMIN, locale="en"))
    page = client.get("/admin/credits/").get_data(as_text=True)
    assert "<legend>Applied</legend>" in page
    assert (
        '<label for="applied">Points <span class="visually-hidden">(Applied)</span></label>' in page
    )
    assert (
        '<label for="hired_active">Active <span class="visually-hidden">(Hired)</span></label>'
        in page
    )
    labels = re.findall(r"<label for=\"[^\"]+\">(.*?)</label>", page)
    assert len(labels) == 8 and len(set(labels)) == 8  # every field's name is its own


@pytest.fixture
def bonus(app_config):
    """An organisation that pays referral bonuses (the default is recognition only)."""
    app_config["RELAIS_REWARD_MODEL"] = "bonus"


def test_hire_credits_go_pending_eligible_paid(
    bonus, client, auth, session, make_user, make_offer, make_link
):
    offer = make_offer()
    agent = make_user(first_name="Alice", last_name="Martin")
    link = make_link(offer=offer, agent=agent)
    apply(client, offer, "marie@example.org", ref=link.code)
    application = session.scalar(select(Application))
    long_ago = utcnow() - timedelta(days=200)
    credits.on_status_change(
        session, application, "new", "hired", actor=None, now=long_ago, probation_days=180
    )
    session.commit()
    hire = session.scalar(select(CreditEvent).where(CreditEvent.milestone == "hired"))
    assert hire.state == "pending"
    admin = make_user(Role.ADMIN)
    auth.login(admin)
    page = text(client.get("/admin/credits/"))
    assert "Alice Martin" in page and "payable" in page  # probation over: now eligible
    assert client.post(f"/admin/credits/{hire.id}/pay").status_code == 302
    session.expire_all()
    hire = session.get(CreditEvent, hire.id)
    assert (hire.state, hire.paid_by_id) == ("paid", admin.id)
    assert "payé le" in text(client.get("/admin/credits/"))
    client.post(f"/admin/credits/{hire.id}/pay")
    assert "Seul un crédit payable peut être payé" in text(client.get("/admin/credits/"))


def test_a_recent_hire_stays_pending(client, auth, session, make_user, make_offer, make_link):
    offer = make_offer()
    link = make_link(offer=offer)
    apply(client, offer, "marie@example.org", ref=link.code)
    application = session.scalar(select(Application))
    credits.on_status_change(session, application, "new", "hired", actor=None)
    session.commit()
    auth.login(make_user(Role.ADMIN))
    page = text(client.get("/admin/credits/"))
    assert "en attente (période d'essai)" in page and "Enregistrer le paiement" not in page


def test_recruiters_read_reasons_in_french_and_see_unreadable_cvs(
    client, auth, make_user, make_offer, make_link
):
    from tests.applying import scanned_pdf_bytes

    offer = make_offer()
    link = make_link(offer=offer, agent=make_user(first_name="Alice", last_name="Martin"))
    apply(client, offer, "marie@example.org", ref=link.code)
    client.post(
        f"/offers/{offer.id}/apply",
        data={
            "first_name": "Marie",
            "last_name": "Curie",
            "email": "m.curie@example.org",
            "phone": "0612345678",
            "city": "Lyon",
            "consent": "y",
            "cv": (io.BytesIO(scanned_pdf_bytes()), "scan.pdf"),
        },
    )
    auth.login(make_user(Role.RECRUITER))
    page = text(client.get("/recruiter/duplicates/"))
    assert "lien LinkedIn de Alice Martin consulté le jour même" in page
    assert "aucune cooptation" in page and "site carrières" in page
    assert page.count("aucun texte n'a pu être lu") == 1
