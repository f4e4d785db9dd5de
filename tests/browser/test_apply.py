"""Journey: a visitor arrives through an agent's link, applies with a PDF CV, sees the
confirmation; the agent then sees the person and the points in "My referrals"."""

from tests.applying import pdf_bytes
from tests.conftest import PASSWORD

PERSON_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


def test_a_visitor_applies_through_a_link_and_the_agent_sees_the_credit(
    browser, page, live_server, make_offer, make_user, make_link, tmp_path
):
    offer = make_offer(title="Technicienne SIG", location="Dijon")
    agent = make_user(first_name="Alice", last_name="Martin")
    link = make_link(offer=offer, agent=agent)
    cv = tmp_path / "cv-camille.pdf"
    cv.write_bytes(pdf_bytes("Camille Durand\nTechnicienne SIG, QGIS, PostGIS"))

    visitor = browser.new_context(base_url=live_server, locale="fr-FR", user_agent=PERSON_UA)
    try:
        person = visitor.new_page()
        person.set_default_timeout(10_000)
        person.goto(f"/r/{link.code}")
        assert person.get_by_role("heading", level=1).inner_text() == "Technicienne SIG"
        person.get_by_role("link", name="Postuler").click()
        person.wait_for_url(f"**/offers/{offer.id}/apply**")
        assert "Technicienne SIG" in person.get_by_role("heading", level=1).inner_text()
        # The honeypot is neither visible nor reachable.
        assert not person.locator("#website").is_visible()
        person.get_by_label("Prénom").fill("Camille")
        person.get_by_label("Nom", exact=True).fill("Durand")
        person.get_by_label("Adresse e-mail").fill("camille.durand@example.org")
        person.get_by_label("Téléphone").fill("06 98 76 54 32")
        person.get_by_label("Ville").fill("Dijon")
        person.get_by_label("CV", exact=True).set_input_files(str(cv))
        person.get_by_label("J'accepte que").check()
        person.get_by_role("button", name="Envoyer ma candidature").click()
        person.wait_for_url(f"**/offers/{offer.id}/apply/done")
        assert person.get_by_role("heading", level=1).inner_text() == "Candidature reçue"
        assert person.get_by_text("camille.durand@example.org").is_visible()
    finally:
        visitor.close()

    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(agent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Mes cooptations").click()
    row = page.locator("tr", has_text="Camille Durand").first  # "People I brought"
    assert "Technicienne SIG" in row.inner_text()
    assert "Candidature reçue" in row.inner_text()
    assert page.locator("#points-total").inner_text() == "1"
