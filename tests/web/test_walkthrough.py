"""What a walk-through as each user found (issue 20): addresses, words, offers that read well."""

from __future__ import annotations

import html
from dataclasses import replace

import pytest
from sqlalchemy import select

from referral.models import (
    Candidate,
    DuplicateFlag,
    Notification,
    Role,
    Training,
    TrainingAttendee,
)
from tests.applying import pdf_bytes
from tests.offer_helpers import json_ld
from tests.web.test_apply_form import form


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "typed,kept",
    [
        ("linkedin.com/in/marie-curie", "https://linkedin.com/in/marie-curie"),
        ("www.linkedin.com/in/marie-curie/", "https://www.linkedin.com/in/marie-curie/"),
        (" https://www.linkedin.com/in/mc ", "https://www.linkedin.com/in/mc"),
    ],
)
def test_a_linkedin_profile_without_https_is_accepted(client, session, make_offer, typed, kept):
    offer = make_offer()
    response = client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes(), linkedin_url=typed))
    assert response.status_code == 302, text(response)
    assert session.scalar(select(Candidate.linkedin_url)) == kept


@pytest.mark.parametrize("typed", ["pas une adresse", "javascript:alert(1)"])
def test_what_is_not_a_profile_address_is_refused(client, session, make_offer, typed):
    offer = make_offer()
    response = client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes(), linkedin_url=typed))
    assert response.status_code == 422
    assert "Saisissez l'adresse de votre profil" in text(response)
    assert session.scalar(select(Candidate)) is None


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data
    assert 'rel="icon"' in text(client.get("/"))


def test_trainings_read_well_and_bad_attendees_are_reported(client, auth, session, make_user):
    auth.login(make_user(Role.ADMIN, locale="fr"))
    home = text(client.get("/admin/"))
    assert 'href="/analytics/trainings"' in home and "Formations" in home
    form_page = text(client.get("/analytics/trainings/new"))
    assert "Intitulé de la formation" in form_page and "Intitulé du poste" not in form_page
    client.post(
        "/analytics/trainings/new",
        data={"title": "LinkedIn 1", "audience": "agents", "held_on": "2026-10-05"},
    )
    training = session.scalar(select(Training))
    page = text(client.get(f"/analytics/trainings/{training.id}/attendees"))
    assert "0 participant<" in page and "0 participants" not in page
    one = make_user(email="un@region.example")
    pasted = "un@region.example\njean.dupont.region.example\nDupont\tJean\t"
    response = client.post(f"/analytics/trainings/{training.id}/attendees", data={"emails": pasted})
    page = text(response)
    assert "1 participant ajouté." in page
    assert "Ces adresses e-mail ne sont pas valides : jean.dupont.region.example" in page
    assert "Dupont\tJean" in page  # left in the box, to be corrected
    assert session.scalars(select(TrainingAttendee.user_id)).all() == [one.id]


def test_hashtags_keep_acronyms(make_offer):
    from referral.offers.publicity import hashtags

    offer = make_offer(metier="Gestionnaire RH", required_skills=["SQL", "gestion de projet"])
    assert hashtags(offer) == [
        "#recrutement",
        "#servicepublic",
        "#GestionnaireRH",
        "#SQL",
        "#GestionDeProjet",
    ]


def test_a_link_arrival_is_not_called_a_referral(
    client, auth, session, make_offer, make_link, make_user
):
    agent = make_user(first_name="Aline", last_name="Partage", locale="fr")
    offer = make_offer(title="Juriste")
    link = make_link(offer=offer, agent=agent)
    page = text(client.get(f"/offers/{offer.id}/apply?ref={link.code}"))
    assert (
        "Vous êtes arrivé(e) par un lien partagé par Aline Partage. Si vous postulez, "
        "Aline Partage verra votre nom" in page
    )
    client.post(f"/offers/{offer.id}/apply?ref={link.code}", data=form(pdf_bytes()))
    told = session.scalar(select(Notification).where(Notification.kind == "referral_update"))
    assert "Marie Curie est arrivé(e) par votre lien LinkedIn" in told.body_text
    assert "coopté" not in told.body_text
    auth.login(make_user(Role.RECRUITER))
    shortlist = text(client.get(f"/recruiter/offers/{offer.id}/shortlist"))
    assert "Arrivé(e) par le lien LinkedIn de Aline Partage" in shortlist
    assert "Coopté par" not in shortlist


