"""What a person sees after the walk-through of issue 20: one menu entry marked, fields in line,
an icon for the tab, share texts per channel, offers that read well, cards on a phone."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytest_plugins = ["tests.shortlist_fixtures"]

PHONE = {"width": 390, "height": 844}


def sign_in(page, user) -> None:
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_one_menu_entry_is_marked_and_no_request_fails(page, session, make_user, make_offer):
    agent = make_user(first_name="Aline", last_name="Partage")
    offer = make_offer()
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    sign_in(page, agent)
    menu = page.get_by_role("navigation", name="Menu principal")
    for path, marked in (
        ("/agent/referrals", "Mes cooptations"),
        ("/agent/leaderboard", "Classement"),
        ("/agent/links", "Mes liens"),
        (f"/agent/offers/{offer.id}", "Partager"),
    ):
        page.goto(path)
        current = menu.locator("[aria-current=page]")
        expect(current).to_have_count(1)
        expect(current).to_have_text(marked)
    assert failed == []
    icon = page.evaluate("fetch('/favicon.ico').then(r => r.status)")
    assert icon == 200


def test_required_fields_line_up_with_the_others(page, make_offer):
    offer = make_offer()
    page.goto(f"/offers/{offer.id}/apply")
    first = page.locator("#first_name").bounding_box()  # required: its label has a *
    phone = page.locator("#phone").bounding_box()  # optional
    label_first = page.locator("label[for=first_name]").bounding_box()
    label_phone = page.locator("label[for=phone]").bounding_box()
    assert first["x"] == phone["x"] and first["width"] == phone["width"]
    # The asterisk sits in the label: no extra line between the label and its input.
    assert first["y"] - label_first["y"] == phone["y"] - label_phone["y"]
    expect(page.locator("label[for=first_name] .required")).to_have_text(" *")
