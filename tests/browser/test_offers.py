"""Journey: a manager publishes an offer, an agent copies their LinkedIn link, LinkedInBot
fetches it (not counted), a person visits it (counted), and the agent sees that person."""

import dataclasses
import urllib.request

from referral.models import Role
from tests.conftest import PASSWORD
from tests.offer_helpers import BOT_UAS, PERSON_UA


def _sign_in(page, user):
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_publish_share_preview_visit_and_count(
    app, browser, page, live_server, make_user, make_direction
):
    # Share links are absolute on the public address: here, the live server's.
    state = app.extensions["relais"]
    state.settings = dataclasses.replace(state.settings, base_url=live_server)
    direction = make_direction("Direction des mobilités")
    manager = make_user(Role.MANAGER, direction_id=direction.id)
    agent = make_user()

    # The manager writes and publishes an offer.
    _sign_in(page, manager)
    page.goto("/manager/")
    page.get_by_role("link", name="Rédiger une offre").click()
    page.get_by_label("Intitulé du poste").fill("Chef de projet vélo")
    page.get_by_label("Direction", exact=True).select_option(label=direction.name)
    page.get_by_label("Description").fill("Développer le réseau cyclable régional.")
    page.get_by_label("Compétences requises").fill("Gestion de projet, Transports")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("button", name="Publier").click()
    assert page.get_by_text("L'offre est publiée.").is_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    # The agent opens the offer and copies the LinkedIn link.
    _sign_in(page, agent)
    page.goto("/agent/")
    page.get_by_role("link", name="Chef de projet vélo").click()
    page.get_by_role("button", name="Préparer mon lien et mon texte LinkedIn").click()
    field = page.get_by_label("Votre lien LinkedIn")
    link = field.input_value()
    assert link.startswith(live_server + "/r/")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.locator('[data-copy-target="link-linkedin"]').click()
    # (expect, not wait_for_function: a string predicate is an eval, which our CSP forbids)
    from playwright.sync_api import expect

    expect(page.locator("#copy-status")).not_to_be_empty()
    assert page.evaluate("navigator.clipboard.readText()") == link

    # LinkedIn's crawler fetches the link for its preview: the page with its Open Graph tags.
    assert link.startswith("http://127.0.0.1:")  # our own test server
    request = urllib.request.Request(link, headers={"User-Agent": BOT_UAS["LinkedInBot"]})  # noqa: S310
    with urllib.request.urlopen(request) as response:  # noqa: S310
        assert response.status == 200
        html = response.read().decode()
    assert '<meta property="og:title" content="Chef de projet vélo">' in html

    # A person follows the link in their own browser and lands on the offer.
    visitor = browser.new_context(base_url=live_server, locale="fr-FR", user_agent=PERSON_UA)
    try:
        person = visitor.new_page()
        person.goto(link)
        assert "/offers/" in person.url and "chef-de-projet-velo" in person.url
        assert person.get_by_role("heading", level=1).inner_text() == "Chef de projet vélo"
    finally:
        visitor.close()

    # The agent sees one person reached, one visit: the crawler did not count.
    page.get_by_role("link", name="Mes liens").click()
    row = page.locator("tr", has=page.get_by_role("rowheader", name="LinkedIn"))
    cells = row.locator("td.num").all_inner_texts()
    assert cells[:2] == ["1", "1"]
