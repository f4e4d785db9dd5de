"""Journey: an agent reads what is kept, consents, imports their LinkedIn archive, sees their
figures, then deletes everything."""

from datetime import date

from sqlalchemy import func, select

from referral.models import LinkedInConsent, LinkedInWeek
from tests.conftest import PASSWORD
from tests.linkedin_factories import connections_csv, shares_csv, zip_bytes


def test_agent_consents_imports_sees_and_deletes(page, live_server, make_user, session, tmp_path):
    agent = make_user()
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(agent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/agent/")

    page.get_by_role("link", name="Mon LinkedIn").first.click()
    assert "Jamais gardé" in page.get_by_role("main").inner_text()
    page.get_by_label("J'accepte que Relais garde ces chiffres").check()
    page.get_by_role("button", name="J'accepte").click()
    assert "consentement est enregistré" in page.get_by_role("status").last.inner_text()

    archive = tmp_path / "Basic_LinkedInDataExport.zip"
    archive.write_bytes(
        zip_bytes(
            {
                "Connections.csv": connections_csv([("Jean", "Dupont", "", date(2025, 3, 4))]),
                "Shares.csv": shares_csv([(date(2025, 3, 5), "Bonjour")]),
            },
            folder="Basic_LinkedInDataExport/",
        )
    )
    page.get_by_label("Mon archive LinkedIn (ZIP)").set_input_files(str(archive))
    page.get_by_role("button", name="Importer", exact=True).click()
    assert "Archive lue : 1 relations" in page.get_by_role("status").last.inner_text()
    assert "2025-03" in page.get_by_role("table").inner_text()
    assert session.scalar(select(func.count()).select_from(LinkedInWeek)) == 1

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Tout supprimer et retirer mon consentement").click()
    assert "est supprimé" in page.get_by_role("status").last.inner_text()
    assert page.get_by_role("button", name="J'accepte").is_visible()
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(LinkedInWeek)) == 0
    assert session.get(LinkedInConsent, agent.id) is None
