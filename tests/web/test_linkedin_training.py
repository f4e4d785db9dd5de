"""Before and after a training on LinkedIn measures, and the colleague network, through HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from referral.models import (
    LinkedInConsent,
    LinkedInEdge,
    LinkedInWeek,
    Role,
    Training,
    TrainingAttendee,
)

TODAY = date.today()
HELD = TODAY - timedelta(weeks=12)
TRAINING_WEEK = HELD - timedelta(days=HELD.weekday())


def _agents(session, make_user, make_direction, n, direction, *, trained, boost):
    ids = []
    for i in range(n):
        user = make_user(direction_id=direction.id)
        session.add(LinkedInConsent(user_id=user.id, imported_at=datetime.now(UTC)))
        for w in range(1, 9):
            for side, week in (
                (0, TRAINING_WEEK - timedelta(weeks=w)),
                (1, TRAINING_WEEK + timedelta(weeks=w)),
            ):
                posts = 1 + (i % 2) + (boost if side and trained else 0)
                session.add(LinkedInWeek(user_id=user.id, week=week, posts=posts, connections=2))
        ids.append(user.id)
    return ids


def test_the_training_page_shows_the_effect_with_its_interval_and_the_network(
    client, auth, make_user, make_direction, session
):
    roads, port = make_direction("Routes"), make_direction("Port")
    training = Training(title="Ambassadeurs LinkedIn", audience="agents", held_on=HELD)
    session.add(training)
    session.flush()
    trained = _agents(session, make_user, make_direction, 6, roads, trained=True, boost=3)
    others = _agents(session, make_user, make_direction, 6, port, trained=False, boost=0)
    for user_id in trained:
        session.add(TrainingAttendee(training_id=training.id, user_id=user_id))
    after_week = TRAINING_WEEK + timedelta(weeks=2)
    for a, b in zip(trained, others, strict=True):
        session.add(
            LinkedInEdge(source_id=a, target_id=b, kind="connection", week=after_week, count=1)
        )
    session.commit()
    auth.login(make_user(Role.RECRUITER, locale="en"))
    listing = client.get("/linkedin/participation")
    assert b"Ambassadeurs LinkedIn" in listing.data
    page = client.get(f"/linkedin/trainings/{training.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "6 trained, 6 in the comparison group" in text
    posts_row = text[text.index('<th scope="row">Posts</th>') :][:600]
    assert "3.00" in posts_row  # the effect: +3 posts per agent per week
    assert "a measurable rise" in posts_row
    assert "no measurable effect" in text  # connections did not move
    # The network: nobody in touch before; after, every agent in touch with the other direction.
    after = text[text.index("After:") :]
    assert "12 agents, 6 pairs in touch" in after and "100 %" in after
    assert '<svg role="img"' in after and "<line" in after


def test_small_groups_show_not_enough_data(client, auth, make_user, make_direction, session):
    roads = make_direction("Routes")
    training = Training(title="Petit groupe", audience="agents", held_on=HELD)
    session.add(training)
    session.flush()
    trained = _agents(session, make_user, make_direction, 3, roads, trained=True, boost=3)
    _agents(session, make_user, make_direction, 6, roads, trained=False, boost=0)
    for user_id in trained:
        session.add(TrainingAttendee(training_id=training.id, user_id=user_id))
    session.commit()
    auth.login(make_user(Role.ADMIN, locale="en"))
    page = client.get(f"/linkedin/trainings/{training.id}")
    assert page.status_code == 200
    assert b"not enough data" in page.data
    assert b"a measurable rise" not in page.data
    auth.logout()
    auth.login(make_user(locale="en"))
    assert client.get(f"/linkedin/trainings/{training.id}").status_code == 403
