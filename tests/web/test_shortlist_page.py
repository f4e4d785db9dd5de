"""The shortlist page, its filters, sorts, pages, exports and bulk moves, over HTTP."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.models import Role, StatusChange, utcnow


@pytest.fixture
def recruiter(make_user, auth):
    user = make_user(Role.RECRUITER, locale="en")
    auth.login(user)
    return user


def rows(html: str) -> list[str]:
    """Candidate names in the order of the shortlist table."""
    return re.findall(r'class="candidate-name">([^<]+)<', html)


def test_the_shortlist_ranks_by_score_unscored_last_ties_by_date_then_id(
    client, recruiter, make_offer, make_application, make_candidate
):
    offer = make_offer()
    t = utcnow() - timedelta(days=2)
    make_application(offer, make_candidate("Zoé", "Sansscore"), created_at=t)
    make_application(offer, make_candidate("Bruno", "Moyen"), score=55.0, created_at=t)
    make_application(offer, make_candidate("Alice", "Premiere"), score=91.5, created_at=t)
    make_application(
        offer, make_candidate("Chloé", "Tardive"), score=55.0, created_at=t + timedelta(hours=1)
    )
    make_application(offer, make_candidate("David", "Meme"), score=55.0, created_at=t)

    page = client.get(f"/recruiter/offers/{offer.id}/shortlist").get_data(as_text=True)
    assert rows(page) == [
        "Alice Premiere",
        "Bruno Moyen",
        "David Meme",
        "Chloé Tardive",
        "Zoé Sansscore",
    ]
    assert "not scored yet" in page
    assert page.count('class="score-bar"') == 4
    assert "Score </span>92<span" in page  # the number is there for screen readers too


def test_each_row_shows_source_agent_date_status_and_skills_at_a_glance(
    client, recruiter, make_offer, make_application, make_user
):
    agent = make_user(first_name="Aline", last_name="Partage")
    offer = make_offer(required_skills=["gestion de projet", "marchés publics", "python"])
    make_application(
        offer,
        score=82,
        agent=agent,
        matched=["gestion de projet", "python"],
        missing=["marchés publics"],
    )
    page = client.get(f"/recruiter/offers/{offer.id}/shortlist").get_data(as_text=True)
    assert "Share link" in page and "Arrived through the LinkedIn link of Aline Partage" in page
    assert re.search(r'class="tag ok">.*gestion de projet</span>', page)
    assert re.search(r'class="tag missing">.*marchés publics</span>', page)
    assert '<details class="explanation">' in page
    assert "How the score is made" in page and "Required skills" in page
    assert "8 ans de python au conseil départemental" in page  # the CV excerpt
    assert "New" in page


def test_filters_sort_and_pages(
    client, recruiter, make_offer, make_application, make_candidate, make_user
):
    agent = make_user()
    offer = make_offer()
    make_application(
        offer, make_candidate("Ana", "Referee"), score=90, agent=agent, matched=["python"]
    )
    make_application(
        offer, make_candidate("Ben", "Careers", cv_text="Archiviste."), score=40, status="screening"
    )
    make_application(
        offer,
        make_candidate("Cyd", "Unscored", cv_text="Expert en Comptabilité publique et PYTHON"),
    )
    url = f"/recruiter/offers/{offer.id}/shortlist"
    assert rows(client.get(url + "?status=screening").get_data(as_text=True)) == ["Ben Careers"]
    assert rows(client.get(url + "?source=share_link").get_data(as_text=True)) == ["Ana Referee"]
    assert rows(client.get(url + "?referred=yes").get_data(as_text=True)) == ["Ana Referee"]
    assert rows(client.get(url + "?referred=no").get_data(as_text=True)) == [
        "Ben Careers",
        "Cyd Unscored",
    ]
    assert rows(client.get(url + "?min_score=50").get_data(as_text=True)) == ["Ana Referee"]
    # A skill: matched by the scoring, or written in the CV (any case).
    assert rows(client.get(url + "?skill=Python").get_data(as_text=True)) == [
        "Ana Referee",
        "Cyd Unscored",
    ]
    assert rows(client.get(url + "?skill=comptabilité").get_data(as_text=True)) == ["Cyd Unscored"]
    assert rows(client.get(url + "?skill=50%25").get_data(as_text=True)) == []  # LIKE is escaped
    newest = rows(client.get(url + "?sort=date").get_data(as_text=True))
    assert newest == ["Ana Referee", "Ben Careers", "Cyd Unscored"]  # the factory ages each one


def test_bad_filters_get_a_message_not_an_error(client, recruiter, make_offer, make_application):
    offer = make_offer()
    make_application(offer, score=50)
    response = client.get(f"/recruiter/offers/{offer.id}/shortlist?min_score=abc&status=zz&page=-3")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and len(rows(html)) == 1
    assert 'value="abc"' in html  # what the user typed is kept


@pytest.mark.parametrize("typed", ["abc", "150", "-1", "NaN", "1e400"])
def test_a_minimum_score_that_is_not_a_score_gets_a_clear_message(
    client, recruiter, make_offer, make_application, typed
):
    offer = make_offer()
    make_application(offer, score=50)
    html = client.get(f"/recruiter/offers/{offer.id}/shortlist?min_score={typed}").get_data(
        as_text=True
    )
    assert html.count("Enter a number between 0 and 100.") == 1
    assert "float" not in html and "Number must be" not in html
    assert len(rows(html)) == 1  # the shortlist is still there, unfiltered


def test_the_minimum_score_message_in_french(client, make_user, auth, make_offer, make_application):
    auth.login(make_user(Role.RECRUITER, locale="fr"))
    offer = make_offer()
    make_application(offer, score=50)
    html = client.get(f"/recruiter/offers/{offer.id}/shortlist?min_score=abc").get_data(
        as_text=True
    )
    assert "flottant" not in html
    assert html.count("Saisissez un nombre entre 0 et 100.") == 1


def test_pagination_keeps_the_filters(client, recruiter, make_offer, make_application, session):
    offer = make_offer()
    for i in range(30):
        make_application(offer, score=float(i), commit=False)
    session.commit()
    first = client.get(f"/recruiter/offers/{offer.id}/shortlist?min_score=1").get_data(as_text=True)
    assert len(rows(first)) == 25 and "Page 1 of 2" in first
    assert f"/recruiter/offers/{offer.id}/shortlist?page=2&amp;min_score=1" in first
    second = client.get(f"/recruiter/offers/{offer.id}/shortlist?min_score=1&page=2").get_data(
        as_text=True
    )
    assert len(rows(second)) == 4 and "Page 2 of 2" in second
    assert re.search(r'<td class="num"[^>]*>26</td>', second)  # ranks go on across pages


def _fill(session, offer, make_application, make_user, n):
    agent = make_user()
    for i in range(n):
        make_application(
            offer,
            score=None if i % 7 == 0 else float(i % 100),
            matched=["python"],
            missing=["sql"],
            agent=agent if i % 2 else None,
            status="screening" if i % 3 else "new",
            commit=False,
        )
    session.commit()


def test_the_page_and_the_export_load_in_a_fixed_number_of_queries(
    client, recruiter, make_offer, make_application, make_user, session, count_queries
):
    small, large = make_offer(), make_offer()
    _fill(session, small, make_application, make_user, 10)
    _fill(session, large, make_application, make_user, 1000)

    def measure(url):
        client.get(url)  # warm up: the first request compiles templates
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        return counter.count, counter.statements

    for path in ("shortlist", "shortlist?skill=python&sort=date", "shortlist.csv"):
        small_count, _ = measure(f"/recruiter/offers/{small.id}/{path}")
        large_count, statements = measure(f"/recruiter/offers/{large.id}/{path}")
        assert small_count == large_count, path
        assert large_count <= 12, statements
    # The CV text blob is never loaded with the list.
    _, statements = measure(f"/recruiter/offers/{large.id}/shortlist")
    assert not any("cv_file.text " in s or "cv_file.text," in s for s in statements)


def test_csv_export_in_french_has_a_bom_and_semicolons(
    client, make_user, auth, make_offer, make_application, make_candidate
):
    auth.login(make_user(Role.RECRUITER, locale="fr"))
    offer = make_offer(reference="DRH-2026-014")
    make_application(
        offer, make_candidate("Élodie", "Durand"), score=87.5, matched=["python"], missing=["sql"]
    )
    make_application(offer, make_candidate("=cmd", "Attaque"), score=10)
    response = client.get(f"/recruiter/offers/{offer.id}/shortlist.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, once
    assert 'filename="shortlist-DRH-2026-014.csv"' in response.headers["Content-Disposition"]
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body[3:].decode("utf-8")), delimiter=";"))
    assert table[0][:2] == ["Rang", "Nom"] and table[0][3] == "Score"
    assert table[1][1] == "Élodie Durand" and table[1][3] == "87,5"
    assert table[1][8] == "python" and table[1][9] == "sql"
    assert table[2][1].startswith("'=")  # no formula runs in the spreadsheet


def test_csv_export_in_english_uses_commas_and_keeps_the_filters(
    client, recruiter, make_offer, make_application
):
    offer = make_offer()
    make_application(offer, score=80, status="interview")
    make_application(offer, score=30)
    body = client.get(f"/recruiter/offers/{offer.id}/shortlist.csv?status=interview").data
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))
    assert table[0][0] == "Rank" and len(table) == 2
    assert table[1][3] == "80.0" and table[1][4] == "Interview"


def test_xlsx_export_is_a_workbook_with_the_rows(
    client, recruiter, make_offer, make_application, make_candidate
):
    offer = make_offer(reference="REF-9")
    make_application(offer, make_candidate("Inès", "Tableur"), score=66.0)
    response = client.get(f"/recruiter/offers/{offer.id}/shortlist.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "shortlist-REF-9.xlsx" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as book:
        assert "xl/worksheets/sheet1.xml" in book.namelist()
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "Inès Tableur" in strings and "Rank" in strings
    assert "<v>66</v>" in sheet  # the score is a number, not text


def test_bulk_move_reports_what_moved_and_what_was_refused(
    client, recruiter, make_offer, make_application, make_candidate, session
):
    offer = make_offer()
    a = make_application(offer, make_candidate("Anne", "Un"), score=80)
    b = make_application(offer, make_candidate("Basile", "Deux"), score=70)
    c = make_application(offer, make_candidate("Carla", "Trois"), score=60, status="rejected")
    elsewhere = make_application(make_offer(), score=99)
    response = client.post(
        f"/recruiter/offers/{offer.id}/shortlist/move",
        data={"bulk-to_status": "interview", "application_ids": [a.id, b.id, c.id, elsewhere.id]},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2 applications moved" in html and "1 application not moved" in html
    assert "Carla Trois" in html and "reopened to screening" in html
    session.expire_all()
    moved = session.scalars(select(StatusChange.application_id)).all()
    assert sorted(moved) == sorted([a.id, b.id])


def test_bulk_move_without_a_selection_or_a_stage(client, recruiter, make_offer, make_application):
    offer = make_offer()
    app_ = make_application(offer)
    url = f"/recruiter/offers/{offer.id}/shortlist/move"
    response = client.post(url, data={"bulk-to_status": "interview"}, follow_redirects=True)
    assert "Select at least one application." in response.get_data(as_text=True)
    response = client.post(url, data={"application_ids": [app_.id]}, follow_redirects=True)
    assert "Choose the stage" in response.get_data(as_text=True)


def test_bulk_rejection_needs_a_reason(client, recruiter, make_offer, make_application, session):
    offer = make_offer()
    app_ = make_application(offer)
    url = f"/recruiter/offers/{offer.id}/shortlist/move"
    html = client.post(
        url, data={"bulk-to_status": "rejected", "application_ids": [app_.id]}
    ).get_data(as_text=True)
    assert "Choose the reason of the rejection." in html
    client.post(
        url,
        data={"bulk-to_status": "rejected", "bulk-reason": "profile", "application_ids": [app_.id]},
    )
    session.refresh(app_)
    assert app_.status == "rejected" and app_.rejection_reason == "profile"


def test_recruiter_home_lists_offers_with_their_counts(
    client, recruiter, make_offer, make_application
):
    offer = make_offer(title="Juriste marchés publics")
    make_application(offer)
    make_application(offer, status="interview")
    make_application(offer, status="hired")
    empty = make_offer(title="Archiviste")
    html = client.get("/recruiter/").get_data(as_text=True)
    assert "Juriste marchés publics" in html and "Archiviste" in html
    row = re.search(r"Juriste marchés publics.*?</tr>", html, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["3", "1", "1", "1", "0", "0"]
    assert f"/recruiter/offers/{empty.id}/shortlist" in html


def test_the_recruiter_home_row_adds_up(client, recruiter, make_offer, make_application):
    offer = make_offer(title="Chargée de communication")
    for status in ("new", "screening", "interview", "offer", "hired"):
        make_application(offer, status=status)
    for status in ("rejected", "rejected", "rejected", "withdrawn"):
        make_application(offer, status=status)
    html = client.get("/recruiter/").get_data(as_text=True)
    head = re.search(r"<thead>.*?</thead>", html, re.S).group(0)
    headers = re.findall(r'<th scope="col" class="num">([^<]+)</th>', head)
    assert headers == ["Applications", "New", "In progress", "Recruited", "Rejected", "Withdrawn"]
    row = re.search(r"Chargée de communication.*?</tr>", html, re.S).group(0)
    total, *by_stage = (int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row))
    assert (total, by_stage) == (9, [1, 3, 1, 3, 1])
    assert sum(by_stage) == total


def ranks(html: str) -> dict[str, int]:
    """Each candidate's rank as the shortlist table shows it."""
    found = re.findall(
        r'<td class="num"[^>]*>(\d+)</td>.*?class="candidate-name">([^<]+)<', html, re.S
    )
    return {name: int(rank) for rank, name in found}


