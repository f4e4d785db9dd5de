"""The apply form over HTTP: the happy path, every bad file, abuse, attribution, privacy."""

import html
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from referral.models import (
    Application,
    Candidate,
    CreditEvent,
    CVFile,
    Notification,
    OfferStatus,
    utcnow,
)
from referral.sharing.touches import COOKIE_NAME, add_touch
from tests.applying import *  # noqa: F403
from tests.applying import (
    docx_bytes,
    encrypted_pdf_bytes,
    odt_bytes,
    pdf_bytes,
    png_bytes,
    scanned_pdf_bytes,
    unknown_encoding_bytes,
    zip_bomb_bytes,
)
from web.views import apply as apply_view

MB = 1024 * 1024


def form(cv: bytes | None = None, name: str = "cv.pdf", **fields):
    data = {
        "first_name": "Marie",
        "last_name": "Curie",
        "email": "marie.curie@example.org",
        "phone": "06 12 34 56 78",
        "city": "Lyon",
        "message": "Motivée !",
        "consent": "y",
        "nonce": "",
    }
    data.update(fields)
    if cv is not None:
        data["cv"] = (io.BytesIO(cv), name)
    return data


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_the_page_shows_the_offer_and_the_form(client, make_offer):
    offer = make_offer(title="Chargée de communication", location="Clermont-Ferrand")
    response = client.get(f"/offers/{offer.id}/apply")
    page = text(response)
    assert response.status_code == 200
    assert "Chargée de communication" in page and "Clermont-Ferrand" in page
    assert 'type="file"' in page and "24 mois" in page
    assert 'name="nonce"' in page and 'class="hp-field" aria-hidden="true"' in page


def test_drafts_and_unknown_offers_are_not_found(client, make_offer):
    draft = make_offer(status=OfferStatus.DRAFT)
    assert client.get(f"/offers/{draft.id}/apply").status_code == 404
    assert client.get("/offers/999999/apply").status_code == 404


def test_a_closed_offer_says_so_and_shows_no_form(client, session, make_offer):
    for offer in (
        make_offer(status=OfferStatus.CLOSED),
        make_offer(closing_date=date.today() - timedelta(days=1)),
    ):
        response = client.get(f"/offers/{offer.id}/apply")
        assert "Cette offre est close" in text(response) and 'type="file"' not in text(response)
        posted = client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes()))
        assert posted.status_code == 409
    assert count(session, Application) == 0


def test_applying_shows_the_confirmation_and_queues_the_receipt(client, session, make_offer):
    offer = make_offer(title="Juriste")
    response = client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes()))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/offers/{offer.id}/apply/done")
    done = text(client.get(response.headers["Location"]))
    assert "Candidature reçue" in done and "marie.curie@example.org" in done
    app_row = session.scalar(select(Application))
    assert app_row.source == "careers" and app_row.attribution_reason == "no referral"
    receipt = session.scalar(select(Notification).where(Notification.kind == "receipt"))
    assert receipt.recipient_email == "marie.curie@example.org" and "Juriste" in receipt.subject


def test_the_confirmation_needs_an_application(client, make_offer):
    offer = make_offer()
    response = client.get(f"/offers/{offer.id}/apply/done")
    assert response.status_code == 302 and response.headers["Location"].endswith("/apply")


@pytest.mark.parametrize(
    "name,data",
    [("cv.docx", docx_bytes()), ("cv.odt", odt_bytes()), ("cv.txt", "Développeuse".encode())],
)
def test_every_accepted_type_is_saved(client, session, make_offer, name, data):
    offer = make_offer()
    assert client.post(f"/offers/{offer.id}/apply", data=form(data, name)).status_code == 302
    assert session.scalar(select(CVFile.text)) != ""


def test_a_scan_is_accepted_and_flagged_no_text(client, session, make_offer):
    offer = make_offer()
    assert (
        client.post(f"/offers/{offer.id}/apply", data=form(scanned_pdf_bytes())).status_code == 302
    )
    assert session.scalar(select(CVFile.text_status)) == "no_text"