def test_without_a_link_the_apply_form_names_nobody(client, make_offer):
    offer = make_offer()
    page = text(client.get(f"/offers/{offer.id}/apply"))
    assert "lien partagé par" not in page


MISSIONS = "Piloter les projets :\n- rédiger les **cahiers des charges** ;\n- suivre les prestataires.\n\n<script>alert(1)</script> [x](javascript:alert(1))"


def test_missions_and_profile_in_markdown_read_well_everywhere(client, make_offer):
    offer = make_offer(
        missions=MISSIONS,
        profile="- Python\n- SQL",
        required_skills=["SQL"],
        nice_skills=["QGIS"],
        salary="Grille des attachés + RIFSEEP",
    )
    raw = client.get(f"/offers/{offer.id}", follow_redirects=True).get_data(as_text=True)
    assert "<li>rédiger les <strong>cahiers des charges</strong> ;</li>" in raw
    assert "<script>alert(1)" not in raw and 'href="javascript' not in raw
    posting = json_ld(raw)
    assert (
        "• rédiger les cahiers des charges ;\n• suivre les prestataires." in posting["description"]
    )
    assert "**" not in posting["description"] and "<li>" not in posting["description"]
    apply_page = text(client.get(f"/offers/{offer.id}/apply"))
    assert "<li>rédiger les <strong>cahiers des charges</strong> ;</li>" in apply_page
    for shown in ("Profil", "<li>Python</li>", "Compétences", "QGIS", "Rémunération"):
        assert shown in apply_page
    assert "Grille des attachés + RIFSEEP" in apply_page


def test_markdown_to_text_for_e_mails():
    from referral.offers.rich_text import to_text

    assert to_text("1. un\n2. **deux**\n\nFin") == "1. un\n2. deux\n\nFin"
    assert to_text("") == ""


def test_a_merge_keeps_the_absorbed_e_mail_and_lists_one_cv_once(
    client, auth, session, make_offer, make_user
):
    cv = pdf_bytes("Marie Curie, cheffe de projet")
    for email, offer in (("marie@example.org", make_offer()), ("MC@autre.example", make_offer())):
        data = form(cv, email=email, first_name="Marie", last_name="Curie")
        assert client.post(f"/offers/{offer.id}/apply", data=data).status_code == 302
    auth.login(make_user(Role.RECRUITER))
    page = text(client.get("/recruiter/duplicates/"))
    assert "Fusionner en gardant Marie Curie (marie@example.org)" in page
    assert "Fusionner en gardant Marie Curie (mc@autre.example)" in page
    flag = session.scalar(select(DuplicateFlag))
    keep = session.get(Candidate, flag.candidate_id)
    dropped = session.get(Candidate, flag.other_id)
    client.post(f"/recruiter/duplicates/{flag.id}/merge", data={"keep": keep.id})
    page = text(client.get(f"/recruiter/candidates/{keep.id}"))
    assert "Autres adresses e-mail (fusionnées)" in page and dropped.email in page
    assert page.count("Télécharger cv.pdf") == 1


def test_import_now_after_a_dry_run_of_an_xlsx_export(client, auth, session, make_user):
    import io
    import re

    from openpyxl import Workbook

    from referral.models import Direction, User

    session.add(Direction(name="Numérique", code="DSI"))
    session.commit()
    auth.login(make_user(Role.ADMIN, locale="fr"))
    book = Workbook()
    book.active.append(["matricule", "courriel", "prénom", "nom", "code direction"])
    book.active.append(["A1", "claire.martin@region.example", "Claire", "Martin", "DSI"])
    out = io.BytesIO()
    book.save(out)
    dry = client.post(
        "/admin/staff-import",
        data={"file": (io.BytesIO(out.getvalue()), "annuaire.xlsx"), "dry_run": "y"},
        content_type="multipart/form-data",
    )
    page = text(dry)
    assert dry.status_code == 200 and "Le fichier est valide" in page
    assert session.scalar(select(User).where(User.email.like("claire%"))) is None
    token = re.search(r'name="checked_file" type="hidden" value="([^"]+)"', page).group(1)
    forged = client.post("/admin/staff-import", data={"checked_file": token[:-2] + "xx"})
    assert forged.status_code == 400 and "trop ancien ou a été modifié" in text(forged)
    done = client.post("/admin/staff-import", data={"checked_file": token})
    assert done.status_code == 200 and "L'import est terminé" in text(done)
    assert session.scalar(select(User).where(User.email == "claire.martin@region.example"))