def test_the_rank_is_the_rank_by_score_whatever_the_sort_the_filter_or_the_export(
    client, recruiter, make_offer, make_application, make_candidate
):
    offer = make_offer()
    t = utcnow() - timedelta(days=3)
    # Applied first, best score, then a tie broken by the date of application.
    make_application(offer, make_candidate("Anne", "Premiere"), score=90.0, created_at=t)
    make_application(
        offer, make_candidate("Basile", "Second"), score=70.0, created_at=t + timedelta(hours=1)
    )
    make_application(
        offer,
        make_candidate("Carla", "Troisieme"),
        score=70.0,
        status="rejected",
        created_at=t + timedelta(hours=2),
    )
    make_application(offer, make_candidate("Dora", "Sansscore"), created_at=t + timedelta(hours=3))
    by_score = {"Anne Premiere": 1, "Basile Second": 2, "Carla Troisieme": 3, "Dora Sansscore": 4}
    url = f"/recruiter/offers/{offer.id}/shortlist"

    assert ranks(client.get(url).get_data(as_text=True)) == by_score
    newest = client.get(url + "?sort=date").get_data(as_text=True)
    assert rows(newest)[0] == "Dora Sansscore" and ranks(newest) == by_score
    rejected = client.get(url + "?status=rejected").get_data(as_text=True)
    assert ranks(rejected) == {"Carla Troisieme": 3}
    assert ranks(client.get(url + "?min_score=80").get_data(as_text=True)) == {"Anne Premiere": 1}

    body = client.get(url + ".csv?sort=date").data
    table = list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))
    assert [(row[1], int(row[0])) for row in table[1:]] == [
        ("Dora Sansscore", 4),
        ("Carla Troisieme", 3),
        ("Basile Second", 2),
        ("Anne Premiere", 1),
    ]
    body = client.get(url + ".csv?status=rejected").data
    table = list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))
    assert [(row[1], row[0]) for row in table[1:]] == [("Carla Troisieme", "3")]


