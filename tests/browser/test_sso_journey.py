"""Journey: an agent clicks "Sign in with <provider>", signs in on the provider's own page
(tests/oidc_provider, Node's oidc-provider), lands on the agent home; signs out, which ends the
provider's session too and comes back to Relais."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from referral.models import User


@pytest.fixture
def app_config(app_config, oidc_provider):
    app_config.update(oidc_provider.settings())
    return app_config


@pytest.fixture
def sso_live_server(app, live_server):
    """The live server, with its address as RELAIS_BASE_URL (the redirect URI is built on it)."""
    state = app.extensions["relais"]
    state.settings = replace(state.settings, base_url=live_server)
    return live_server


def test_agent_signs_in_with_the_provider_and_out(
    browser, sso_live_server, oidc_provider, make_user, session
):
    agent = make_user(email="camille@region.example", employee_number="E1001", password=None)
    page = browser.new_context(base_url=sso_live_server, locale="fr-FR").new_page()
    page.set_default_timeout(15_000)
    page.goto("/login")
    page.get_by_role("link", name="Se connecter avec Annuaire Test").click()

    # The provider's own sign-in page (oidc-provider's development page: any password).
    page.wait_for_url(re.compile(re.escape(oidc_provider.issuer) + r"/interaction/"))
    page.locator("input[name=login]").fill("agent-number")
    page.locator("input[name=password]").fill("whatever")
    page.locator("button[type=submit]").click()

    page.wait_for_url(f"{sso_live_server}/agent/")
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    session.expire_all()
    linked = session.scalar(select(User).where(User.id == agent.id))
    assert linked.oidc_subject == "agent-number" and linked.last_login_at is not None

    page.get_by_role("button", name="Se déconnecter").click()
    # The provider asks to confirm its own sign-out, then sends the browser back to Relais.
    page.wait_for_url(re.compile(re.escape(oidc_provider.issuer) + r"/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(re.compile(re.escape(sso_live_server) + r"/(\?state=.*)?$"))
    page.goto("/agent/")
    page.wait_for_url(re.compile(r"/login"))
    # The provider's session ended too: signing in again asks for the provider's sign-in.
    page.get_by_role("link", name="Se connecter avec Annuaire Test").click()
    page.wait_for_url(re.compile(re.escape(oidc_provider.issuer) + r"/interaction/"))
    assert page.locator("input[name=login]").is_visible()
    page.context.close()