def test_points_are_earned_not_payable_unless_bonuses_are_on(
    client, auth, session, make_user, make_offer, make_link
):
    from datetime import timedelta

    from referral.applications import credits
    from referral.models import Application, CreditEvent, utcnow

    offer = make_offer()
    link = make_link(offer=offer, agent=make_user(first_name="Alice", last_name="Martin"))
    client.post(f"/offers/{offer.id}/apply?ref={link.code}", data=form(pdf_bytes()))
    application = session.scalar(select(Application))
    credits.on_status_change(
        session,
        application,
        "new",
        "hired",
        actor=None,
        now=utcnow() - timedelta(days=200),
        probation_days=180,
    )
    session.commit()
    hire = session.scalar(select(CreditEvent).where(CreditEvent.milestone == "hired"))
    auth.login(make_user(Role.ADMIN, locale="fr"))
    page = text(client.get("/admin/credits/"))
    assert "acquis" in page and "Acquis à partir du" in page
    assert "payable" not in page and "Enregistrer le paiement" not in page
    client.post(f"/admin/credits/{hire.id}/pay")
    assert "ne sont pas payés" in text(client.get("/admin/credits/"))
    # Reading wrote nothing (the refused payment neither): the worker's daily job records it.
    session.expire_all()
    assert session.get(CreditEvent, hire.id).state == "pending"
    credits.refresh_states(session, utcnow())
    session.commit()
    assert session.get(CreditEvent, hire.id).state == "eligible"


def test_job_posting_has_address_pay_range_and_requirements(app, client, make_offer):
    app.extensions["relais"].settings = replace(
        app.extensions["relais"].settings, organisation_region="Auvergne-Rhône-Alpes"
    )
    offer = make_offer(
        location="Lyon, hôtel de Région",
        street_address="1 esplanade François-Mitterrand",
        postal_code="69002",
        pay_min=2500,
        pay_max=3200,
        pay_unit="month",
        min_experience_years=3,
        education_level="Bac+5 en droit public",
    )
    raw = client.get(f"/offers/{offer.id}", follow_redirects=True).get_data(as_text=True)
    posting = json_ld(raw)
    assert posting["jobLocation"]["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "1 esplanade François-Mitterrand",
        "postalCode": "69002",
        "addressLocality": "Lyon",
        "addressRegion": "Auvergne-Rhône-Alpes",
        "addressCountry": "FR",
    }
    assert posting["baseSalary"] == {
        "@type": "MonetaryAmount",
        "currency": "EUR",
        "value": {
            "@type": "QuantitativeValue",
            "unitText": "MONTH",
            "minValue": 2500,
            "maxValue": 3200,
        },
    }
    assert posting["experienceRequirements"]["monthsOfExperience"] == 36
    assert posting["educationRequirements"]["credentialCategory"] == "postgraduate degree"
    assert "de 2\u202f500 à 3\u202f200 € bruts par mois" in html.unescape(raw)


def test_the_pay_range_and_postal_code_are_checked(
    client, auth, session, make_user, make_direction
):
    from tests.web.test_manager_offers import _form

    manager = make_user(Role.MANAGER, locale="fr")
    auth.login(manager)
    data = _form(make_direction(), manager, pay_min="3200", pay_max="2500", pay_unit="")
    data["postal_code"] = "Lyon"
    page = text(client.post("/manager/offers/new", data=data))
    assert "Le maximum est inférieur au minimum." in page
    assert "Saisissez un code postal à 5 chiffres" in page
    assert 'value="3200"' in page  # what was typed is kept


def test_the_poster_says_what_where_until_when_and_who_recommends(
    app, client, auth, session, make_user, make_offer, tmp_path
):
    from tests.offer_helpers import make_link

    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    app.extensions["relais"].settings = replace(
        app.extensions["relais"].settings, organisation_logo=logo
    )
    agent = make_user(first_name="Aline", last_name="Partage", locale="fr")
    offer = make_offer(category="B", contract_type="fixed_term", contract_duration_months=12)
    link = make_link(session, offer, agent, "qr")
    auth.login(agent)
    page = text(client.get(f"/agent/links/{link.id}/poster"))
    for shown in ("Région Exemple", "Catégorie B", "Contrat à durée déterminée", "12 mois"):
        assert shown in page, shown
    assert "Candidature avant le" in page
    assert "Recommandé par Aline Partage" in page
    assert 'src="/organisation-logo"' in page
    served = client.get("/organisation-logo")
    assert served.status_code == 200 and served.mimetype == "image/svg+xml"
