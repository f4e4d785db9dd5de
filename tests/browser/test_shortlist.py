"""Journey: a recruiter reads why the first candidate ranks first, moves them to interview, and
the referring agent sees their points change."""

from __future__ import annotations

from sqlalchemy import func, select

from referral.models import CreditEvent, Role
from tests.conftest import PASSWORD


def sign_in(page, user):
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_recruiter_moves_the_best_candidate_to_interview_and_the_agent_gains_points(
    page, session, make_user, make_offer, make_application, make_candidate
):
    recruiter = make_user(Role.RECRUITER)
    agent = make_user(first_name="Aline", last_name="Partage")
    offer = make_offer(
        title="Cheffe de projet numérique",
        required_skills=["gestion de projet", "marchés publics", "python"],
    )
    best = make_application(
        offer,
        make_candidate("Élise", "Fournier"),
        score=88,
        agent=agent,
        matched=["gestion de projet", "python"],
        missing=["marchés publics"],
    )
    make_application(offer, make_candidate("Marc", "Moyen"), score=52, matched=["python"])
    make_application(offer, make_candidate("Sans", "Score"))

    def agent_points() -> int:
        session.expire_all()
        return session.scalar(
            select(func.coalesce(func.sum(CreditEvent.points), 0)).where(
                CreditEvent.agent_id == agent.id
            )
        )

    before = agent_points()

    sign_in(page, agent)
    page.goto("/agent/referrals")
    shown_before = int(page.locator("#points-total").inner_text())
    page.get_by_role("button", name="Se déconnecter").click()

    sign_in(page, recruiter)
    page.goto(f"/recruiter/offers/{offer.id}/shortlist")
    first_row = page.locator("tr.shortlist-row").first
    assert first_row.locator(".candidate-name").inner_text() == "Élise Fournier"
    assert "88" in first_row.locator(".score-value").inner_text()
    assert first_row.locator(".tag.missing").first.inner_text().endswith("marchés publics")

    # Why first? The explanation opens on demand.
    explanation = first_row.locator("details.explanation")
    assert not explanation.locator("table.components").is_visible()
    explanation.locator("summary").click()
    assert explanation.locator("table.components").is_visible()
    assert explanation.get_by_text(
        "8 ans de gestion de projet au conseil départemental"
    ).is_visible()

    # To the candidate file, then move to interview.
    first_row.locator(".candidate-name").click()
    page.wait_for_url(f"**/recruiter/candidates/{best.candidate_id}")
    form = page.locator(f"#application-{best.id} form.move-form")
    form.get_by_label("Nouvelle étape").select_option("interview")
    form.get_by_role("button", name="Changer d'étape").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").inner_text().startswith("Élise Fournier")
    # The e-mail to the candidate is proposed; sent as it is, back to the candidate file.
    page.get_by_role("button", name="Envoyer les courriels cochés").click()
    page.wait_for_url(f"**/recruiter/candidates/{best.candidate_id}")
    assert "Entretien" in page.locator(f"#application-{best.id} .status").inner_text()

    after = agent_points()
    assert after > before
    page.get_by_role("button", name="Se déconnecter").click()
    sign_in(page, agent)
    page.goto("/agent/referrals")
    assert int(page.locator("#points-total").inner_text()) == shown_before + (after - before)


def test_select_all_then_bulk_move_to_screening(
    page, session, make_user, make_offer, make_application
):
    recruiter = make_user(Role.RECRUITER)
    offer = make_offer()
    applications = [make_application(offer, score=float(60 + i)) for i in range(3)]
    sign_in(page, recruiter)
    page.goto(f"/recruiter/offers/{offer.id}/shortlist")
    page.get_by_label("Sélectionner toutes les candidatures de cette page").check()
    assert page.locator('input[name="application_ids"]:checked').count() == 3
    page.get_by_label("Nouvelle étape").select_option("screening")
    page.get_by_role("button", name="Appliquer à la sélection").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="3 candidatures déplacées").is_visible()
    session.expire_all()
    assert {a.status for a in applications} == {"screening"}
