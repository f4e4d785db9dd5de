"""The public careers site: search, filters, pagination, offer pages, previews, JSON-LD."""

import io
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import select

from referral.models import Offer, OfferStatus, utcnow
from tests.offer_helpers import json_ld, meta


def test_home_links_to_the_offers(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/offers"' in html


def test_search_ignores_case_and_accents_in_every_text_field(client, make_offer):
    make_offer(title="Ingénieur données", description="x")
    make_offer(title="Agent d'accueil", missions="Accueillir le public à l'ÉCOLE")
    make_offer(title="Juriste", profile="Maîtrise du droit des marchés publics")
    make_offer(title="Technicien", metier="Électricité du bâtiment", location="Clermont-Ferrand")
    make_offer(title="Ingénieur brouillon", status=OfferStatus.DRAFT)
    for query, expected in [
        ("ingenieur", ["Ingénieur données"]),
        ("INGÉNIEUR DONNÉES", ["Ingénieur données"]),
        ("ecole", ["Agent d'accueil"]),
        ("maitrise marches", ["Juriste"]),
        ("electricite", ["Technicien"]),
        ("clermont", ["Technicien"]),
        ("technicien CLERMONT-ferrand", ["Technicien"]),
        ("%", []),
        ("nothing-like-this", []),
    ]:
        html = client.get("/offers", query_string={"q": query}).get_data(as_text=True)
        for title in ["Ingénieur données", "Agent d&#39;accueil", "Juriste", "Technicien"]:
            shown = f">{title}</a>" in html
            assert shown == (title.replace("&#39;", "'") in expected), (query, title)
        assert "brouillon" not in html


def test_filters(client, make_offer, make_direction):
    culture = make_direction("Culture")
    make_offer(title="Offre A", direction=culture, location="Lyon", category="A")
    make_offer(
        title="Offre B",
        location="Grenoble",
        category="B",
        contract_type="fixed_term",
        remote_work="partial",
    )

    def titles(**args):
        html = client.get("/offers", query_string=args).get_data(as_text=True)
        return {t for t in ("Offre A", "Offre B") if f">{t}</a>" in html}

    assert titles() == {"Offre A", "Offre B"}
    assert titles(direction=culture.id) == {"Offre A"}
    assert titles(location="Grenoble") == {"Offre B"}
    assert titles(category="A") == {"Offre A"}
    assert titles(contract_type="fixed_term") == {"Offre B"}
    assert titles(remote_work="partial") == {"Offre B"}
    assert titles(remote_work="bogus") == {"Offre A", "Offre B"}
    assert titles(direction="abc", page="x") == {"Offre A", "Offre B"}


def test_pagination(client, make_offer, make_direction):
    direction = make_direction()
    for n in range(12):
        make_offer(title=f"Poste numéro {n:02d}", direction=direction)
    first = client.get("/offers").get_data(as_text=True)
    second = client.get("/offers?page=2").get_data(as_text=True)
    assert first.count('class="card offer-card"') == 10
    assert second.count('class="card offer-card"') == 2
    assert "12 offres" in first or "12 offers" in first
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert client.get("/offers?page=99").status_code == 200


def test_search_page_runs_a_fixed_number_of_queries(client, make_offer, count_queries):
    make_offer()
    with count_queries() as few:
        client.get("/offers")
    for _ in range(5):
        make_offer()
    with count_queries() as many:
        client.get("/offers")
    assert few.count == many.count


def test_offer_page_has_open_graph_twitter_and_job_posting(client, make_offer):
    offer = make_offer(
        title="Chargé de mission <numérique>",
        description="Première ligne.\n\nDeuxième paragraphe.",
        location="Lyon",
        closing_date=date.today() + timedelta(days=10),
    )
    response = client.get(f"/offers/{offer.id}-charge-de-mission-numerique")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert meta(html, "og:title") == "Chargé de mission &lt;numérique&gt;"
    assert meta(html, "og:type") == "website"
    assert meta(html, "og:url") == f"http://localhost/offers/{offer.id}-charge-de-mission-numerique"
    assert meta(html, "og:description").startswith("Première ligne.")
    assert meta(html, "og:image") == f"http://localhost/offers/{offer.id}/card.png"
    assert meta(html, "twitter:card") == "summary_large_image"
    posting = json_ld(html)
    assert posting["@type"] == "JobPosting"
    assert posting["title"] == "Chargé de mission <numérique>"
    assert posting["validThrough"].startswith(offer.closing_date.isoformat())
    assert posting["datePosted"] == offer.published_at.date().isoformat()
    assert posting["employmentType"] == ["FULL_TIME"]
    assert posting["hiringOrganization"]["name"] == "Région Exemple"
    assert posting["jobLocation"]["address"]["addressLocality"] == "Lyon"
    assert "Première ligne.\n\nDeuxième paragraphe." in posting["description"]


def test_json_ld_cannot_break_out_of_its_script(client, make_offer):
    offer = make_offer(title="</script><script>alert(1)</script>")
    html = client.get(f"/offers/{offer.id}").headers["Location"]
    page = client.get(html).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert json_ld(page)["title"] == "</script><script>alert(1)</script>"


def test_wrong_or_missing_slug_moves_permanently_to_the_right_one(client, make_offer):
    offer = make_offer(title="Assistant de direction")
    right = f"/offers/{offer.id}-assistant-de-direction"
    for wrong in (f"/offers/{offer.id}", f"/offers/{offer.id}-old-title"):
        response = client.get(wrong)
        assert response.status_code == 301
        assert response.headers["Location"] == right
    assert client.get(f"/offers/{offer.id}-x?ref=abcdefgh").headers["Location"] == (
        right + "?ref=abcdefgh"
    )


def test_drafts_and_unknown_offers_are_not_found(client, make_offer):
    draft = make_offer(status=OfferStatus.DRAFT)
    assert client.get(f"/offers/{draft.id}-x").status_code == 404
    assert client.get(f"/offers/{draft.id}/card.png").status_code == 404
    assert client.get("/offers/999999-x").status_code == 404


def test_closed_offer_says_so_and_lists_similar_open_offers(client, make_offer, make_direction):
    direction = make_direction()
    closed = make_offer(title="Ancien poste", direction=direction, status=OfferStatus.CLOSED)
    make_offer(title="Poste ouvert voisin", direction=direction)
    html = client.get(f"/offers/{closed.id}-ancien-poste").get_data(as_text=True)
    assert "offer-closed" in html
    assert "Poste ouvert voisin" in html
    assert "application/ld+json" not in html


def test_an_offer_past_its_closing_date_reads_closed_and_the_worker_closes_it(
    app, client, session, sessions, make_offer
):
    from referral import worker

    offer = make_offer(title="Poste expiré", closing_date=date.today() - timedelta(days=1))
    html = client.get(f"/offers/{offer.id}").headers["Location"]
    assert "offer-closed" in client.get(html).get_data(as_text=True)
    # Neither the careers home nor the search lists it, and reading it wrote nothing.
    assert "Poste expiré" not in client.get("/").get_data(as_text=True)
    assert "Poste expiré" not in client.get("/offers").get_data(as_text=True)
    session.expire_all()
    assert session.get(Offer, offer.id).status == OfferStatus.PUBLISHED.value

    settings = app.extensions["relais"].settings
    assert "worker.close_expired_offers" in worker.run_daily_jobs(sessions, settings, utcnow())
    session.expire_all()
    assert session.get(Offer, offer.id).status == OfferStatus.CLOSED.value


def test_the_apply_button_carries_the_link_code(app, client, make_offer):
    if "apply.apply" not in app.view_functions:
        # The apply form belongs to another area; without it the page shows no button.
        offer = make_offer(title="Poste")
        assert b"/apply" not in client.get(f"/offers/{offer.id}-poste?ref=abcdefgh").data
        return
    offer = make_offer(title="Poste")
    html = client.get(f"/offers/{offer.id}-poste?ref=abcdefgh").get_data(as_text=True)
    assert "ref=abcdefgh" in html


def test_the_preview_image_is_a_1200x627_png_cached_on_disk(client, make_offer, instance_path):
    offer = make_offer(title="Technicien réseaux")
    response = client.get(f"/offers/{offer.id}/card.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert Image.open(io.BytesIO(response.data)).size == (1200, 627)
    files = list((instance_path / "og").glob(f"offer-{offer.id}-*.png"))
    assert len(files) == 1
    assert client.get(f"/offers/{offer.id}/card.png").data == response.data


def test_close_expired_command(runner, session, make_offer):
    expired = make_offer(closing_date=date.today() - timedelta(days=2))
    current = make_offer(closing_date=date.today())
    result = runner.invoke(["offers", "close-expired"])
    assert result.exit_code == 0, result.output
    assert "Closed 1" in result.output
    session.expire_all()
    statuses = dict(session.execute(select(Offer.id, Offer.status)).all())
    assert statuses[expired.id] == "closed"
    assert statuses[current.id] == "published"


def test_signed_in_staff_get_a_share_button_on_the_offer_page(client, auth, make_offer, make_user):
    offer = make_offer(title="Poste")
    assert f"/agent/offers/{offer.id}".encode() not in client.get(f"/offers/{offer.id}-poste").data
    auth.login(make_user())
    assert f"/agent/offers/{offer.id}".encode() in client.get(f"/offers/{offer.id}-poste").data
