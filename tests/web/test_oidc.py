"""Sign-in with the organisation's identity provider, against a real OpenID provider
(tests/oidc_provider, Node's oidc-provider): who is let in, how each refusal is worded, and
that a refusal creates or changes no account and signs nobody in."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from referral.models import AuditEvent, Direction, Role, User
from tests.oidc_support import path_of


@pytest.fixture
def app_config(app_config, oidc_provider):
    app_config.update(oidc_provider.settings())
    return app_config


def _start(client) -> str:
    """Relais's redirect to the provider (its authorization URL)."""
    response = client.get("/login/sso")
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def _callback_url(client, oidc_provider, login: str) -> str:
    return oidc_provider.sign_in(_start(client), login)


def _sign_in(client, oidc_provider, login: str):
    return client.get(path_of(_callback_url(client, oidc_provider, login)))


def _snapshot(session) -> list[tuple]:
    """Every account as it stands (a refusal must leave all of them as they were)."""
    session.expire_all()
    return [
        (u.id, u.email, u.oidc_issuer, u.oidc_subject, u.last_login_at, u.activated_at, u.active)
        for u in session.scalars(select(User).order_by(User.id))
    ]


def _signed_in(client) -> bool:
    return client.get("/agent/").status_code == 200


def test_authorization_request_uses_pkce_state_nonce_and_the_scopes(client, oidc_provider):
    query = parse_qs(urlsplit(_start(client)).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert query["scope"] == ["openid email profile"]
    assert query["redirect_uri"] == ["http://localhost/login/sso/callback"]


def test_agent_is_matched_by_employee_number_and_linked(client, oidc_provider, make_user, session):
    agent = make_user(email="camille.old-address@region.example", employee_number="E1001")
    response = _sign_in(client, oidc_provider, "agent-number")
    assert response.status_code == 302 and response.headers["Location"] == "/agent/"
    assert _signed_in(client)
    session.expire_all()
    assert (agent.oidc_issuer, agent.oidc_subject) == (oidc_provider.issuer, "agent-number")
    assert agent.last_login_at is not None and agent.activated_at is not None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "user.sso_link"))
    # The next sign-in finds the account by its link, even if the number changed meanwhile.
    agent.employee_number = "E2000"
    session.commit()
    client.post("/logout")
    assert _sign_in(client, oidc_provider, "agent-number").status_code == 302
    assert _signed_in(client)


def test_agent_is_matched_by_verified_email(client, oidc_provider, make_user, session):
    agent = make_user(email="dominique.email@region.example")
    assert _sign_in(client, oidc_provider, "agent-email").status_code == 302
    assert _signed_in(client)
    session.expire_all()
    assert agent.oidc_subject == "agent-email"


def test_unverified_email_is_refused(client, oidc_provider, make_user, session):
    make_user(email="eve.unverified@region.example")
    before = _snapshot(session)
    response = _sign_in(client, oidc_provider, "agent-unverified")
    assert response.status_code == 403
    assert "n’a pas vérifié votre adresse e-mail" in response.text
    assert _snapshot(session) == before and not _signed_in(client)


def test_unknown_person_is_refused_with_a_clear_page(client, oidc_provider, make_user, session):
    make_user(email="someone.else@region.example")
    before = _snapshot(session)
    response = _sign_in(client, oidc_provider, "stranger")
    assert response.status_code == 403
    assert "n’est pas connu de Relais" in response.text
    assert _snapshot(session) == before and not _signed_in(client)


@pytest.mark.parametrize("create", ["true"])
def test_unknown_person_is_created_as_an_agent_when_turned_on(
    app_config, oidc_provider, create, session
):
    from web import create_app

    app_config["RELAIS_OIDC_CREATE_UNKNOWN"] = create
    app = create_app(app_config)
    client = app.test_client()
    session.add(Direction(name="Ressources humaines", code="DRH"))
    session.commit()
    assert _sign_in(client, oidc_provider, "stranger").status_code == 302
    assert _signed_in(client)
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "sam.stranger@region.example"))
    assert (user.first_name, user.last_name, user.employee_number) == ("Sam", "Stranger", "E9999")
    assert user.direction.code == "DRH" and user.roles == {Role.AGENT}
    assert user.password_hash is None and user.oidc_subject == "stranger"
    app.extensions["relais"].engine.dispose()


def test_deactivated_account_is_refused(client, oidc_provider, make_user, session):
    agent = make_user(email="dominique.email@region.example")
    agent.active = False
    session.commit()
    before = _snapshot(session)
    response = _sign_in(client, oidc_provider, "agent-email")
    assert response.status_code == 403 and "compte Relais est désactivé" in response.text
    assert _snapshot(session) == before and not _signed_in(client)


def test_forged_state_is_refused(client, oidc_provider, make_user, session):
    make_user(email="dominique.email@region.example")
    before = _snapshot(session)
    callback = _callback_url(client, oidc_provider, "agent-email")
    query = parse_qs(urlsplit(callback).query)
    forged = f"/login/sso/callback?code={query['code'][0]}&state=forged-by-someone"
    response = client.get(forged)
    assert response.status_code == 400 and "inconnue ou a déjà servi" in response.text
    assert _snapshot(session) == before and not _signed_in(client)


def test_replayed_state_is_refused(client, oidc_provider, make_user, session):
    make_user(email="dominique.email@region.example")
    callback = path_of(_callback_url(client, oidc_provider, "agent-email"))
    assert client.get(callback).status_code == 302
    client.post("/logout")
    before = _snapshot(session)
    response = client.get(callback)
    assert response.status_code == 400 and "inconnue ou a déjà servi" in response.text
    assert _snapshot(session) == before and not _signed_in(client)


