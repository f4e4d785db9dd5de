"""Small analytics fixtures whose figures are counted by hand in the tests' comments.

Period: March 2026 (Monday 2 March starts a week). Directions: R > C, and O.
Agents a1 (C), a2 (R), a3 (O). Offers: offer1 (C), offer2 (O), both published 2 March 10:00.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import update

from referral.analytics import rollup
from referral.analytics.scope import Period
from referral.models import (
    Application,
    Candidate,
    CreditEvent,
    Direction,
    Offer,
    ShareLink,
    StatusChange,
    Training,
    TrainingAttendee,
    User,
    Visit,
)

ZONE = "Europe/Paris"  # the default RELAIS_TIMEZONE, the test app's
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31), ZONE)
_n = itertools.count(1)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def link(session, agent: User, offer: Offer, channel: str, created: datetime) -> ShareLink:
    row = ShareLink(
        code=f"c{next(_n)}", offer=offer, agent=agent, channel=channel, created_at=created
    )
    session.add(row)
    session.flush()
    return row


def visits(session, row: ShareLink, when: datetime, people=0, bots=0, repeats=0) -> None:
    for i in range(people + bots + repeats):
        session.add(
            Visit(
                link_id=row.id,
                occurred_at=when,
                visitor_hash=f"h{next(_n)}",
                is_bot=i >= people + repeats,
                is_new_person=i < people,
            )
        )


def application(
    session,
    offer: Offer,
    created: datetime,
    *,
    source: str = "careers",
    link_row: ShareLink | None = None,
    agent: User | None = None,
    history: list[tuple[str, datetime]] = (),
) -> Application:
    n = next(_n)
    candidate = Candidate(email=f"cand{n}@example.org", first_name="C", last_name=str(n))
    status = history[-1][0] if history else "new"
    app = Application(
        candidate=candidate,
        offer=offer,
        source=source,
        share_link=link_row,
        credited_agent=agent,
        created_at=created,
        status=status,
        status_changed_at=history[-1][1] if history else created,
    )
    session.add(app)
    session.flush()
    previous = "new"
    for to_status, when in history:
        session.add(
            StatusChange(application_id=app.id, from_status=previous, to_status=to_status, at=when)
        )
        previous = to_status
    return app


@dataclass
class Base:
    root: Direction
    child: Direction
    other: Direction
    a1: User
    a2: User
    a3: User
    offer1: Offer
    offer2: Offer
    links: dict[str, ShareLink] = field(default_factory=dict)
    apps: dict[str, Application] = field(default_factory=dict)


def unlink_directions(session) -> None:
    """Detach sub-directions so that the suite's table cleanup can delete them."""
    session.rollback()
    session.execute(update(Direction).values(parent_id=None))
    session.commit()


def roll_up(session) -> None:
    """What the worker does at each tick: count the new visits into the roll-up the pages
    read (they never write it)."""
    rollup.refresh_visit_days(session, ZONE)
    session.commit()