def test_the_xlsx_export_carries_the_same_rank(
    client, recruiter, make_offer, make_application, make_candidate
):
    offer = make_offer()
    make_application(offer, make_candidate("Haut", "Classé"), score=95.0)
    make_application(offer, make_candidate("Bas", "Écarté"), score=20.0, status="rejected")
    response = client.get(f"/recruiter/offers/{offer.id}/shortlist.xlsx?status=rejected")
    with zipfile.ZipFile(io.BytesIO(response.data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    # The one row: rank 2 (a number in A2), not 1.
    assert re.search(r'<c r="A2"[^>]*><v>2</v></c>', sheet), sheet


def test_french_page(client, make_user, auth, make_offer, make_application):
    auth.login(make_user(Role.RECRUITER, locale="fr"))
    offer = make_offer()
    make_application(offer, score=70, matched=["python"])
    html = client.get(f"/recruiter/offers/{offer.id}/shortlist").get_data(as_text=True)
    assert "Pourquoi ce score" in html and "Nouvelle" in html


def test_the_manager_reaches_the_shortlist_from_their_offer(client, make_user, auth, make_offer):
    manager = make_user(Role.MANAGER, locale="en")
    offer = make_offer(hiring_manager=manager)
    auth.login(manager)
    page = client.get(f"/manager/offers/{offer.id}").get_data(as_text=True)
    assert f'href="/recruiter/offers/{offer.id}/shortlist"' in page
    assert client.get(f"/recruiter/offers/{offer.id}/shortlist").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "min_score=NaN",
        "min_score=sNaN",
        "min_score=inf",
        "min_score=1e400",
        "page=99999999999",
        "sort=zz",
        "referred=maybe",
        "status=zz",
        "skill=%00",
        "offer_id=3",
        "_external=1",
        "_scheme=javascript",
        "_anchor=x",
        "source=" + "x" * 300,
    ],
)
def test_garbage_in_the_query_string_never_breaks_the_page_or_the_exports(
    client, recruiter, make_offer, make_application, query
):
    offer = make_offer()
    make_application(offer, score=50)
    for path in ("shortlist", "shortlist.csv", "shortlist.xlsx"):
        assert client.get(f"/recruiter/offers/{offer.id}/{path}?{query}").status_code == 200


