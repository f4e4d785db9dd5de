"""The demo data: what it holds, that it is consistent, idempotent, and that the demo signs in."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from referral import analytics, training_effect
from referral.applications.cvtext import extract
from referral.models import (
    Application,
    Base,
    Candidate,
    CreditEvent,
    CVFile,
    Direction,
    Offer,
    Referral,
    Role,
    ShareLink,
    StatusChange,
    Training,
    User,
    Visit,
)
from seeds import DEMO_PASSWORD, demo_accounts, load, table_counts

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture
def seeded(app, session):
    state = app.extensions["relais"]
    report = load(state.sessions, state.settings, now=NOW)
    session.expire_all()
    return report


def _content_hash(session) -> str:
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        order = ", ".join(c.name for c in table.primary_key.columns) or "1"
        rows = session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}')).all()
        digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


def test_a_second_load_changes_nothing(app, session, seeded):
    counts = table_counts(session)
    fingerprint = _content_hash(session)
    state = app.extensions["relais"]
    # Even a day later: every row is found by its natural key.
    again = load(state.sessions, state.settings, now=NOW + timedelta(days=1))
    session.expire_all()
    assert table_counts(session) == counts
    assert _content_hash(session) == fingerprint
    assert set(again.added.values()) == {0}
    assert "+0" in again.summary() and "+1" not in again.summary()
    skipped = load(state.sessions, state.settings, only_if_empty=True)
    assert skipped.skipped and "nothing seeded" in skipped.summary()


def test_counts_are_roughly_as_specified(session, seeded):
    counts = table_counts(session)
    assert 20 <= counts["direction"] <= 40
    assert 55 <= counts["user_account"] <= 65
    assert counts["offer"] == 15
    assert counts["candidate"] == 40 and counts["cv_file"] == 40
    assert counts["training"] == 3
    assert counts["share_link"] >= 150 and counts["visit"] >= 600
    assert counts["application"] >= 40
    assert "direction" in seeded.summary() and f"+{counts['offer']}" in seeded.summary()


def test_directions_tree_has_three_levels(session, seeded):
    directions = session.scalars(select(Direction)).all()
    depths = Counter(len(d.path()) for d in directions)
    assert depths[1] == 1 and depths[2] >= 4 and depths[3] >= 6 and depths[4] >= 6
    codes = {d.code for d in directions}
    assert {"DSI", "DRH", "DFIN", "DLYC", "DTRA", "DENV", "DCUL", "DCOM"} <= codes


def test_staff_cover_every_role_with_french_names(session, seeded):
    users = session.scalars(select(User)).all()
    roles = Counter(role for u in users for role in u.roles)
    assert roles[Role.ADMIN] >= 1 and roles[Role.RECRUITER] >= 3 and roles[Role.MANAGER] >= 10
    assert roles[Role.AGENT] == len(users)
    assert all(u.direction_id and u.job_title and u.employee_number for u in users)
    assert any("é" in u.first_name or "è" in u.first_name for u in users)


def test_offers_have_every_public_service_field(session, seeded):
    offers = session.scalars(select(Offer)).all()
    assert Counter(o.status for o in offers) == {
        "published": 12,
        "closed": 1,
        "filled": 1,
        "draft": 1,
    }
    for offer in offers:
        assert offer.versant == "territoriale" and offer.category in {"A", "B", "C"}
        for name in (
            "title",
            "metier",
            "location",
            "education_level",
            "description",
            "missions",
            "profile",
            "salary",
            "employment_nature",
            "contract_type",
            "remote_work",
            "working_time",
        ):
            assert getattr(offer, name), (offer.reference, name)
        assert offer.required_skills and offer.languages and offer.hiring_manager_id
        assert offer.recruiter_id and offer.closing_date and offer.vacancy_date
        assert offer.min_experience_years is not None
        if offer.contract_type == "fixed_term":
            assert offer.contract_duration_months
        assert (offer.published_at is None) == (offer.status == "draft")
    assert {o.category for o in offers} == {"A", "B", "C"}
    assert {o.employment_nature for o in offers} >= {"fonctionnaire", "contractuel", "both"}


def test_offer_skills_come_from_the_vocabulary(session, seeded):
    import json

    labels = {s["fr"] for s in json.loads((SEEDS / "skills.json").read_text("utf-8"))}
    for offer in session.scalars(select(Offer)):
        assert set(offer.required_skills + offer.nice_skills) <= labels


def test_cvs_are_real_files_stored_with_their_hash_and_text(app, session, seeded):
    uploads = app.extensions["relais"].settings.uploads_path
    files = session.scalars(select(CVFile)).all()
    kinds = Counter(Path(f.original_name).suffix for f in files)
    assert kinds[".pdf"] >= 8 and kinds[".docx"] >= 8 and kinds[".txt"] >= 8
    english = 0
    for cv in files:
        data = (uploads / cv.stored_name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == cv.sha256 and len(data) == cv.size
        assert cv.text_status == "ok" and len(cv.text) > 300
        assert cv.stored_name != cv.original_name
        english += "Work experience" in cv.text
        assert ("Expérience professionnelle" in cv.text) or ("Work experience" in cv.text)
    assert 5 <= english <= 20
    accented = next(f for f in files if f.original_name.endswith(".pdf"))
    assert "é" in accented.text or "è" in accented.text


def test_committed_cvs_match_their_generator():
    """make_cvs.py is deterministic: the committed files are what it writes."""
    import json

    from seeds import make_cvs

    people = make_cvs.build_candidates()
    committed = json.loads((SEEDS / "candidates.json").read_text("utf-8"))
    assert [p["email"] for p in people] == [c["email"] for c in committed]
    sample = people[2]
    assert sample["cv"].endswith(".txt")
    path = SEEDS / "cvs" / sample["cv"]
    out = Path("/tmp") / f"relais-cv-check-{sample['cv']}"
    make_cvs.write_txt(out, sample)
    assert out.read_bytes() == path.read_bytes()
    out.unlink()
    assert extract(path.read_bytes(), 5 << 20).kind == "txt"


def test_links_counters_match_their_visits(session, seeded):
    rows = session.execute(
        select(
            ShareLink.id,
            ShareLink.visits_count,
            ShareLink.bot_count,
            ShareLink.people_count,
            func.count(Visit.id).filter(Visit.is_bot.is_(False)),
            func.count(Visit.id).filter(Visit.is_bot.is_(True)),
            func.count(Visit.id).filter(Visit.is_new_person.is_(True)),
        )
        .outerjoin(Visit, Visit.link_id == ShareLink.id)
        .group_by(ShareLink.id)
    ).all()
    assert rows and all(r[1:4] == r[4:7] for r in rows)
    assert session.scalar(select(func.count(Visit.id)).where(Visit.is_bot)) > 50
    first, last = session.execute(
        select(func.min(Visit.occurred_at), func.max(Visit.occurred_at))
    ).one()
    assert first >= NOW - timedelta(days=183) and last <= NOW
    assert last - first > timedelta(days=120)


def test_applications_are_consistent(session, seeded):
    applications = session.scalars(select(Application)).all()
    sources = Counter(a.source for a in applications)
    assert sources["share_link"] >= 20 and sources["referral"] >= 3 and sources["careers"] >= 3
    statuses = Counter(a.status for a in applications)
    assert {"new", "screening", "interview", "rejected", "hired"} <= set(statuses)
    for app_ in applications:
        assert app_.cv_file_id and 0 <= app_.score <= 100 and app_.score_explanation
        assert app_.created_at <= NOW and app_.attribution_reason
        if app_.source == "share_link":
            link = session.get(ShareLink, app_.share_link_id)
            assert link.offer_id == app_.offer_id
            assert app_.credited_agent_id == link.agent_id
            assert app_.created_at > link.created_at
            assert "link of" in app_.attribution_reason
        elif app_.source == "referral":
            referral = session.get(Referral, app_.referral_id)
            assert referral.agent_id == app_.credited_agent_id
            assert referral.candidate_id == app_.candidate_id
            assert app_.attribution_reason.startswith("direct referral by")
        else:
            assert app_.credited_agent_id is None and app_.attribution_reason == "no referral"
        history = session.scalars(
            select(StatusChange)
            .where(StatusChange.application_id == app_.id)
            .order_by(StatusChange.at)
        ).all()
        assert history[0].from_status is None and history[0].to_status == "new"
        assert history[-1].to_status == app_.status
        assert all(a.to_status == b.from_status for a, b in zip(history, history[1:], strict=False))
        credits = {
            c.milestone
            for c in session.scalars(
                select(CreditEvent).where(CreditEvent.application_id == app_.id)
            )
        }
        if app_.credited_agent_id is None:
            assert credits == set()
        else:
            visited = {h.to_status for h in history}
            expected = {"applied"}
            expected |= {"shortlisted"} if "screening" in visited else set()
            expected |= {"interview"} if "interview" in visited else set()
            expected |= {"hired"} if "hired" in visited else set()
            assert credits == expected, (app_.id, visited, credits)
    filled = session.scalar(select(Offer).where(Offer.status == "filled"))
    assert any(a.status == "hired" for a in filled.applications)


def test_candidates_have_consent_and_retention(session, seeded):
    for candidate in session.scalars(select(Candidate)):
        assert candidate.consent_at and candidate.retention_until and candidate.skills


def _stats(session, agent_ids, start, end):
    links = session.scalars(
        select(ShareLink).where(
            ShareLink.agent_id.in_(agent_ids),
            ShareLink.created_at >= start,
            ShareLink.created_at < end,
        )
    ).all()
    applications = session.scalar(
        select(func.count(Application.id)).where(
            Application.credited_agent_id.in_(agent_ids),
            Application.created_at >= start,
            Application.created_at < end,
        )
    )
    return len(links), sum(link.people_count for link in links), applications


def test_trainings_make_a_visible_difference(session, seeded):
    trainings = session.scalars(select(Training).order_by(Training.held_on)).all()
    assert [t.audience for t in trainings] == ["directors", "agents", "agents"]
    directors, agents, _in_progress = trainings
    trainings = [directors, agents]
    assert 100 <= (NOW.date() - directors.held_on).days <= 140
    assert 45 <= (NOW.date() - agents.held_on).days <= 75
    assert len(directors.attendees) >= 8 and len(agents.attendees) >= 15
    trained = {u.id for t in [*trainings, _in_progress] for u in t.attendees}
    others = set(session.scalars(select(User.id))) - trained
    eight_weeks = timedelta(weeks=8)
    for training in trainings:
        held = datetime.combine(training.held_on, datetime.min.time(), tzinfo=UTC)
        attendees = [u.id for u in training.attendees]
        before = _stats(session, attendees, held - eight_weeks, held)
        after = _stats(session, attendees, held, held + eight_weeks)
        assert after[0] >= 3 * max(before[0], 1), (training.title, before, after)
        assert after[1] >= 4 * max(before[1], 1), (training.title, before, after)
        assert after[2] > before[2]
        flat_before = _stats(session, others, held - eight_weeks, held)
        flat_after = _stats(session, others, held, held + eight_weeks)
        assert flat_after[0] <= 2 * flat_before[0] + 3 and flat_before[0] <= 2 * flat_after[0] + 3


def test_the_same_now_gives_the_same_activity(app, session, seeded, engine):
    """Deterministic: a reload into an emptied database reproduces the same rows."""

    def snapshot():
        return (
            sorted(
                session.execute(
                    select(
                        ShareLink.code,
                        ShareLink.channel,
                        ShareLink.created_at,
                        ShareLink.people_count,
                    )
                ).all()
            ),
            sorted(
                session.execute(
                    select(
                        Application.created_at, Application.status, Application.attribution_reason
                    )
                ).all()
            ),
        )

    first = snapshot()
    session.rollback()
    with engine.begin() as conn:
        conn.execute(text("UPDATE direction SET parent_id = NULL"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    state = app.extensions["relais"]
    load(state.sessions, state.settings, now=NOW)
    session.expire_all()
    assert snapshot() == first


def test_demo_accounts_sign_in_on_their_home(client, seeded):
    homes = {
        "admin": "/admin/",
        "recruiter": "/recruiter/",
        "manager": "/manager/",
        "agent": "/agent/",
    }
    assert [role for role, _ in demo_accounts()] == ["admin", "recruiter", "manager", "agent"]
    for role, email in demo_accounts():
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, role
        assert response.headers["Location"].endswith(homes[role])
        assert client.get(homes[role]).status_code == 200
        client.post("/logout")


def test_relais_seed_command_is_idempotent(runner, session):
    first = runner.invoke(["seed"])
    assert first.exit_code == 0, first.output
    assert "offer" in first.output and "(+15)" in first.output
    second = runner.invoke(["seed"])
    assert second.exit_code == 0, second.output
    assert "(+0)" in second.output and "(+1" not in second.output
    session.expire_all()
    assert session.scalar(select(func.count(Offer.id))) == 15


def test_relais_demo_seeds_an_empty_database_and_prints_a_sign_in_per_role(
    runner, session, monkeypatch
):
    import web.cli

    served = []
    monkeypatch.setattr(web.cli, "_serve", lambda app, host, port, worker: served.append(port))
    first = runner.invoke(["demo", "--port", "5099"])
    assert first.exit_code == 0, first.output
    assert served == [5099]
    assert f"password '{DEMO_PASSWORD}'" in first.output
    for role, email in demo_accounts():
        assert f"{role:<10} {email}" in first.output
    assert "(+15)" in first.output
    again = runner.invoke(["demo", "--port", "5099"])
    assert "nothing seeded" in again.output
    session.expire_all()
    assert session.scalar(select(func.count(Offer.id))) == 15


def test_the_older_trainings_have_a_measurable_effect_and_the_newest_is_in_progress(
    session, seeded
):
    zone = "Europe/Paris"
    analytics.refresh_visit_days(session, zone)
    directors, agents, newest = session.scalars(select(Training).order_by(Training.held_on))
    for training in (directors, agents):
        design = training_effect.training_design(session, training.id, today=NOW.date(), zone=zone)
        assert design.enough and design.observed_weeks >= 7
        effects = training_effect.training_effects(session, design, zone)
        for measure in ("links", "people"):
            assert effects[measure].measurable and effects[measure].low > 0, (
                training.title,
                measure,
                effects[measure],
            )
    design = training_effect.training_design(session, newest.id, today=NOW.date(), zone=zone)
    assert design.in_progress and 2 <= design.observed_weeks <= 3
    # The agents of the first agents' training are not "untrained" in the second's window.
    assert not set(design.comparison_ids) & {u.id for u in agents.attendees}
    session.rollback()


def test_linkedin_archives_of_part_of_the_staff_show_the_agents_training(session, seeded):
    from referral.linkedin_effect import linkedin_effects
    from referral.models import LinkedInConsent, LinkedInEdge, LinkedInWeek

    consents = session.scalar(select(func.count()).select_from(LinkedInConsent))
    staff = session.scalar(select(func.count()).select_from(User))
    assert 0.3 * staff < consents < 0.9 * staff
    assert session.scalar(select(func.count()).select_from(LinkedInWeek)) > consents * 10
    assert session.scalar(select(func.count()).select_from(LinkedInEdge)) > 10
    training = session.scalar(
        select(Training).where(Training.title == "Ambassadeurs de la marque employeur : agents")
    )
    effects = linkedin_effects(session, training.id, today=NOW.date(), zone="Europe/Paris")
    assert effects.enough_agents
    assert effects.estimates["posts"].effect > 0
    assert effects.estimates["reactions"].measurable and effects.estimates["reactions"].effect > 0
