"""Journey: a recruiter moves a candidate, edits the e-mail proposed and sends it; the worker
delivers it; the candidate opens the status link of the e-mail, reads their stage and
withdraws; the recruiter sees the e-mails and their delivery on the candidate's page."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser

from sqlalchemy import select

from referral.models import Application, Notification, Role
from referral.worker import deliver_due
from tests.conftest import PASSWORD


def sign_in(page, user):
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_from_a_move_to_the_email_to_the_status_page_and_a_withdrawal(
    page, app, session, sessions, make_user, make_offer, make_application, make_candidate
):
    settings = app.extensions["relais"].settings
    recruiter = make_user(Role.RECRUITER, first_name="Antoine", last_name="Girard")
    offer = make_offer(title="Cheffe de projet numérique")
    application = make_application(offer, make_candidate("Élise", "Fournier"), score=80)

    sign_in(page, recruiter)
    page.goto(f"/recruiter/candidates/{application.candidate_id}")
    form = page.locator(f"#application-{application.id} form.move-form")
    form.get_by_label("Nouvelle étape").select_option("screening")
    form.get_by_role("button", name="Changer d'étape").click()
    page.wait_for_url("**/recruiter/messages?**")

    # The e-mail is proposed, in the candidate's language; the recruiter edits it and sends.
    subject = page.get_by_label("Objet")
    assert "Cheffe de projet numérique" in subject.input_value()
    assert "Élise Fournier" in page.get_by_label("Texte").input_value()
    subject.fill("Votre candidature avance")
    page.get_by_role("button", name="Envoyer les courriels cochés").click()
    page.wait_for_url(f"**/recruiter/candidates/{application.candidate_id}")
    assert "mis en file d'envoi : 1" in page.locator(".flashes").inner_text()

    session.expire_all()
    row = session.scalar(select(Notification).where(Notification.kind == "candidate_message"))
    assert row.subject == "Votre candidature avance" and row.status == "pending"

    # The worker delivers it: an .eml in the outbox, the state on the candidate's page.
    assert deliver_due(sessions, settings).sent >= 1
    (eml,) = [p for p in settings.outbox_path.glob("*.eml") if "move-" in p.name]
    message = BytesParser(policy=policy.default).parse(eml.open("rb"))
    assert message["Subject"] == "Votre candidature avance"
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://\S+/status/\S+", body).group(0)
    page.reload()
    emails = page.locator("#candidate-emails")
    assert "Votre candidature avance" in emails.inner_text()
    assert "envoyé" in emails.locator("td.delivery").first.inner_text()

    # The candidate follows the link of the e-mail (no account) and withdraws.
    page.get_by_role("button", name="Se déconnecter").click()
    path = "/status/" + link.rsplit("/status/", 1)[1]
    page.goto(path)
    assert page.locator("#current-stage").inner_text() == "En cours d'examen"
    page.get_by_label("Je retire ma candidature").check()
    page.get_by_role("button", name="Retirer", exact=True).click()
    page.wait_for_url(f"**{path}")
    assert "Votre candidature est retirée." in page.locator(".flashes").inner_text()
    assert page.locator("#current-stage").inner_text().startswith("Retiré")
    session.expire_all()
    assert session.get(Application, application.id).status == "withdrawn"