def test_a_scan_is_said_on_the_receipt_page_with_a_way_to_send_another_file(
    client, session, make_offer
):
    offer = make_offer()
    client.post(f"/offers/{offer.id}/apply", data=form(scanned_pdf_bytes(), nonce="first"))
    page = text(client.get(f"/offers/{offer.id}/apply/done"))
    assert "Aucun texte n’a pu être lu dans le CV envoyé" in page
    assert f'href="/offers/{offer.id}/apply"' in page and "Envoyer un autre fichier" in page

    client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes(), nonce="second"))
    page = text(client.get(f"/offers/{offer.id}/apply/done"))
    assert "Aucun texte" not in page and "votre candidature est mise à jour" in page
    assert count(session, Application) == 1
    latest = session.scalars(select(CVFile).order_by(CVFile.id.desc())).first()
    assert latest.text_status == "ok"


BAD_FILES = {
    "empty": (b"", "Le fichier est vide"),
    "wrong type": (png_bytes(), "n'est pas accepté"),
    "wrong type with a pdf name": (b"MZ\x90\x00" + b"\x00" * 100, "n'est pas accepté"),
    "corrupt pdf": (b"%PDF-1.7\n" + b"garbage " * 100 + b"\n%%EOF", "endommagé ou incomplet"),
    "truncated pdf": (pdf_bytes()[:700], "endommagé ou incomplet"),
    "encrypted pdf": (encrypted_pdf_bytes(), "protégé par un mot de passe"),
    "docx not an archive": (b"PK\x03\x04" + b"broken" * 100, "endommagé ou incomplet"),
    "zip bomb": (zip_bomb_bytes(), "taille déraisonnable"),
    "unknown encoding": (unknown_encoding_bytes(), "encodage"),
    "over the limit": (b"a" * (5 * MB + 10), "dépasse 5 Mo"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_on_the_form_with_the_fields_kept(
    client, session, make_offer, app, case
):
    data, message = BAD_FILES[case]
    offer = make_offer()
    response = client.post(f"/offers/{offer.id}/apply", data=form(data))
    page = text(response)
    assert response.status_code == 422
    assert message in page
    assert "Votre candidature n'a pas été envoyée" in page
    assert (
        'value="Marie"' in page
        and 'value="marie.curie@example.org"' in page
        and "Motivée !" in page
    )
    assert count(session, Candidate) == 0 and count(session, CVFile) == 0
    uploads = app.extensions["relais"].settings.uploads_path
    assert not any(uploads.iterdir())


def test_a_file_far_too_large_gets_the_413_page_in_the_layout(client, session, make_offer):
    offer = make_offer()
    response = client.post(f"/offers/{offer.id}/apply", data=form(b"a" * (6 * MB)))
    assert response.status_code == 413
    page = text(response)
    assert "Fichier trop volumineux" in page and "5 Mo" in page and 'class="site-header"' in page
    assert count(session, Candidate) == 0


def test_missing_fields_and_consent_are_explained(client, session, make_offer):
    offer = make_offer()
    response = client.post(
        f"/offers/{offer.id}/apply", data=form(pdf_bytes(), consent="", email="pas-une-adresse")
    )
    page = text(response)
    assert response.status_code == 422
    assert "vous devez accepter le traitement de vos données" in page
    response = client.post(
        f"/offers/{offer.id}/apply", data=form(pdf_bytes(), email="pas-une-adresse")
    )
    assert "Saisissez une adresse e-mail valide" in text(response)
    assert count(session, Application) == 0


def test_the_honeypot_saves_nothing_but_looks_accepted(client, session, make_offer):
    offer = make_offer()
    response = client.post(
        f"/offers/{offer.id}/apply", data=form(pdf_bytes(), website="http://spam")
    )
    assert response.status_code == 302
    assert count(session, Candidate) == 0


def test_applying_twice_updates_and_says_so(client, session, make_offer):
    offer = make_offer()
    client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes()))
    response = client.post(
        f"/offers/{offer.id}/apply", data=form(pdf_bytes("Nouveau CV")), follow_redirects=True
    )
    assert "Vous aviez déjà postulé" in text(response)
    assert count(session, Application) == 1 and count(session, CVFile) == 2


def test_a_double_submission_makes_one_application(client, session, make_offer):
    offer = make_offer()
    for _ in range(2):
        client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes(), nonce="same-form"))
    assert count(session, Application) == 1 and count(session, CVFile) == 1


def test_a_link_code_on_the_address_sets_the_cookie_and_credits_the_agent(
    client, session, make_offer, make_link
):
    offer = make_offer()
    link = make_link(offer=offer)
    page = client.get(f"/offers/{offer.id}/apply?ref={link.code}")
    assert COOKIE_NAME in page.headers.get("Set-Cookie", "")
    assert f"ref={link.code}" in text(page)  # the form keeps the code
    client.post(f"/offers/{offer.id}/apply?ref={link.code}", data=form(pdf_bytes()))
    app_row = session.scalar(select(Application))
    assert (app_row.source, app_row.credited_agent_id) == ("share_link", link.agent_id)
    assert session.scalar(select(CreditEvent.points)) == 1


