"""Preferences applied inside notify(): immediate, daily digest, off; fixed kinds; outsiders."""

import pytest
from sqlalchemy import select

from referral.errors import InvalidInput
from referral.models import Notification, NotificationPreference, NotificationStatus, Role
from referral.notifications import outbox as notifications
from tests.notification_factories import queue_closing_notice

APPLICATION = {
    "offer_title": "Chargé de mission",
    "candidate_name": "Léa Martin",
    "source_label": "LinkedIn",
}


@pytest.fixture
def prefer(session):
    def set_mode(user, kind, mode):
        session.merge(NotificationPreference(user_id=user.id, kind=kind, mode=mode))
        session.commit()

    return set_mode


def _closing(session, user, **kw):
    return queue_closing_notice(session, user, **kw)


def test_defaults_table(session, make_user):
    manager, recruiter, agent = make_user(Role.MANAGER), make_user(Role.RECRUITER), make_user()
    assert notifications.preferences(session, manager) == {
        "new_application": "immediate",
        "offer_closing": "immediate",
        "referral_update": "immediate",
        "new_offer": "off",
    }
    assert notifications.preferences(session, recruiter) == {
        "new_application": "immediate",
        "referral_update": "immediate",
        "new_offer": "off",
    }
    assert notifications.preferences(session, agent) == {
        "referral_update": "immediate",
        "new_offer": "off",
    }
    assert notifications.fixed_kinds(manager) == ["strong_match"]
    assert notifications.fixed_kinds(agent) == []


def test_immediate_is_pending_and_due_now(session, make_user):
    manager = make_user(Role.MANAGER)
    row = _closing(session, manager)
    session.commit()
    assert row.status == NotificationStatus.PENDING.value
    assert row.next_attempt_at is not None
    assert row.recipient_email == manager.email and row.recipient_id == manager.id


def test_digest_holds_the_row_and_off_keeps_it_in_the_inbox_only(session, make_user, prefer):
    manager = make_user(Role.MANAGER)
    prefer(manager, "offer_closing", "digest")
    held = _closing(session, manager)
    prefer(manager, "offer_closing", "off")
    quiet = _closing(session, manager)
    session.commit()
    assert held.status == "held" and held.next_attempt_at is None
    assert quiet.status == "in_app" and quiet.next_attempt_at is None


def test_strong_match_is_immediate_even_on_digest(session, make_user):
    manager = make_user(Role.MANAGER)
    notifications.set_preferences(
        session, manager, {"new_application": "digest", "offer_closing": "digest"}
    )
    session.commit()
    assert notifications.mode_for(session, manager, "strong_match") == "immediate"
    assert notifications.mode_for(session, manager, "new_application") == "digest"
    with pytest.raises(InvalidInput):
        notifications.set_preferences(session, manager, {"strong_match": "digest"})


def test_agent_cannot_set_manager_kinds_nor_bad_modes(session, make_user):
    agent = make_user()
    with pytest.raises(InvalidInput):
        notifications.set_preferences(session, agent, {"new_application": "off"})
    with pytest.raises(InvalidInput):
        notifications.set_preferences(session, agent, {"new_offer": "sometimes"})
    notifications.set_preferences(session, agent, {"new_offer": "immediate"})
    session.commit()
    assert notifications.preferences(session, agent)["new_offer"] == "immediate"


def test_outside_recipients_are_always_immediate_in_their_language(session):
    row = notifications.notify(
        session,
        "password_reset",
        email="someone@example.org",
        name="Zoé Dupré",
        locale="en",
        link="http://localhost/x",
    )
    session.commit()
    assert row.status == "pending" and row.recipient_id is None
    assert row.subject == "Reset your Relais password"
    assert row.locale == "en"


def test_message_key_makes_a_second_emit_impossible(session, make_user):
    from sqlalchemy.exc import IntegrityError

    manager = make_user(Role.MANAGER)
    _closing(session, manager, message_key="offer-closing-1-20261201")
    session.commit()
    _closing(session, manager, message_key="offer-closing-1-20261201")
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert len(session.scalars(select(Notification)).all()) == 1
