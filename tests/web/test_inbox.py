"""The bell, the inbox, the notification settings and the admin outbox page, through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from referral.models import Notification, NotificationPreference, Role
from referral.notifications import outbox as notifications
from tests.notification_factories import queue_closing_notice


@pytest.fixture
def notify_user(session):
    def make(user, n=1):
        when = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=n)
        row = queue_closing_notice(session, user, n, title=f"Offre numéro {n}", when=when)
        session.commit()
        return row

    return make


def test_bell_shows_the_unread_count_with_one_query(
    client, auth, make_user, notify_user, count_queries
):
    user = make_user(Role.MANAGER, locale="en")
    for n in range(3):
        notify_user(user, n)
    auth.login(user)
    with count_queries() as counter:
        page = client.get("/agent/")
    assert page.status_code == 200
    assert b'class="bell"' in page.data
    assert b'<span class="badge">3' in page.data
    about_notifications = [s for s in counter.statements if "notification" in s.lower()]
    assert len(about_notifications) == 1


def test_anonymous_visitors_get_no_bell_and_no_query(client, count_queries):
    with count_queries() as counter:
        page = client.get("/")
    assert page.status_code == 200
    assert b'class="bell"' not in page.data
    assert not [s for s in counter.statements if "notification" in s.lower()]


def test_inbox_lists_mine_newest_first_and_marks_unread(
    client, auth, make_user, notify_user, session
):
    user, other = make_user(locale="en"), make_user()
    notify_user(user, 1)
    notify_user(user, 2)
    notify_user(other, 3)
    notifications.notify(session, "password_reset", user=user, link="http://localhost/secret-token")
    session.commit()
    auth.login(user)
    page = client.get("/inbox/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("Offre numéro 2") < html.index("Offre numéro 1")
    assert "Offre numéro 3" not in html
    assert "secret-token" not in html  # a reset link never shows in the inbox
    assert html.count('class="inbox-item unread"') == 2
    assert "2 unread notifications" in html


def test_mark_one_and_all_as_read(client, auth, make_user, notify_user, session):
    user, other = make_user(locale="en"), make_user()
    first, second, third = (notify_user(user, n) for n in (1, 2, 3))
    theirs = notify_user(other, 4)
    auth.login(user)

    response = client.post(f"/inbox/{first.id}/read", data={"next": "/inbox/?page=1"})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox/?page=1"
    session.expire_all()
    assert session.get(Notification, first.id).read_at is not None
    assert b'<span class="badge">2' in client.get("/inbox/").data

    assert client.post(f"/inbox/{theirs.id}/read").status_code == 404
    assert client.get(f"/inbox/{theirs.id}/open").status_code == 404

    opened = client.get(f"/inbox/{second.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == "http://localhost/manager/"

    client.post("/inbox/read-all")
    session.expire_all()
    assert session.get(Notification, third.id).read_at is not None
    assert session.get(Notification, theirs.id).read_at is None
    page = client.get("/inbox/")
    assert b'class="badge"' not in page.data
    assert b"inbox-item unread" not in page.data


def test_inbox_is_paginated(client, auth, make_user, notify_user):
    user = make_user(locale="en")
    for n in range(25):
        notify_user(user, n)
    auth.login(user)
    first = client.get("/inbox/").get_data(as_text=True)
    second = client.get("/inbox/?page=2").get_data(as_text=True)
    assert first.count("inbox-item") == 20 and second.count("inbox-item") == 5
    assert "Offre numéro 24" in first and "Offre numéro 0" in second
    assert "Page 2 of 2" in second


def test_held_and_off_rows_show_in_the_inbox_too(client, auth, make_user, notify_user, session):
    user = make_user(Role.MANAGER, locale="en")
    session.add(NotificationPreference(user_id=user.id, kind="offer_closing", mode="off"))
    session.commit()
    row = notify_user(user, 7)
    assert row.status == "in_app"
    auth.login(user)
    assert "Offre numéro 7" in client.get("/inbox/").get_data(as_text=True)


def test_settings_page_offers_the_kinds_of_each_role(client, auth, make_user):
    manager = make_user(Role.MANAGER, locale="en")
    auth.login(manager)
    html = client.get("/account/").get_data(as_text=True)
    assert 'id="notifications"' in html
    assert "A new application to an offer I follow" in html
    assert "One of my offers closes in 3 days" in html
    assert "A new offer in my direction" in html
    assert "always by e-mail at once" in html
    assert "every notification also appears in your inbox" in html
    auth.logout()

    agent = make_user(locale="en")
    auth.login(agent)
    html = client.get("/account/").get_data(as_text=True)
    assert "A new application" not in html
    assert "News of the people I referred" in html
    assert (
        '<input checked id="new_offer-2" name="new_offer" required type="radio" value="off">'
        in html
    )
    assert "Do not tell me" in html


def test_saving_notification_settings(client, auth, make_user, session):
    manager = make_user(Role.MANAGER, locale="en")
    auth.login(manager)
    response = client.post(
        "/account/notifications",
        data={
            "new_application": "digest",
            "offer_closing": "off",
            "referral_update": "immediate",
            "new_offer": "immediate",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/#notifications")
    saved = dict(
        session.execute(
            select(NotificationPreference.kind, NotificationPreference.mode).where(
                NotificationPreference.user_id == manager.id
            )
        ).all()
    )
    assert saved == {
        "new_application": "digest",
        "offer_closing": "off",
        "referral_update": "immediate",
        "new_offer": "immediate",
    }
    page = client.get("/account/").get_data(as_text=True)
    assert "Your notification settings are saved." in page

    bad = client.post("/account/notifications", data={"new_application": "sometimes"})
    assert bad.status_code == 400
    assert "Choose one option for each kind of notification." in bad.get_data(as_text=True)


def test_admin_sees_failed_rows_filters_and_retries(client, auth, make_user, notify_user, session):
    admin = make_user(Role.ADMIN, locale="en")
    manager = make_user(Role.MANAGER)
    failed = notify_user(manager, 1)
    failed.status, failed.attempts, failed.last_error = "failed", 8, "ConnectionRefusedError: down"
    failed.next_attempt_at = None
    sent = notify_user(manager, 2)
    sent.status = "sent"
    session.commit()
    auth.login(admin)

    page = client.get("/admin/notifications/?status=failed").get_data(as_text=True)
    assert "ConnectionRefusedError: down" in page and "Offre numéro 1" in page
    assert "Offre numéro 2" not in page
    assert "Failed (1)" in page and "Sent (1)" in page
    assert client.get("/admin/notifications/?status=nonsense").status_code == 404

    response = client.post(f"/admin/notifications/{failed.id}/retry", data={"status": "failed"})
    assert response.status_code == 302
    session.expire_all()
    row = session.get(Notification, failed.id)
    assert row.status == "pending" and row.attempts == 0 and row.next_attempt_at is not None
    assert "The notification is queued again." in client.get("/admin/notifications/").get_data(
        as_text=True
    )
    again = client.post(f"/admin/notifications/{sent.id}/retry")
    assert again.status_code == 302
    assert session.get(Notification, sent.id).status == "sent"


def test_admin_retries_every_failed_row(client, auth, make_user, notify_user, session):
    admin = make_user(Role.ADMIN, locale="en")
    rows = [notify_user(make_user(Role.MANAGER), n) for n in range(3)]
    for row in rows:
        row.status = "failed"
    session.commit()
    auth.login(admin)
    client.post("/admin/notifications/retry-failed")
    session.expire_all()
    assert {session.get(Notification, r.id).status for r in rows} == {"pending"}


def test_relais_digest_and_worker_once(runner, app, make_user, notify_user, session):
    manager = make_user(Role.MANAGER)
    session.add(NotificationPreference(user_id=manager.id, kind="offer_closing", mode="digest"))
    session.commit()
    notify_user(manager, 1)
    result = runner.invoke(["digest"])
    assert result.exit_code == 0, result.output
    assert "1 digests queued; sent 1" in result.output
    outbox = app.extensions["relais"].settings.outbox_path
    assert len(list(outbox.glob("*.eml"))) == 1

    notify_user(make_user(Role.MANAGER), 2)
    result = runner.invoke(["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(list(outbox.glob("*.eml"))) == 2


def test_inbox_and_admin_pages_load_in_a_fixed_number_of_queries(
    client, auth, make_user, notify_user, count_queries
):
    admin = make_user(Role.ADMIN)
    for n in range(3):
        notify_user(admin, n)
    auth.login(admin)
    with count_queries() as few:
        client.get("/inbox/")
        client.get("/admin/notifications/")
    for n in range(3, 30):
        notify_user(admin, n)
    with count_queries() as many:
        client.get("/inbox/")
        client.get("/admin/notifications/")
    assert few.count == many.count


def test_times_on_pages_are_in_the_organisations_time_zone(
    client, auth, make_user, notify_user, session
):
    admin = make_user(Role.ADMIN, locale="fr")
    row = notify_user(make_user(Role.MANAGER), 1)
    row.created_at = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
    session.commit()
    auth.login(admin)
    page = client.get("/admin/notifications/").get_data(as_text=True)
    assert ">26/11/2026 16:30</time>" in page  # Europe/Paris, winter time (UTC+1)


def test_admin_page_names_kinds_and_shows_what_went_out_in_a_digest(
    client, auth, make_user, notify_user, session
):
    from referral import worker
    from referral.notifications import digests

    admin = make_user(Role.ADMIN, locale="en")
    manager = make_user(Role.MANAGER)
    session.add(NotificationPreference(user_id=manager.id, kind="offer_closing", mode="digest"))
    session.commit()
    folded = notify_user(manager, 1)
    alone = notify_user(make_user(Role.MANAGER), 2)
    at = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    [digest] = digests.send_digests(session, at)
    worker.mark_sent(session, digest, at)
    alone.status, alone.attempts, alone.sent_at = "sent", 1, at
    session.commit()
    auth.login(admin)

    page = client.get("/admin/notifications/").get_data(as_text=True)
    assert "<code>" not in page and "offer_closing" not in page
    assert "Offer closing soon" in page and "Daily digest" in page
    row = page.split(f'id="notification-{folded.id}"')[1].split("</tr>")[0]
    assert "Sent in the digest of" in row and f'href="#notification-{digest.id}"' in row
    assert '<td class="num">0</td>' not in row
    other = page.split(f'id="notification-{alone.id}"')[1].split("</tr>")[0]
    assert "Sent in the digest of" not in other and '<td class="num">1</td>' in other

    auth.login(make_user(Role.ADMIN, locale="fr"))
    page = client.get("/admin/notifications/").get_data(as_text=True)
    assert "offer_closing" not in page and "new_application" not in page


def test_retrying_failed_rows_says_how_many_in_the_right_number(
    client, auth, make_user, notify_user, session
):
    auth.login(make_user(Role.ADMIN, locale="en"))
    for count in (1, 3):
        for n in range(count):
            notify_user(make_user(Role.MANAGER), n).status = "failed"
        session.commit()
        page = client.post("/admin/notifications/retry-failed", follow_redirects=True)
        expected = {1: "1 notification is queued again.", 3: "3 notifications are queued again."}
        assert expected[count] in page.get_data(as_text=True)


# --- the language of e-mails when the setting is the browser's --------------------------------


def test_the_browser_language_used_to_sign_in_is_the_language_of_mails_and_inbox(
    client, auth, make_user, notify_user, session
):
    user = make_user(Role.MANAGER)  # language setting: the browser's, as every seeded account
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    auth.login(user)
    session.refresh(user)
    assert (user.locale, user.last_locale) == (None, "en")
    row = notify_user(user, 1)
    assert row.locale == "en" and row.subject.startswith("Your offer “Offre numéro 1” closes")
    inbox = client.get("/inbox/")
    assert "Your offer “Offre numéro 1” closes" in inbox.text
    # Switching the site to French is remembered too; the setting stays the browser's.
    client.post("/account/language", data={"locale": "fr", "next": "/inbox/"})
    session.refresh(user)
    assert (user.locale, user.last_locale) == (None, "fr")
    assert notify_user(user, 2).subject.startswith("Votre offre")


def test_account_page_shows_the_real_language_setting(client, auth, make_user, session):
    user = make_user()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    auth.login(user)
    page = client.get("/account/")
    assert '<option selected value="">' in page.text
    assert '<option selected value="fr">' not in page.text
    # Saving without touching anything keeps the browser's language (and the English page).
    client.post("/account/", data={"locale": ""})
    session.refresh(user)
    assert (user.locale, user.last_locale) == (None, "en")
    assert 'lang="en"' in client.get("/account/").text
    client.post("/account/", data={"locale": "fr"})
    session.refresh(user)
    assert user.locale == "fr"
    assert '<option selected value="fr">' in client.get("/account/").text
