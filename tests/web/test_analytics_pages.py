"""The analytics pages through HTTP: figures, CSV, access by role, fixed query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from referral.models import Role, Training, TrainingAttendee
from tests.referral.analytics_fixtures import build_base, build_training, unlink_directions

MARCH = "start=2026-03-01&end=2026-03-31"


@pytest.fixture
def base(session, make_direction, make_user, make_offer):
    yield build_base(session, make_direction, make_user, make_offer)
    unlink_directions(session)


@pytest.fixture
def login(auth, make_user, session):
    def as_role(*roles, locale="en", **fields):
        user = make_user(*roles, **fields)
        user.locale = locale
        session.commit()
        auth.login(user)
        return user

    return as_role


def test_smoke_every_page(client, base, login, session, make_user, make_offer):
    login(Role.RECRUITER)
    case = build_training(session, make_user, make_offer)
    for url in (
        f"/analytics/?{MARCH}",
        f"/analytics/?{MARCH}&group=channel",
        f"/analytics/?{MARCH}&group=agent",
        f"/analytics/?{MARCH}&group=direction",
        f"/analytics/over-time?{MARCH}",
        f"/analytics/leaderboards?{MARCH}",
        "/analytics/trainings",
        f"/analytics/trainings/{case.training.id}?weeks=2",
        f"/analytics/trainings/{case.training.id}/attendees",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[-3000:])


def _cells(html: str, label: str) -> str:
    """The text of the table row whose header cell is ``label``."""
    start = html.index(f'<th scope="row">{label}</th>')
    return " ".join(html[start : html.index("</tr>", start)].split())


def test_funnel_page_shows_hand_counted_figures(client, base, login):
    login(Role.RECRUITER)
    html = client.get(f"/analytics/?{MARCH}").get_data(as_text=True)
    # See test_analytics.py: 3 links, 7 people, 5 applications, 3 shortlisted, 1 hire.
    assert '<td class="num">7</td>' in _cells(html, "People reached")
    assert '<td class="num">3</td> <td class="num">60.0 %</td>' in _cells(html, "Shortlisted")
    assert 'role="img"' in html and '<title id="chart-funnel-title">' in html
    assert "style=" not in html and "<script>" not in html
    by_channel = client.get(f"/analytics/?{MARCH}&group=channel").get_data(as_text=True)
    assert "Direct referral" in by_channel and "Careers site" in by_channel


def test_csv_export_french_and_english(client, base, login):
    login(Role.RECRUITER, locale="fr")
    response = client.get(f"/analytics/?{MARCH}&format=csv&table=funnel")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    text = response.data.decode("utf-8-sig")
    assert ";" in text.splitlines()[0]
    assert ";3;60,0" in text  # shortlisted: 3, 60.0 % with a decimal comma
    assert "attachment" in response.headers["Content-Disposition"]
    client.post("/logout")
    login(Role.RECRUITER, locale="en")
    text = client.get(f"/analytics/?{MARCH}&format=csv&table=funnel").data.decode("utf-8-sig")
    assert ",3,60.0" in text
    assert client.get(f"/analytics/?{MARCH}&format=csv&table=nope").status_code == 404


@pytest.mark.parametrize(
    ("url", "table"),
    [
        (f"/analytics/?{MARCH}", "groups"),
        (f"/analytics/over-time?{MARCH}", "weekly"),
        (f"/analytics/leaderboards?{MARCH}", "agents"),
        (f"/analytics/leaderboards?{MARCH}", "directions"),
        ("/analytics/trainings", "trainings"),
    ],
)
def test_every_table_exports(client, base, login, session, url, table):
    session.add(
        Training(title="Formation", audience="agents", held_on=base.offer1.published_at.date())
    )
    session.commit()
    login(Role.ADMIN)
    response = client.get(f"{url}{'&' if '?' in url else '?'}format=csv&table={table}")
    assert response.status_code == 200
    assert len(response.data.decode("utf-8-sig").splitlines()) >= 2


def test_csv_cells_cannot_be_formulas(client, base, login, session):
    base.a1.first_name = "=cmd|' /C calc'!A0"
    session.commit()
    login(Role.RECRUITER)
    url = f"/analytics/?{MARCH}&group=agent&format=csv&table=groups"
    text = client.get(url).data.decode("utf-8-sig")
    row = next(line for line in text.splitlines() if "cmd" in line)
    assert row.startswith("\"'=cmd") or row.startswith("'=cmd")


def test_over_time_page(client, base, login):
    login(Role.RECRUITER)
    html = client.get(f"/analytics/over-time?{MARCH}").get_data(as_text=True)
    assert html.count('<svg class="chart"') == 3
    text = client.get(f"/analytics/over-time?{MARCH}&format=csv&table=weekly").data
    # Week of 2 March: 2 agents, 4 people, 3 referral and 1 careers-site applications.
    assert "2026-03-02,2,4,3,1,0" in text.decode("utf-8-sig")


def test_over_time_shows_the_share_of_staff_who_shared_per_direction_and_month(
    client, base, login, make_user
):
    for _ in range(4):  # Child: Alice and four colleagues who did not share
        make_user(direction_id=base.child.id)
    login(Role.RECRUITER)
    html = client.get("/analytics/over-time?start=2026-02-20&end=2026-03-31")
    page = html.get_data(as_text=True)
    assert "Share of the staff who shared, per direction and month" in page
    assert "Feb 2026 (partial)" in page and "Mar 2026" in page
    url = "/analytics/over-time?start=2026-02-20&end=2026-03-31&format=csv&table=sharing"
    rows = {
        line.split(",")[0]: line.split(",")[1:]
        for line in client.get(url).data.decode("utf-8-sig").splitlines()
    }
    # Alice shared in February (L0 reached a person on 20 Feb) and in March: 1 of 5 staff.
    assert rows["Child"] == ["5", "20.0", "20.0"]
    # Root and Other have one agent each: no figure for a group under five, only their names.
    assert "Root" not in rows and "Other" not in rows
    assert "Not shown, fewer than 5 staff: Other, Root, No direction." in page


def test_leaderboards_page_hides_agents_who_left(client, base, login, session):
    base.a3.active = False
    session.commit()
    login(Role.RECRUITER)
    html = client.get(f"/analytics/leaderboards?{MARCH}").get_data(as_text=True)
    assert "Alice Un" in html and "Bruno Deux" in html
    assert "Chloé Trois" not in html
    assert "Points" in html  # credit events exist


def test_training_pages_and_too_early(client, login, session, make_user, make_offer):
    login(Role.RECRUITER)
    case = build_training(session, make_user, make_offer)
    young = Training(title="Formation d'hier", audience="agents", held_on=date.today())
    session.add(young)
    session.flush()
    for user in case.attendees:
        session.add(TrainingAttendee(training_id=young.id, user_id=user.id))
    session.commit()
    html = client.get(f"/analytics/trainings/{young.id}").get_data(as_text=True)
    assert "In progress: 0 of 8 weeks observed." in html
    assert "Too early to compare" in html and "Difference in differences" not in html
    listing = client.get("/analytics/trainings").get_data(as_text=True)
    assert "Ambassadeurs LinkedIn" in listing and "Formation d&#39;hier" in listing
    bad = client.get(f"/analytics/trainings/{case.training.id}?weeks=99")
    assert bad.status_code == 200 and "between 1 and 52" in bad.get_data(as_text=True)


def test_training_effect_page(client, login, session, make_user, make_offer):
    login(Role.RECRUITER)
    case = build_training(session, make_user, make_offer)
    url = f"/analytics/trainings/{case.training.id}?weeks=2"
    html = client.get(url).get_data(as_text=True)
    # Whole weeks: before 16 Feb–1 Mar, the training's week 2–8 March left out, after 9–22 March.
    assert "2 whole weeks observed." in html
    assert "from Feb 16, 2026 to Mar 1, 2026 before, and from Mar 9, 2026 to Mar 22, 2026" in html
    assert "Attendees: 5 agents still in post" in html  # the one who left is in no group
    # The five others and the viewer: nobody else has attended a training.
    assert "Comparison group: 6 agents. Rule: Staff who had attended no training" in html
    # Links per agent per week: attendees −0.5, +0.5, +0.5, +0.5, 0 (mean +0.2); comparison
    # −0.5, −0.5, 0, 0, 0, 0 (mean −1/6): +0.37, with an interval that contains 0.
    row = _cells(html, "Share links created")
    assert "+0.37" in row and "No measurable effect" in row
    assert "Share links created</strong>: No measurable effect (+0.37 per agent per week" in html
    text = client.get(f"{url}&format=csv&table=effect").data.decode("utf-8-sig")
    header, links = text.splitlines()[:2]
    assert "Comparison group rule" in header and "Attendees (agents)" in header
    assert links.startswith("Share links created,") and ",5,6,Staff who had attended" in links
    assert "Hires" in text
    staggered = client.get(f"{url}&comparison=later_cohort").get_data(as_text=True)
    assert "Comparison group: 0 agents. Rule: Attendees of a later training" in staggered
    assert "Not enough agents to compare" in staggered


def test_manager_sees_only_own_direction(client, base, login):
    login(Role.MANAGER, direction_id=base.root.id)
    html = client.get(f"/analytics/?{MARCH}").get_data(as_text=True)
    assert "Offre un" in html and "Offre deux" not in html
    assert "You see the figures of your direction" in html
    html = client.get(f"/analytics/leaderboards?{MARCH}").get_data(as_text=True)
    assert "Alice Un" in html and "Chloé Trois" not in html
    # An agent of another direction cannot be picked as a filter.
    assert client.get(f"/analytics/?{MARCH}&agent={base.a3.id}").status_code == 404


@pytest.mark.parametrize(
    ("roles", "read", "admin"),
    [((), 403, 403), ((Role.MANAGER,), 200, 403), ((Role.RECRUITER,), 200, 403),
     ((Role.ADMIN,), 200, 200)],
)  # fmt: skip
def test_access_by_role(client, login, session, make_user, make_offer, roles, read, admin):
    case = build_training(session, make_user, make_offer)
    login(*roles)
    t = case.training.id
    for url in ("/analytics/", "/analytics/over-time", "/analytics/leaderboards",
                "/analytics/trainings", f"/analytics/trainings/{t}"):  # fmt: skip
        assert client.get(url).status_code == read, url
    attendee_list = 200 if Role.RECRUITER in roles or Role.ADMIN in roles else 403
    assert client.get(f"/analytics/trainings/{t}/attendees").status_code == attendee_list
    assert client.get("/analytics/trainings/new").status_code == admin
    assert client.get(f"/analytics/trainings/{t}/edit").status_code == admin


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/analytics/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_creates_a_training_and_imports_attendees(client, login, session, make_user):
    login(Role.ADMIN)
    bad = client.post("/analytics/trainings/new", data={"title": "", "audience": "agents"})
    assert bad.status_code == 200 and "This field is required" in bad.get_data(as_text=True)
    response = client.post(
        "/analytics/trainings/new",
        data={"title": "LinkedIn niveau 2", "audience": "directors", "held_on": "2026-10-05",
              "notes": "Salle 3"},
    )  # fmt: skip
    assert response.status_code == 302
    training = session.scalar(select(Training).where(Training.title == "LinkedIn niveau 2"))
    assert training.audience == "directors" and str(training.held_on) == "2026-10-05"
    one, two = make_user(email="un@region.example"), make_user(email="deux@region.example")
    pasted = "Un <UN@region.example>; deux@region.example\ninconnu@region.example, pas-un-mail@"
    response = client.post(f"/analytics/trainings/{training.id}/attendees", data={"emails": pasted})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "inconnu@region.example" in html and "pas-un-mail@" in html
    ids = set(session.scalars(select(TrainingAttendee.user_id).where(
        TrainingAttendee.training_id == training.id)))  # fmt: skip
    assert ids == {one.id, two.id}
    # The single e-mail field works too, and an attendee already there is not added twice.
    client.post(f"/analytics/trainings/{training.id}/attendees", data={"email": two.email})
    response = client.post(f"/analytics/trainings/{training.id}/attendees/{one.id}/remove")
    assert response.status_code == 302
    session.expire_all()
    ids = set(session.scalars(select(TrainingAttendee.user_id).where(
        TrainingAttendee.training_id == training.id)))  # fmt: skip
    assert ids == {two.id}
    response = client.post(
        f"/analytics/trainings/{training.id}/edit",
        data={"title": "LinkedIn 2", "audience": "agents", "held_on": "2026-10-06"},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Training, training.id).title == "LinkedIn 2"
    training_id = training.id
    assert client.post(f"/analytics/trainings/{training_id}/delete").status_code == 302
    session.expunge_all()
    assert session.scalar(select(Training).where(Training.id == training_id)) is None


def test_recruiter_cannot_change_trainings(client, login, session, make_user, make_offer):
    case = build_training(session, make_user, make_offer)
    login(Role.RECRUITER)
    t = case.training.id
    assert client.post("/analytics/trainings/new", data={"title": "x"}).status_code == 403
    assert (
        client.post(f"/analytics/trainings/{t}/attendees", data={"emails": "a@b.fr"}).status_code
        == 403
    )
    assert client.post(f"/analytics/trainings/{t}/delete").status_code == 403


def test_bad_period_keeps_the_page_up(client, base, login):
    login(Role.RECRUITER)
    response = client.get("/analytics/?start=2026-03-31&end=2026-03-01")
    assert response.status_code == 200
    assert "The end of the period is before its start." in response.get_data(as_text=True)
    response = client.get("/analytics/?start=zz&end=2026-13-01&offer=zz&group=zz&channel=zz")
    assert response.status_code == 200
    assert client.get("/analytics/leaderboards?sort=zz").status_code == 200


def test_dashboards_use_a_fixed_number_of_queries(
    client, base, login, session, make_user, make_offer, count_queries
):
    from tests.referral.analytics_fixtures import application, at, link, visits

    login(Role.RECRUITER)
    case = build_training(session, make_user, make_offer)
    urls = [
        f"/analytics/?{MARCH}&group=offer",
        f"/analytics/?{MARCH}&group=channel",
        f"/analytics/?{MARCH}&group=agent",
        f"/analytics/over-time?{MARCH}",
        f"/analytics/leaderboards?{MARCH}",
        f"/analytics/trainings/{case.training.id}?weeks=2",
        "/analytics/trainings",
    ]

    def counts():
        found = []
        for url in urls:
            client.get(url)  # brings the visit roll-up up to date
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            found.append(counter.count)
        return found

    before = counts()
    # Ten times more of everything: the same number of queries.
    for i in range(10):
        agent = make_user(direction_id=base.child.id)
        row = link(session, agent, base.offer1, "linkedin", at(3, 10 + i))
        visits(session, row, at(3, 11 + i), people=3, bots=1)
        application(session, base.offer1, at(3, 12 + i), source="share_link", link_row=row,
                    agent=agent, history=[("screening", at(3, 20))])  # fmt: skip
    session.commit()
    assert counts() == before
    assert max(before) <= 16


def test_the_last_days_end_today_in_the_organisations_time_zone(client, login, monkeypatch):
    from web.views.analytics import dashboards as views

    login(Role.RECRUITER)
    # 23:30 UTC on Sunday 1 February is 00:30 on Monday 2 February in Paris.
    monkeypatch.setattr(views, "utcnow", lambda: datetime(2026, 2, 1, 23, 30, tzinfo=UTC))
    html = client.get("/analytics/?preset=30d").get_data(as_text=True)
    assert 'value="2026-02-02"' in html and 'value="2026-01-04"' in html


@pytest.mark.parametrize("page", ["/analytics/", "/analytics/over-time", "/analytics/leaderboards"])
def test_filtering_by_agent_shows_the_agent_and_a_way_back(client, base, login, page):
    login(Role.RECRUITER)
    response = client.get(f"{page}?{MARCH}&agent={base.a3.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert base.a3.full_name in html and "Remove this filter" in html


def test_over_time_marks_trainings_and_partial_weeks(client, login, session, make_user, make_offer):
    login(Role.RECRUITER)
    build_training(session, make_user, make_offer)
    html = client.get(f"/analytics/over-time?{MARCH}").get_data(as_text=True)
    # 1 March is a Sunday and 31 March a Tuesday: both end weeks are partial, on each chart.
    assert html.count('class="chart-partial"') == 2 * 3
    assert "Shaded: a partial week at an end of the period" in html
    assert html.count("<title>Ambassadeurs LinkedIn</title>") == 3  # the training of 2 March
    whole = client.get("/analytics/over-time?start=2026-03-02&end=2026-03-29")
    assert 'class="chart-partial"' not in whole.get_data(as_text=True)


def test_pages_read_the_roll_up_and_say_when_visits_wait_for_the_worker(
    client, base, login, session, app
):
    """No page writes the roll-up: a new visit shows only once the worker has counted it,
    and meanwhile every page says up to when its figures go."""
    from sqlalchemy import func

    from referral import worker
    from referral.models import VisitDay
    from tests.referral.analytics_fixtures import at, visits

    login(Role.RECRUITER)
    fresh = client.get(f"/analytics/?{MARCH}").get_data(as_text=True)
    assert "figures up to" not in fresh and "count the visits up to" not in fresh
    assert '<td class="num">7</td>' in _cells(fresh, "People reached")
    visits(session, base.links["L2"], at(3, 20), people=2)
    session.commit()
    rows = session.scalar(select(func.count()).select_from(VisitDay))
    for url in (
        f"/analytics/?{MARCH}",
        f"/analytics/over-time?{MARCH}",
        f"/analytics/leaderboards?{MARCH}",
        "/analytics/trainings",
    ):
        html = client.get(url).get_data(as_text=True)
        assert "People reached and bot previews count the visits up to" in html, url
    stale = client.get(f"/analytics/?{MARCH}").get_data(as_text=True)
    assert '<td class="num">7</td>' in _cells(stale, "People reached")  # not counted, said so
    assert session.scalar(select(func.count()).select_from(VisitDay)) == rows  # nothing written
    # The worker's tick counts it; the note goes.
    state = app.extensions["relais"]
    worker.run_once(state.sessions, state.settings)
    assert session.scalar(select(func.count()).select_from(VisitDay)) == rows + 1
    counted = client.get(f"/analytics/?{MARCH}").get_data(as_text=True)
    assert '<td class="num">9</td>' in _cells(counted, "People reached")
    assert "count the visits up to" not in counted


def test_the_freshness_note_is_in_french(client, base, login, session):
    from tests.referral.analytics_fixtures import at, visits

    login(Role.RECRUITER, locale="fr")
    visits(session, base.links["L2"], at(3, 20), people=1)
    session.commit()
    html = client.get(f"/analytics/?{MARCH}").get_data(as_text=True)
    assert "Personnes touchées et aperçus par des robots : visites comptées jusqu’au" in html