def test_reused_code_is_refused_by_the_provider(client, oidc_provider, make_user, session):
    make_user(email="dominique.email@region.example")
    first = _callback_url(client, oidc_provider, "agent-email")
    assert client.get(path_of(first)).status_code == 302
    client.post("/logout")
    before = _snapshot(session)
    # A fresh state of this browser, with the code already exchanged.
    state = parse_qs(urlsplit(_start(client)).query)["state"][0]
    code = parse_qs(urlsplit(first).query)["code"][0]
    response = client.get(f"/login/sso/callback?code={code}&state={state}")
    assert response.status_code == 400 and "a refusé cette connexion" in response.text
    assert _snapshot(session) == before and not _signed_in(client)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("wrong_iss", "Invalid claim: 'iss'"),
        ("wrong_aud", "Invalid claim: 'aud'"),
        ("expired", "The token is expired"),
        ("nonce", "Invalid claim: 'nonce'"),
        ("alg_none", "Algorithm of 'none' is not allowed"),
    ],
)
def test_id_token_that_fails_a_check_is_refused(
    client, oidc_provider, make_user, session, caplog, mode, reason
):
    """Each ID token is the provider's own, re-signed with its published key after one change
    (or unsigned for alg_none): the log says the check of that change refused it."""
    make_user(email="dominique.email@region.example")
    before = _snapshot(session)
    callback = _callback_url(client, oidc_provider, "agent-email")
    oidc_provider.misbehave(mode)
    response = client.get(path_of(callback))
    assert response.status_code == 401, response.text
    assert "n’a pas pu être vérifiée" in response.text
    assert reason in caplog.text
    assert _snapshot(session) == before and not _signed_in(client)


def test_token_endpoint_that_hangs_times_out(client, oidc_provider, make_user, session):
    make_user(email="dominique.email@region.example")
    before = _snapshot(session)
    callback = _callback_url(client, oidc_provider, "agent-email")
    oidc_provider.misbehave("hang")
    started = time.monotonic()
    response = client.get(path_of(callback))
    assert time.monotonic() - started < 10  # RELAIS_OIDC_TIMEOUT_S is 3
    assert response.status_code == 504 and "ne répond pas" in response.text
    assert _snapshot(session) == before and not _signed_in(client)


@pytest.fixture
def silent_provider():
    """An address that accepts connections and never answers (a provider that is down)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    server.close()


def test_provider_down_is_a_timeout_not_a_hang(app_config, silent_provider, session):
    from web import create_app

    app_config.update(RELAIS_OIDC_ISSUER=silent_provider, RELAIS_OIDC_TIMEOUT_S="1")
    app = create_app(app_config)
    started = time.monotonic()
    response = app.test_client().get("/login/sso")
    assert time.monotonic() - started < 5
    assert response.status_code == 503 and "ne répond pas" in response.text
    assert session.scalar(select(func.count(User.id))) == 0
    app.extensions["relais"].engine.dispose()


def test_sign_out_ends_the_provider_session_too(client, oidc_provider, make_user, session):
    agent = make_user(email="dominique.email@region.example")
    _sign_in(client, oidc_provider, "agent-email")
    version = agent.session_version
    response = client.post("/logout")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{oidc_provider.issuer}/session/end"
    )
    query = parse_qs(location.query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/"]
    assert query["id_token_hint"][0].count(".") == 2
    session.expire_all()
    assert agent.session_version == version + 1 and not _signed_in(client)


def test_password_sign_out_stays_local(client, oidc_provider, make_user, auth):
    auth.login(make_user())
    response = client.post("/logout")
    assert response.headers["Location"] == "/"


def test_login_page_offers_the_provider(client):
    page = client.get("/login")
    assert "Se connecter avec Annuaire Test" in page.text
    assert 'name="password"' in page.text  # password sign-in still on for staff by default


def test_password_sign_in_off_for_staff_keeps_a_break_glass_for_admins(
    app_config, make_user, session
):
    from web import create_app

    app_config["RELAIS_PASSWORD_LOGIN_FOR_STAFF"] = "false"
    app = create_app(app_config)
    client = app.test_client()
    page = client.get("/login")
    assert "Administrateurs : se connecter avec un mot de passe" in page.text
    agent, admin = make_user(), make_user(Role.ADMIN)
    refused = client.post(
        "/login", data={"email": agent.email, "password": "correct horse battery"}
    )
    assert refused.status_code == 401 and "Connectez-vous avec Annuaire Test" in refused.text
    session.expire_all()
    assert agent.last_login_at is None
    ok = client.post("/login", data={"email": admin.email, "password": "correct horse battery"})
    assert ok.status_code == 302
    app.extensions["relais"].engine.dispose()


def test_invitation_says_sign_in_with_the_organisations_account(
    client, oidc_provider, make_user, session, auth, app
):
    from referral import worker
    from referral.models import Notification, utcnow

    admin = make_user(Role.ADMIN)
    newcomer = make_user(email="new.agent@region.example", password=None)
    linked = make_user(email="dominique.email@region.example", password=None)
    auth.login(admin)
    page = client.get("/admin/users")
    assert page.text.count("Compte de l’organisation (SSO)") == 2  # no password, SSO on
    assert client.post("/admin/users/invite-again").status_code == 302
    state = app.extensions["relais"]
    worker.send_invitations(state.sessions, state.settings, utcnow())
    session.expire_all()
    rows = session.scalars(select(Notification).where(Notification.kind == "account_invitation"))
    mails = {row.recipient_email: row for row in rows}
    assert set(mails) == {newcomer.email, linked.email}
    mail = mails[newcomer.email]
    assert "Connectez-vous avec le compte de votre organisation (Annuaire Test)" in mail.body_text
    assert "http://localhost/login" in mail.body_text and "/password/reset/" not in mail.body_text
