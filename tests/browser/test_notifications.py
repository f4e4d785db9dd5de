"""Journey: a manager sees the bell, reads the inbox, marks all read, chooses the daily digest."""

from sqlalchemy import select

from referral.models import NotificationPreference, Role
from tests.conftest import PASSWORD
from tests.notification_factories import queue_closing_notice


def test_manager_reads_notifications_and_chooses_the_digest(page, make_user, session):
    manager = make_user(Role.MANAGER, locale="fr")
    for n in (1, 2):
        queue_closing_notice(session, manager, n, link="/manager/")
    session.commit()

    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(manager.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/manager/")

    bell = page.locator("a.bell")
    assert bell.locator(".badge").inner_text().startswith("2")
    bell.click()
    page.wait_for_url("**/inbox/")
    assert page.get_by_role("heading", level=1).inner_text() == "Notifications"
    assert page.locator(".inbox-item.unread").count() == 2
    assert "Votre offre « Juriste 2 »" in page.locator(".inbox-item").first.inner_text()

    page.get_by_role("button", name="Tout marquer comme lu").click()
    page.wait_for_url("**/inbox/")
    assert page.locator(".inbox-item.unread").count() == 0
    assert page.locator("a.bell .badge").count() == 0

    page.get_by_role("link", name="Paramètres de notification").click()
    page.wait_for_url("**/account/#notifications")
    group = page.get_by_role("group", name="Une nouvelle candidature sur une offre que je suis")
    group.get_by_label("Dans le récapitulatif quotidien").check()
    page.get_by_role("button", name="Enregistrer mes paramètres de notification").click()
    page.wait_for_url("**/account/#notifications")
    assert page.get_by_text("Vos paramètres de notification sont enregistrés.").is_visible()
    session.expire_all()
    chosen = session.scalar(
        select(NotificationPreference.mode).where(
            NotificationPreference.user_id == manager.id,
            NotificationPreference.kind == "new_application",
        )
    )
    assert chosen == "digest"
