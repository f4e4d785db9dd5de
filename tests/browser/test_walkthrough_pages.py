"""What a person sees after the walk-through of issue 20: one menu entry marked, fields in line,
an icon for the tab, share texts per channel, offers that read well, cards on a phone."""

from __future__ import annotations

from playwright.sync_api import expect

from referral.models import Role
from tests.conftest import PASSWORD
from tests.offer_helpers import make_link

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
    # The asterisk sits beside the label: no extra line between the label and its input.
    assert first["y"] - label_first["y"] == phone["y"] - label_phone["y"]
    asterisk = page.locator(".field:has(#first_name) .required").bounding_box()
    assert abs(asterisk["y"] - label_first["y"]) < 8  # on the label's line


def test_copy_the_text_and_open_linkedin_in_one_click(
    browser, live_server, session, make_user, make_offer
):
    agent = make_user(first_name="Aline", last_name="Partage")
    offer = make_offer(title="Analyste de données", required_skills=["SQL", "python"])
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", permissions=["clipboard-read", "clipboard-write"]
    )
    context.route("https://www.linkedin.com/**", lambda route: route.fulfill(body="LinkedIn"))
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, agent)
    page.goto(f"/agent/offers/{offer.id}")
    card = page.locator("#channel-linkedin")
    expect(card.get_by_role("button")).to_have_count(1)
    card.get_by_role("button", name="Préparer mon lien et mon texte LinkedIn").click()
    text = page.get_by_label("Texte à publier sur LinkedIn (avec ce lien)")
    expect(text).to_contain_text("#SQL")
    link = page.get_by_label("Votre lien LinkedIn").input_value()
    expect(text).to_contain_text(link)
    with context.expect_page() as opened:
        page.get_by_role("link", name="Copier le texte et ouvrir LinkedIn").click()
    assert opened.value.url.startswith("https://www.linkedin.com/sharing/share-offsite/")
    page.bring_to_front()
    expect(page.locator("#copy-status")).to_have_text(
        "Texte copié : collez-le dans votre publication"
    )
    assert page.evaluate("navigator.clipboard.readText()") == text.input_value()
    context.close()


def test_bullets_of_missions_show_as_a_list_on_the_offer_and_apply_pages(page, make_offer):
    offer = make_offer(
        missions="Vous allez :\n- piloter les projets ;\n- **suivre** les prestataires.",
        profile="- Python\n- SQL",
        salary="Grille des attachés",
    )
    for path in (f"/offers/{offer.id}", f"/offers/{offer.id}/apply"):
        page.goto(path)
        missions = page.locator("section.rich-text").first
        expect(missions.get_by_role("listitem")).to_have_count(2)
        expect(missions).not_to_contain_text("- piloter")
        expect(missions.locator("strong")).to_have_text("suivre")
    expect(page.get_by_role("heading", name="Rémunération")).to_be_visible()
    expect(page.get_by_role("heading", name="Profil recherché")).to_be_visible()


def test_the_by_offer_table_fits_a_laptop_screen(
    browser, live_server, session, make_direction, make_user, make_offer
):
    from tests.referral.analytics_fixtures import build_base, unlink_directions

    base = build_base(session, make_direction, make_user, make_offer)
    base.offer1.title = "Chef ou cheffe de projet maîtrise d'œuvre des systèmes d'information"
    base.offer2.title = "Technicien ou technicienne de maintenance des bâtiments des lycées"
    session.commit()
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": 1366, "height": 768}
    )
    page = context.new_page()
    sign_in(page, make_user(Role.RECRUITER))
    page.goto("/analytics/?start=2026-03-01&end=2026-03-31&group=offer")
    region = page.get_by_role("region", name="Par offre")
    expect(region.get_by_role("row", name=base.offer1.title)).to_be_visible()
    widths = region.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1], widths
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    context.close()
    unlink_directions(session)


def test_my_links_my_offers_and_the_shortlist_are_cards_on_a_phone(
    browser, live_server, session, make_user, make_offer, make_application, make_candidate
):
    manager = make_user(Role.MANAGER, first_name="Marc", last_name="Gérant")
    agent = make_user(first_name="Aline", last_name="Partage")
    offer = make_offer(
        title="Chef ou cheffe de projet applicatif et données", hiring_manager=manager
    )
    make_application(offer, make_candidate("Clémence", "Moulin-Fournier"), score=88, agent=agent)
    make_link(session, offer, agent, "email")
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)

    def fits(region, figure):
        """The region does not scroll sideways and ``figure`` is on the screen."""
        scroll, client = region.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert scroll <= client, (scroll, client)
        box = figure.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box

    sign_in(page, agent)
    page.goto("/agent/links")
    region = page.get_by_role("region", name=f"Liens pour {offer.title}")
    people = region.locator("tbody td[data-label='Personnes touchées']").first
    expect(people).to_be_visible()
    fits(region, people)
    hires = region.locator("tbody td[data-label='Recrutements']").first
    fits(region, hires)
    page.get_by_role("button", name="Se déconnecter").click()

    sign_in(page, manager)
    page.goto("/manager/")
    region = page.get_by_role("region", name="Mes offres")
    fits(region, region.locator("td[data-label='Candidatures']").first)
    page.goto(f"/recruiter/offers/{offer.id}/shortlist")
    region = page.get_by_role("region", name="1 candidature trouvée")
    fits(region, region.locator("td[data-label='Étape']").first)
    fits(region, page.get_by_role("link", name="Clémence Moulin-Fournier"))
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    context.close()