def test_a_french_decimal_comma_is_understood(
    client, recruiter, make_offer, make_application, make_candidate
):
    offer = make_offer()
    make_application(offer, make_candidate("Haut", "Score"), score=50.6)
    make_application(offer, make_candidate("Bas", "Score"), score=50.4)
    html = client.get(f"/recruiter/offers/{offer.id}/shortlist?min_score=50,5").get_data(
        as_text=True
    )
    assert rows(html) == ["Haut Score"]


def test_a_cv_without_text_is_flagged_next_to_its_score(
    client, recruiter, make_offer, make_application, make_candidate
):
    offer = make_offer()
    make_application(offer, make_candidate(cv_text="", text_status="no_text"), score=3.0)
    html = client.get(f"/recruiter/offers/{offer.id}/shortlist").get_data(as_text=True)
    assert "no text could be read" in html


def test_every_export_is_in_the_audit_trail(
    client, recruiter, make_offer, make_application, session
):
    from sqlalchemy import select

    from referral.models import AuditEvent

    offer = make_offer()
    make_application(offer, score=50)
    client.get(f"/recruiter/offers/{offer.id}/shortlist.csv")
    client.get(f"/recruiter/offers/{offer.id}/shortlist.xlsx")
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "shortlist.exported").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.entity_id, e.details["format"], e.details["rows"]) for e in events] == [
        (recruiter.id, offer.id, "csv", 1),
        (recruiter.id, offer.id, "xlsx", 1),
    ]
