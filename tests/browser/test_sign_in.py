"""Journey: each role signs in and lands on its own home page."""

import pytest

from referral.models import Role
from tests.conftest import PASSWORD

HOMES = {
    "agent": ((), "/agent/", "Offres à partager"),
    "manager": ((Role.MANAGER,), "/manager/", "Mes offres"),
    "recruiter": ((Role.RECRUITER,), "/recruiter/", "Toutes les offres"),
    "admin": ((Role.ADMIN,), "/admin/", "Administration"),
}


@pytest.mark.parametrize("role", list(HOMES))
def test_each_role_signs_in_and_lands_home(page, live_server, make_user, role):
    roles, path, heading = HOMES[role]
    user = make_user(*roles)
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**{path}")
    assert page.get_by_role("heading", level=1).inner_text() == heading
    # Keyboard: the skip link is the first thing a Tab reaches.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
