"""Journey: an admin records a training and its attendees, then a recruiter reads the
before/after comparison and the funnel, in French, with no Content-Security-Policy error."""

from __future__ import annotations

import pytest

from referral.models import Role
from tests.conftest import PASSWORD
from tests.referral.analytics_fixtures import build_base, build_training, unlink_directions


@pytest.fixture
def data(session, make_direction, make_user, make_offer):
    base = build_base(session, make_direction, make_user, make_offer)
    case = build_training(session, make_user, make_offer)
    yield base, case
    unlink_directions(session)


def sign_in(page, user):
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_training_then_dashboards(page, make_user, data):
    base, case = data
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    admin = make_user(Role.ADMIN)
    sign_in(page, admin)
    page.goto("/analytics/trainings")
    page.get_by_role("link", name="Nouvelle formation").click()
    page.get_by_label("Intitulé").fill("Ambassadeurs, session 2")
    page.get_by_label("Public").select_option("directors")
    page.get_by_label("Date").fill("2026-03-16")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_label("Adresses e-mail").fill(f"{base.a1.email}; inconnu@region.example")
    page.get_by_role("button", name="Ajouter").click()
    assert page.get_by_text("inconnu@region.example").first.is_visible()
    assert page.get_by_role("row", name=base.a1.full_name).is_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    sign_in(page, make_user(Role.RECRUITER))
    page.get_by_role("link", name="Statistiques").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Statistiques : entonnoir"
    page.get_by_label("Du", exact=True).fill("2026-03-01")
    page.get_by_label("Au", exact=True).fill("2026-03-31")
    page.get_by_label("Regrouper par").select_option("channel")
    page.get_by_role("button", name="Afficher").click()
    assert page.get_by_role("img", name="Entonnoir de la période").is_visible()
    assert page.get_by_role("row", name="Cooptation directe").is_visible()

    page.get_by_role("navigation", name="Statistiques").get_by_role(
        "link", name="Formations"
    ).click()
    page.get_by_role("link", name="Ambassadeurs LinkedIn").click()
    page.get_by_label("Semaines avant et après").fill("2")
    page.get_by_role("button", name="Afficher").click()
    row = page.get_by_role("row", name="Liens de partage créés").first
    # Attendees 1 → 4; the others 2 → 4 (the base fixture's L1, L2, L3 are after): DiD +1.
    assert row.inner_text().split("\t")[1:] == ["1", "4", "+3", "2", "4", "+2", "+1"]
    assert page.get_by_role("img", name="Liens de partage créés par agent").is_visible()
    assert [e for e in errors if "Content Security Policy" in e] == []
