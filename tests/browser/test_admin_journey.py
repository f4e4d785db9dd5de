"""Journey: an admin imports staff from a CSV, finds a new account, and deactivates it."""

from referral.models import Direction, Role
from tests.conftest import PASSWORD

CSV = (
    "matricule;courriel;prénom;nom;fonction;code direction;rôles\n"
    "A1;claire.martin@region.example;Claire;Martin;Cheffe de projet SI;DSI;manager\n"
    "A2;hugo.bernard@region.example;Hugo;Bernard;Gestionnaire paie;DSI;\n"
)


def test_admin_imports_staff_then_deactivates_an_account(
    page, live_server, make_user, session, tmp_path
):
    session.add(Direction(name="Direction du numérique", code="DSI"))
    session.commit()
    admin = make_user(Role.ADMIN)
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(admin.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/admin/")

    page.get_by_role("link", name="Import des agents").first.click()
    csv_path = tmp_path / "annuaire.csv"
    csv_path.write_text(CSV + "A3;;Sans;Courriel;;DSI;\n", encoding="utf-8")
    page.get_by_label("Fichier CSV").set_input_files(str(csv_path))
    page.get_by_label("Seulement vérifier le fichier").uncheck()
    page.get_by_role("button", name="Déposer").click()
    alert = page.get_by_role("alert")
    assert "Rien n'a été importé" in alert.inner_text()
    assert "Ligne 4" in alert.inner_text()

    csv_path.write_text(CSV, encoding="utf-8")
    page.get_by_label("Fichier CSV").set_input_files(str(csv_path))
    page.get_by_label("Seulement vérifier le fichier").uncheck()
    page.get_by_role("button", name="Déposer").click()
    assert "L'import est terminé" in page.get_by_role("status").last.inner_text()

    page.get_by_role("link", name="Utilisateurs").first.click()
    page.get_by_label("Rechercher par nom").fill("bernard")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Bernard Hugo").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Hugo Bernard"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Désactiver le compte").click()
    page.wait_for_selector("text=ne peut plus se connecter")
    assert page.get_by_role("button", name="Réactiver le compte").is_visible()