def build_base(session, make_direction, make_user, make_offer) -> Base:
    """The March fixture (see the counts in test_analytics.py)."""
    root = make_direction("Root")
    child = make_direction("Child", parent=root)
    other = make_direction("Other")
    a1 = make_user(direction_id=child.id, first_name="Alice", last_name="Un")
    a2 = make_user(direction_id=root.id, first_name="Bruno", last_name="Deux")
    a3 = make_user(direction_id=other.id, first_name="Chloé", last_name="Trois")
    offer1 = make_offer(direction=child, published_at=at(3, 2), positions=1, title="Offre un")
    offer2 = make_offer(direction=other, published_at=at(3, 2), positions=1, title="Offre deux")
    b = Base(root, child, other, a1, a2, a3, offer1, offer2)
    L1 = b.links["L1"] = link(session, a1, offer1, "linkedin", at(3, 2))
    L2 = b.links["L2"] = link(session, a2, offer1, "email", at(3, 3))
    L3 = b.links["L3"] = link(session, a3, offer2, "linkedin", at(3, 10))
    L0 = b.links["L0"] = link(session, a1, offer2, "whatsapp", at(2, 15))
    visits(session, L1, at(3, 2), people=1, bots=2)
    visits(session, L1, at(3, 3), people=1, repeats=1)
    visits(session, L1, at(3, 9), people=1)
    visits(session, L2, at(3, 4), people=1)
    visits(session, L3, at(3, 11), people=2, bots=1)
    visits(session, L0, at(3, 5), people=1)
    visits(session, L0, at(2, 20), people=1)
    b.apps["A1"] = application(
        session, offer1, at(3, 4), source="share_link", link_row=L1, agent=a1,
        history=[("screening", at(3, 5)), ("rejected", at(3, 6))],
    )  # fmt: skip
    b.apps["A2"] = application(
        session, offer1, at(3, 5), source="share_link", link_row=L1, agent=a1,
        history=[("screening", at(3, 6)), ("interview", at(3, 7)), ("offer", at(3, 8)),
                 ("hired", at(3, 10))],
    )  # fmt: skip
    b.apps["A3"] = application(
        session, offer1, at(3, 6), source="referral", agent=a2,
        history=[("screening", at(3, 7)), ("interview", at(3, 8))],
    )  # fmt: skip
    b.apps["A4"] = application(session, offer1, at(3, 3), source="careers")
    b.apps["A5"] = application(
        session, offer2, at(3, 12), source="share_link", link_row=L3, agent=a3
    )
    b.apps["A6"] = application(session, offer2, at(4, 2), source="careers")
    session.add_all(
        [
            CreditEvent(application_id=b.apps["A2"].id, agent_id=a1.id, milestone="applied",
                        points=10, created_at=at(3, 5)),
            CreditEvent(application_id=b.apps["A2"].id, agent_id=a1.id, milestone="hired",
                        points=50, created_at=at(3, 10), state="pending"),
            CreditEvent(application_id=b.apps["A1"].id, agent_id=a1.id, milestone="shortlisted",
                        points=100, created_at=at(3, 5), state="void"),
        ]
    )  # fmt: skip
    session.commit()
    roll_up(session)
    return b


@dataclass
class TrainingCase:
    training: Training
    attendees: list[User]
    others: list[User]


def build_training(session, make_user, make_offer, attendees: int = 5) -> TrainingCase:
    """A training on Monday 2 March 2026; with N=2 weeks: before = 16 Feb–1 Mar,
    after = 2–15 Mar."""
    t = [make_user(first_name=f"Formé{i}", last_name="T") for i in range(attendees)]
    o = [make_user(first_name=f"Autre{i}", last_name="O") for i in range(5)]
    offer = make_offer(published_at=at(1, 5), hiring_manager=o[0])
    gone = make_user(first_name="Parti", last_name="X")
    gone.active = False
    training = Training(title="Ambassadeurs LinkedIn", audience="agents", held_on=date(2026, 3, 2))
    session.add(training)
    session.flush()
    for user in [*t, gone]:
        session.add(TrainingAttendee(training_id=training.id, user_id=user.id))
    # Attendees: links before 1, after 4; people before 1, after 3; applications after 1.
    before = link(session, t[0], offer, "linkedin", at(2, 20))
    visits(session, before, at(2, 21), people=1)
    after = [
        link(session, t[0], offer, "email", at(3, 5)),
        link(session, t[0], offer, "qr", at(3, 6)),
        link(session, t[1], offer, "linkedin", at(3, 9)),
        link(session, t[2], offer, "linkedin", at(3, 10)),
    ]
    visits(session, after[0], at(3, 7), people=3, bots=4)
    application(session, offer, at(3, 11), source="share_link", link_row=after[2], agent=t[1])
    # Outside the window (after 15 March): not counted.
    link(session, t[3], offer, "linkedin", at(3, 20))
    # Others: links before 2, after 1; applications before 1.
    o_before = link(session, o[0], offer, "linkedin", at(2, 18))
    link(session, o[1], offer, "linkedin", at(2, 18))
    link(session, o[0], offer, "email", at(3, 4))
    application(session, offer, at(2, 25), source="share_link", link_row=o_before, agent=o[0])
    # The attendee who left: in neither group.
    link(session, gone, offer, "linkedin", at(3, 5))
    session.commit()
    roll_up(session)
    return TrainingCase(training, t, o)
