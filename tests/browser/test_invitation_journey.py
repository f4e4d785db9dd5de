"""Journey: an admin imports staff with invitations; an invited agent opens the e-mail's link,
chooses a password and signs in; the admin's users page shows the account activated."""

import re

from sqlalchemy import select

from referral import worker
from referral.models import Direction, Notification, Role, utcnow
from tests.conftest import PASSWORD

CSV = (
    "matricule;courriel;prénom;nom;fonction;code direction;rôles\n"
    "A2;hugo.bernard@region.example;Hugo;Bernard;Gestionnaire paie;DSI;\n"
)


def test_invited_agent_chooses_a_password_and_signs_in(
    browser, page, live_server, make_user, session, tmp_path, app
):
    session.add(Direction(name="Direction du numérique", code="DSI"))
    session.commit()
    admin = make_user(Role.ADMIN)
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(admin.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/admin/")

    page.goto("/admin/staff-import")
    csv_path = tmp_path / "annuaire.csv"
    csv_path.write_text(CSV, encoding="utf-8")
    page.get_by_label("Fichier CSV").set_input_files(str(csv_path))
    page.get_by_label("Seulement vérifier le fichier").uncheck()
    page.get_by_label("Envoyer à chaque nouveau compte").check()
    page.get_by_role("button", name="Déposer").click()
    page.wait_for_selector("text=1 invitation est en file d’attente")
    # The worker writes the recorded invitations (the live server runs none).
    state = app.extensions["relais"]
    assert worker.send_invitations(state.sessions, state.settings, utcnow()) == 1

    session.expire_all()
    mail = session.scalar(select(Notification).where(Notification.kind == "account_invitation"))
    path = re.search(r"/password/reset/\S+", mail.body_text).group(0)

    agent = browser.new_context(base_url=live_server, locale="fr-FR").new_page()
    agent.goto(path)
    agent.get_by_label("Nouveau mot de passe", exact=True).fill("un mot de passe solide")
    agent.get_by_label("Répétez le nouveau mot de passe").fill("un mot de passe solide")
    agent.get_by_role("button", name="Enregistrer le mot de passe").click()
    agent.wait_for_url("**/login")
    agent.get_by_label("Adresse e-mail").fill("hugo.bernard@region.example")
    agent.get_by_label("Mot de passe").fill("un mot de passe solide")
    agent.get_by_role("button", name="Se connecter").click()
    agent.wait_for_selector("text=Se déconnecter")
    agent.context.close()

    page.goto("/admin/users?q=bernard")
    row = page.get_by_role("row", name=re.compile("Bernard"))
    assert "Mot de passe" in row.inner_text()
    assert "Jamais connecté" not in row.inner_text()
