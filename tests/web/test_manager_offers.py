"""Managers and recruiters write, preview, publish, close, fill and duplicate offers."""

import re
from datetime import date, timedelta

from sqlalchemy import select

from referral.models import (
    Application,
    Candidate,
    Offer,
    OfferStatus,
    Role,
    ShareLink,
    utcnow,
)
from tests.offer_helpers import make_link

FULL_FORM = {
    "title": "Chargé de mission mobilités",
    "versant": "territoriale",
    "category": "A",
    "metier": "Chargé de mission",
    "employment_nature": "both",
    "contract_type": "fixed_term",
    "contract_duration_months": "12",
    "location": "Lyon",
    "remote_work": "partial",
    "working_time": "full",
    "education_level": "Bac+5",
    "min_experience_years": "3",
    "description": "Piloter le plan vélo.",
    "missions": "Animer les partenaires.",
    "profile": "Goût du terrain.",
    "required_skills": "Gestion de projet, Transports, gestion de projet",
    "nice_skills": "SIG",
    "languages": "Anglais",
    "salary": "Grille des attachés",
    "vacancy_date": "2030-01-01",
    "closing_date": "2030-02-01",
    "positions": "2",
}


def _form(direction, manager, **changes):
    data = dict(FULL_FORM, direction_id=str(direction.id), hiring_manager_id=str(manager.id))
    data.update(changes)
    return data


def test_a_manager_writes_a_draft_with_every_field(
    client, auth, session, make_user, make_direction
):
    manager = make_user(Role.MANAGER)
    direction = make_direction("Mobilités")
    auth.login(manager)
    form = client.get("/manager/offers/new").get_data(as_text=True)
    assert 'list="skill-suggestions"' in form and "<datalist" in form
    from referral.offers.lifecycle import skill_suggestions

    suggestions = skill_suggestions("fr")
    assert len(suggestions) >= 30  # the vocabulary of seeds/skills.json
    assert f'<option value="{suggestions[0]}">' in form
    response = client.post("/manager/offers/new", data=_form(direction, manager))
    assert response.status_code == 302
    offer = session.scalar(select(Offer))
    assert re.fullmatch(rf"\d{{4}}-{direction.code}-\d{{3}}", offer.reference)
    assert offer.status == "draft"
    assert offer.required_skills == ["Gestion de projet", "Transports"]
    assert offer.nice_skills == ["SIG"] and offer.languages == ["Anglais"]
    assert (offer.contract_type, offer.contract_duration_months) == ("fixed_term", 12)
    assert (offer.remote_work, offer.category, offer.positions) == ("partial", "A", 2)
    assert offer.closing_date == date(2030, 2, 1) and offer.vacancy_date == date(2030, 1, 1)
    assert offer.created_by_id == manager.id and offer.hiring_manager_id == manager.id
    preview = client.get(response.headers["Location"])
    assert preview.status_code == 200
    assert "Chargé de mission mobilités" in preview.get_data(as_text=True)


def test_references_are_unique_and_sequential(client, auth, session, make_user, make_direction):
    manager = make_user(Role.MANAGER)
    dgs = make_direction("DGS")
    dga = make_direction("DGA", parent=dgs)
    dsi = make_direction("Numérique", parent=dga)
    service = make_direction("Projets", parent=dsi)
    year = date.today().year
    # The direction's numbering goes on (as in the seeds, 2026-DSI-016).
    session.add(
        Offer(
            reference=f"{year}-{dsi.code}-016",
            title="x",
            direction_id=dsi.id,
            status="draft",
        )
    )
    session.commit()
    auth.login(manager)
    for direction in (service, dsi, dga):
        client.post("/manager/offers/new", data=_form(direction, manager))
    refs = sorted(session.scalars(select(Offer.reference)))
    assert refs == sorted(
        [
            f"{year}-{dsi.code}-016",
            f"{year}-{dsi.code}-017",  # a service's offer is numbered in its direction
            f"{year}-{dsi.code}-018",
            f"{year}-{dga.code}-001",
        ]
    )
    # A draft moved to another direction before publication follows it.
    draft = session.scalar(select(Offer).where(Offer.reference == f"{year}-{dga.code}-001"))
    client.post(f"/manager/offers/{draft.id}/edit", data=_form(dgs, manager))
    session.expire_all()
    assert session.get(Offer, draft.id).reference == f"{year}-{dgs.code}-001"