def test_the_attribution_cookie_credits_the_agent(app, client, session, make_offer, make_link):
    offer = make_offer()
    link = make_link(offer=offer)
    secret = app.extensions["relais"].settings.secret_key
    value = add_touch(secret, None, link.code, utcnow() - timedelta(days=3), 30)
    client.set_cookie(COOKIE_NAME, value)
    client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes()))
    app_row = session.scalar(select(Application))
    assert app_row.credited_agent_id == link.agent_id
    assert app_row.attribution_reason.endswith("visited 3 days before")


def test_signed_in_staff_apply_as_internal_mobility(
    client, auth, session, make_offer, make_user, make_link
):
    offer = make_offer()
    link = make_link(offer=offer)
    auth.login(make_user())
    client.post(
        f"/offers/{offer.id}/apply?ref={link.code}",
        data=form(pdf_bytes(), email="perso@example.org"),
    )
    app_row = session.scalar(select(Application))
    assert (app_row.source, app_row.internal_mobility, app_row.credited_agent_id) == (
        "internal",
        True,
        None,
    )
    assert session.scalar(select(Candidate.is_staff)) is True
    assert count(session, CreditEvent) == 0


def test_an_invitation_link_prefills_the_form(client, session, app, make_offer, make_user):
    from referral.applications import referrals

    offer = make_offer()
    agent = make_user(first_name="Paul", last_name="Roche")
    referral = referrals.refer(
        session,
        app.extensions["relais"].settings,
        agent=agent,
        offer_id=offer.id,
        data=referrals.ReferralInput("Léa", "Petit", "lea@example.org", "voisine", "Motivée"),
    )
    session.commit()
    page = text(client.get(f"/offers/{offer.id}/apply?invite={referral.token}"))
    assert "Paul Roche vous a recommandé" in page and 'value="lea@example.org"' in page


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RELAIS_APPLY_RATE_LIMIT"] = "2 per minute"
    return app_config


def test_applications_are_rate_limited_per_visitor(limited, client, make_offer):
    offers = [make_offer(title=f"Offre {n}") for n in range(3)]
    codes = [
        client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes())).status_code
        for offer in offers
    ]
    assert codes == [302, 302, 429]
    assert client.get(f"/offers/{offers[2].id}/apply").status_code == 200  # reading is not limited


def test_refused_sends_do_not_use_up_the_applications_limit(limited, client, session, make_offer):
    offer = make_offer()
    codes = [client.post(f"/offers/{offer.id}/apply", data=form(b"")).status_code for _ in range(4)]
    assert codes == [422] * 4
    assert client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes())).status_code == 302
    assert count(session, Application) == 1


def test_every_send_counts_toward_a_cap_on_attempts(limited, client, make_offer, monkeypatch):
    monkeypatch.setattr(apply_view, "ATTEMPTS_LIMIT", "3 per minute")
    offer = make_offer()
    codes = [client.post(f"/offers/{offer.id}/apply", data=form(b"")).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]


def test_the_privacy_page_states_the_retention(client):
    page = text(client.get("/privacy"))
    assert "24 mois" in page and "effacement" in page


@pytest.fixture
def longer_retention(app_config):
    app_config["RELAIS_RETENTION_MONTHS"] = "36"
    return app_config


def test_a_configured_retention_shows_everywhere(longer_retention, client, session, make_offer):
    assert "36 mois" in text(client.get("/privacy"))
    offer = make_offer()
    assert "36 mois" in text(client.get(f"/offers/{offer.id}/apply"))
    client.post(f"/offers/{offer.id}/apply", data=form(pdf_bytes()))
    candidate = session.scalar(select(Candidate))
    assert candidate.retention_until >= date.today() + timedelta(days=36 * 30)


def test_every_problem_is_reported_at_once(client, session, make_offer):
    offer = make_offer()
    response = client.post(
        f"/offers/{offer.id}/apply", data=form(png_bytes(), last_name="", phone="12")
    )
    page = text(response)
    assert response.status_code == 422
    assert "Ce champ est obligatoire" in page  # the last name
    assert "n'est pas accepté" in page  # the file
    assert "Saisissez un numéro de téléphone valide" in page
    assert count(session, Candidate) == 0
