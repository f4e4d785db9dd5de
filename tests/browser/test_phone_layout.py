"""On a phone (390×844) no page scrolls sideways: a wide table scrolls in its own region."""

from __future__ import annotations

from datetime import date

from referral.models import Role
from tests.conftest import PASSWORD
from tests.offer_helpers import make_link

pytest_plugins = ["tests.shortlist_fixtures"]

PHONE = {"width": 390, "height": 844}


def sign_in(page, user) -> None:
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_shortlist_links_and_offer_fit_a_phone(
    browser, live_server, session, make_user, make_offer, make_application, make_candidate
):
    recruiter = make_user(Role.RECRUITER)
    agent = make_user(first_name="Aline", last_name="Partage")
    offer = make_offer(
        title="Chef ou cheffe de projet applicatif",
        required_skills=["gestion de projet", "méthodes agiles", "marchés publics"],
        metier="Chef ou cheffe de projet maîtrise d'œuvre des systèmes d'information",
        salary="Grille des ingénieurs territoriaux + RIFSEEP",
        vacancy_date=date(2027, 2, 5),
    )
    for n, score in enumerate((88, 71, 52)):
        make_application(
            offer,
            make_candidate("Clémence", f"Moulin-Fournier{n}", city="Clermont-Ferrand"),
            score=score,
            agent=agent,
            matched=["gestion de projet", "méthodes agiles"],
            missing=["marchés publics"],
        )
    for channel in ("linkedin", "email", "copy"):
        make_link(session, offer, agent, channel)

    def visit() -> dict[str, int]:
        from playwright.sync_api import expect

        context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=PHONE)
        page = context.new_page()
        page.set_default_timeout(10_000)
        widths = {}

        page.goto(f"/offers/{offer.id}")
        facts = page.locator("dl.facts")
        expect(facts).to_contain_text("Fonctionnaire ou contractuel")
        widths["offer"] = page_width(page)

        sign_in(page, recruiter)
        page.goto(f"/recruiter/offers/{offer.id}/shortlist")
        page.locator("tr.shortlist-row details.explanation summary").first.click()
        region = page.get_by_role("region", name="3 candidatures trouvées")
        expect(region).to_have_attribute("tabindex", "0")
        expect(region.locator("table.components").first).to_be_visible()
        widths["shortlist"] = page_width(page)
        # The table is wider than the phone, and scrolls inside its region.
        assert region.evaluate("e => e.scrollWidth > e.clientWidth")
        page.get_by_role("button", name="Se déconnecter").click()

        sign_in(page, agent)
        page.goto("/agent/links")
        region = page.get_by_role("region", name=f"Liens pour {offer.title}")
        expect(region).to_have_attribute("tabindex", "0")
        widths["links"] = page_width(page)
        url = region.locator(".link-url code").first
        expect(url).to_contain_text("/r/")
        # The link reads on one line, not three characters a line.
        assert url.bounding_box()["height"] < 2 * url.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        region.get_by_role("button", name="Copier").first.click()
        expect(page.locator("#copy-status")).to_have_text("Lien copié")

        context.close()
        return widths

    widths = visit()

    assert widths == {"offer": 390, "shortlist": 390, "links": 390}


def test_the_candidate_status_page_fits_a_phone(
    browser, live_server, app, make_offer, make_application, make_candidate
):
    from referral.applications.candidate_status import status_token

    offer = make_offer(title="Chef ou cheffe de projet maîtrise d'œuvre des systèmes d'information")
    application = make_application(
        offer, make_candidate("Clémence", "Moulin-Fournier", city="Clermont-Ferrand")
    )
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=PHONE)
    try:
        page = context.new_page()
        page.goto("/status/" + status_token(app.extensions["relais"].settings, application))
        from playwright.sync_api import expect

        page.get_by_text("Voir ce qui est conservé").click()
        expect(page.locator("dl.kept")).to_contain_text("Clermont-Ferrand")
        expect(page.locator("dl.kept")).to_be_visible()
        assert page_width(page) == 390
    finally:
        context.close()