def test_bad_input_keeps_what_was_typed(client, auth, make_user, make_direction):
    manager = make_user(Role.MANAGER)
    auth.login(manager)
    response = client.post(
        "/manager/offers/new",
        data=_form(make_direction(), manager, positions="many", closing_date="31/02/2030"),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Chargé de mission mobilités"' in html
    assert html.count('class="error"') >= 2


def test_numbers_out_of_range_are_explained_in_their_unit(client, auth, make_user, make_direction):
    manager = make_user(Role.MANAGER)
    auth.login(manager)
    direction = make_direction()
    for field, value in [("min_experience_years", "-3"), ("min_experience_years", "51")]:
        response = client.post(
            "/manager/offers/new", data=_form(direction, manager, **{field: value})
        )
        assert response.status_code == 422
        assert "entre 0 et 50" in response.get_data(as_text=True)
    response = client.post(
        "/manager/offers/new", data=_form(direction, manager, contract_duration_months="100")
    )
    assert response.status_code == 422 and "entre 1 et 72" in response.get_data(as_text=True)


def test_the_domain_checks_the_same_ranges(session, make_user):
    from referral.errors import InvalidInput
    from referral.offers.lifecycle import create_offer

    manager = make_user(Role.MANAGER)
    for field, value, message in [
        ("min_experience_years", 60, "Enter a number of years between 0 and 50."),
        ("contract_duration_months", 0, "Enter a number of months between 1 and 72."),
        ("positions", 601, "Enter a number between 1 and 600."),
    ]:
        try:
            create_offer(session, manager, {"title": "T", field: value}, utcnow())
        except InvalidInput as exc:
            assert exc.errors == {field: message}
        else:
            raise AssertionError(f"{field}={value} was accepted")
        session.rollback()


def test_a_new_offer_is_in_the_organisations_usual_civil_service(
    client, auth, make_user, make_offer
):
    manager = make_user(Role.MANAGER)
    auth.login(manager)

    def preselected() -> str:
        html = client.get("/manager/offers/new").get_data(as_text=True)
        select_ = html[
            html.index('name="versant"') : html.index("</select>", html.index('name="versant"'))
        ]
        return re.search(r'<option selected value="(\w+)"|<option value="(\w+)" selected', select_)

    found = preselected()
    assert "territoriale" in found.group(0)  # no offer yet: the territorial civil service
    for _ in range(2):
        make_offer(versant="hospitaliere")
    make_offer(versant="etat")
    assert "hospitaliere" in preselected().group(0)


def test_publishing_needs_the_required_fields(client, auth, session, make_user):
    manager = make_user(Role.MANAGER)
    auth.login(manager)
    client.post(
        "/manager/offers/new",
        data={
            "title": "Sans rien",
            **{
                k: FULL_FORM[k]
                for k in (
                    "versant",
                    "category",
                    "employment_nature",
                    "contract_type",
                    "remote_work",
                    "working_time",
                )
            },
        },
    )
    offer = session.scalar(select(Offer))
    preview = client.get(f"/manager/offers/{offer.id}").get_data(as_text=True)
    missing = preview[preview.index('class="missing"') :]
    assert missing.count("<li>") == 4  # direction, description, required skill, duration
    assert "durée du contrat" in missing
    response = client.post(f"/manager/offers/{offer.id}/publish", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "flash-error" in html
    session.expire_all()
    assert session.get(Offer, offer.id).status == "draft"


def test_publish_close_fill_duplicate(client, auth, session, make_user, make_direction):
    manager = make_user(Role.MANAGER)
    auth.login(manager)
    client.post("/manager/offers/new", data=_form(make_direction(), manager))
    offer = session.scalar(select(Offer))
    assert client.post(f"/manager/offers/{offer.id}/publish").status_code == 302
    session.expire_all()
    offer = session.get(Offer, offer.id)
    assert offer.status == "published" and offer.published_at is not None
    assert b"mobilit" in client.get("/offers").data
    client.post(f"/manager/offers/{offer.id}/close")
    session.expire_all()
    assert session.get(Offer, offer.id).status == "closed"
    client.post(f"/manager/offers/{offer.id}/publish")
    client.post(f"/manager/offers/{offer.id}/fill")
    session.expire_all()
    assert session.get(Offer, offer.id).status == "filled"
    response = client.post(f"/manager/offers/{offer.id}/duplicate")
    copy = session.scalar(select(Offer).where(Offer.id != offer.id))
    assert response.headers["Location"].endswith(f"/manager/offers/{copy.id}")
    assert copy.status == "draft" and copy.reference != offer.reference
    assert copy.title == offer.title and copy.required_skills == offer.required_skills
    assert copy.closing_date is None


def test_editing_an_offer(client, auth, session, make_user, make_offer):
    offer = make_offer(title="Ancien titre")
    auth.login(offer.hiring_manager)
    form = client.get(f"/manager/offers/{offer.id}/edit").get_data(as_text=True)
    assert 'value="Ancien titre"' in form
    data = _form(offer.direction, offer.hiring_manager, title="Nouveau titre")
    assert client.post(f"/manager/offers/{offer.id}/edit", data=data).status_code == 302
    session.expire_all()
    assert session.get(Offer, offer.id).title == "Nouveau titre"
    # A published offer cannot lose its required skills.
    response = client.post(f"/manager/offers/{offer.id}/edit", data=dict(data, required_skills=""))
    assert response.status_code == 422
    session.expire_all()
    assert session.get(Offer, offer.id).required_skills


def test_only_the_offers_manager_or_a_recruiter_may_edit(client, auth, make_user, make_offer):
    offer = make_offer()
    auth.login(make_user(Role.MANAGER))
    for url in (f"/manager/offers/{offer.id}/edit", f"/manager/offers/{offer.id}"):
        assert client.get(url).status_code == 403
    assert client.post(f"/manager/offers/{offer.id}/close").status_code == 403
    auth.logout()
    auth.login(make_user(Role.RECRUITER))
    assert client.get(f"/manager/offers/{offer.id}/edit").status_code == 200
    assert client.post(f"/manager/offers/{offer.id}/close").status_code == 302


def test_managers_see_their_offers_with_counts_recruiters_see_all(
    client, auth, session, make_user, make_offer, count_queries
):
    mine = make_offer(title="Mon offre")
    make_offer(title="Offre d'un autre")
    link = make_link(session, mine, make_user(), "linkedin")
    session.query(ShareLink).filter_by(id=link.id).update({"people_count": 7, "visits_count": 9})
    for n, status in enumerate(["new", "new", "interview"]):
        candidate = Candidate(email=f"c{n}@example.org", first_name="C", last_name=str(n))
        session.add(candidate)
        session.flush()
        session.add(Application(candidate_id=candidate.id, offer_id=mine.id, status=status))
    session.commit()
    auth.login(mine.hiring_manager)
    html = client.get("/manager/").get_data(as_text=True)
    assert "Mon offre" in html and "Offre d&#39;un autre" not in html
    row = html[html.index("Mon offre") :]
    cells = re.findall(r'<td class="num"[^>]*>(\d+)</td>', row)[:3]
    assert cells == ["1", "7", "3"]
    assert re.search(r"(Nouvelle|New)\w*: 2", row) and re.search(r"(Entretien|Interview): 1", row)
    auth.logout()
    recruiter = make_user(Role.RECRUITER)
    auth.login(recruiter)
    with count_queries() as few:
        html = client.get("/manager/").get_data(as_text=True)
    assert "Mon offre" in html and "Offre d&#39;un autre" in html
    for _ in range(4):
        make_offer()
    with count_queries() as many:
        client.get("/manager/")
    assert few.count == many.count


def test_close_expired_offers_is_also_a_service(session, make_offer):
    from referral.models import utcnow
    from referral.offers import lifecycle as offers

    make_offer(closing_date=date.today() - timedelta(days=1))
    assert offers.close_expired(session, utcnow()) == 1
    session.commit()
    assert session.scalar(select(Offer.status)) == OfferStatus.CLOSED.value


def test_publishing_tells_the_agents_of_the_direction_who_asked(
    client, auth, session, make_user, make_offer
):
    from referral.models import Notification, NotificationPreference

    offer = make_offer(status=OfferStatus.DRAFT)
    keen = make_user(direction_id=offer.direction_id)
    session.add(NotificationPreference(user_id=keen.id, kind="new_offer", mode="immediate"))
    make_user(direction_id=offer.direction_id)  # did not ask
    session.commit()
    auth.login(offer.hiring_manager)
    client.post(f"/manager/offers/{offer.id}/publish")
    rows = session.scalars(select(Notification).where(Notification.kind == "new_offer")).all()
    assert [n.recipient_id for n in rows] == [keen.id]
    assert rows[0].link_url == f"http://localhost/agent/offers/{offer.id}"
