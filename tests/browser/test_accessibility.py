"""Every audience's main pages pass axe-core's WCAG 2.1 A and AA rules, in French and English,
and a few of them at phone width.

axe is injected with ``page.evaluate``, which the app's Content-Security-Policy (no eval) does
not govern: the contexts keep the CSP the users get (no ``bypass_csp``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest

from referral.models import Role, User
from tests.conftest import PASSWORD
from tests.offer_helpers import make_link

pytest_plugins = ["tests.shortlist_fixtures"]

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
LOCALES = {"fr": "fr-FR", "en": "en-GB"}


@dataclass
class World:
    """One of each audience, and an offer with a shortlist, share links and a talent pool."""

    agent: User
    recruiter: User
    manager: User
    admin: User
    offer_id: int
    candidate_id: int
    application_id: int = 0
    status_path: str = ""


@pytest.fixture
def world(app, session, make_user, make_offer, make_application, make_candidate) -> Callable:
    def build(locale: str) -> World:
        agent = make_user(first_name="Aline", last_name="Partage", locale=locale)
        recruiter = make_user(Role.RECRUITER, locale=locale)
        manager = make_user(Role.MANAGER, locale=locale)
        admin = make_user(Role.ADMIN, locale=locale)
        offer = make_offer(
            title="Cheffe de projet numérique",
            hiring_manager=manager,
            required_skills=["gestion de projet", "marchés publics", "python"],
            salary="Grille des ingénieurs territoriaux + RIFSEEP",
            vacancy_date=date(2027, 2, 5),
        )
        best = make_application(
            offer,
            make_candidate("Élise", "Fournier", city="Clermont-Ferrand"),
            score=88,
            agent=agent,
            matched=["gestion de projet", "python"],
            missing=["marchés publics"],
        )
        make_application(offer, make_candidate("Marc", "Moyen"), score=52, matched=["python"])
        make_application(offer, make_candidate("Sans", "Score"))
        # Applied elsewhere and agreed to be considered: the offer's talent pool.
        make_application(
            make_offer(title="Offre voisine"),
            make_candidate("Paul", "Vivier", talent_pool_consent=True),
            score=70,
            matched=["gestion de projet"],
        )
        for channel in ("linkedin", "email"):
            make_link(session, offer, agent, channel)
        from referral.applications.candidate_status import status_token

        status_path = "/status/" + status_token(app.extensions["relais"].settings, best)
        return World(
            agent, recruiter, manager, admin, offer.id, best.candidate_id, best.id, status_path
        )

    return build


def sign_in(page, user: User | None) -> None:
    if user is None:
        return
    page.goto("/login")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{user.email} could not sign in"


def failed_apply(page, w: World) -> None:
    """The apply form sent with an invalid e-mail and no CV: the error messages show."""
    from playwright.sync_api import expect

    page.goto(f"/offers/{w.offer_id}/apply")
    page.locator("input[name=email]").fill("pas-une-adresse")
    page.locator("form[aria-labelledby=form-title] button[type=submit]").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()


def opened_explanation(page, w: World) -> None:
    """The shortlist with the first "Why this score?" open."""
    from playwright.sync_api import expect

    page.goto(f"/recruiter/offers/{w.offer_id}/shortlist")
    page.locator("tr.shortlist-row details.explanation summary").first.click()
    expect(page.locator("details.explanation table.components").first).to_be_visible()


# name: (who signs in, how to reach the page)
PAGES: dict[str, tuple[str | None, Callable[..., None]]] = {
    "home": (None, lambda p, w: p.goto("/")),
    "offers": (None, lambda p, w: p.goto("/offers")),
    "offer": (None, lambda p, w: p.goto(f"/offers/{w.offer_id}")),
    "apply": (None, lambda p, w: p.goto(f"/offers/{w.offer_id}/apply")),
    "apply-errors": (None, failed_apply),
    "login": (None, lambda p, w: p.goto("/login")),
    "privacy": (None, lambda p, w: p.goto("/privacy")),
    "agent-home": ("agent", lambda p, w: p.goto("/agent/")),
    "agent-links": ("agent", lambda p, w: p.goto("/agent/links")),
    "agent-share-panel": ("agent", lambda p, w: p.goto(f"/agent/offers/{w.offer_id}")),
    "agent-referrals": ("agent", lambda p, w: p.goto("/agent/referrals")),
    "recruiter-home": ("recruiter", lambda p, w: p.goto("/recruiter/")),
    "recruiter-shortlist": ("recruiter", opened_explanation),
    "recruiter-candidate": (
        "recruiter",
        lambda p, w: p.goto(f"/recruiter/candidates/{w.candidate_id}"),
    ),
    "recruiter-talent-pool": (
        "recruiter",
        lambda p, w: p.goto(f"/recruiter/offers/{w.offer_id}/talent-pool"),
    ),
    "recruiter-plan-interview": (
        "recruiter",
        lambda p, w: p.goto(f"/recruiter/applications/{w.application_id}/interviews/new"),
    ),
    "candidate-status": (None, lambda p, w: p.goto(w.status_path)),
    "admin-candidate-emails": ("admin", lambda p, w: p.goto("/admin/candidate-emails/")),
    "admin-candidate-email-edit": (
        "admin",
        lambda p, w: p.goto("/admin/candidate-emails/interview_invitation/fr"),
    ),
    "manager-home": ("manager", lambda p, w: p.goto("/manager/")),
    "manager-new-offer": ("manager", lambda p, w: p.goto("/manager/offers/new")),
    "admin-home": ("admin", lambda p, w: p.goto("/admin/")),
    "admin-users": ("admin", lambda p, w: p.goto("/admin/users")),
    "admin-staff-import": ("admin", lambda p, w: p.goto("/admin/staff-import")),
    "analytics-funnel": ("admin", lambda p, w: p.goto("/analytics/")),
    "analytics-over-time": ("admin", lambda p, w: p.goto("/analytics/over-time")),
    "analytics-leaderboards": ("admin", lambda p, w: p.goto("/analytics/leaderboards")),
    "analytics-trainings": ("admin", lambda p, w: p.goto("/analytics/trainings")),
    "linkedin-mine": ("agent", lambda p, w: p.goto("/linkedin/")),
    "linkedin-participation": ("admin", lambda p, w: p.goto("/linkedin/participation")),
}

ENGLISH = [
    "home",
    "apply-errors",
    "agent-share-panel",
    "recruiter-shortlist",
    "manager-new-offer",
    "candidate-status",
]
# The staff import's CSV example scrolls sideways on a phone only.
ON_A_PHONE = [
    "offer",
    "recruiter-shortlist",
    "agent-links",
    "admin-staff-import",
    "linkedin-mine",
    "candidate-status",
]

CASES = (
    [pytest.param(name, "fr", None, id=f"{name}-fr") for name in PAGES]
    + [pytest.param(name, "en", None, id=f"{name}-en") for name in ENGLISH]
    + [pytest.param(name, "fr", PHONE, id=f"{name}-phone") for name in ON_A_PHONE]
)


def violations_report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"][:3]]
        lines.append(
            f"- {v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} node(s)] "
            f"e.g. {'; '.join(targets)}"
        )
    return "\n".join(lines)


@pytest.mark.parametrize(("name", "locale", "viewport"), CASES)
def test_page_has_no_wcag_21_aa_violation(browser, live_server, world, name, locale, viewport):
    from axe_playwright_python.sync_playwright import Axe

    w = world(locale)
    role, visit = PAGES[name]
    context = browser.new_context(
        base_url=live_server,
        locale=LOCALES[locale],
        viewport=viewport or {"width": 1280, "height": 900},
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, getattr(w, role) if role else None)
        visit(page, w)
        assert page.locator("html").get_attribute("lang") == locale
        results = Axe().run(
            page,
            options={
                "runOnly": {"type": "tag", "values": WCAG_21_AA},
                "resultTypes": ["violations"],
            },
        )
        violations = results.response["violations"]
        assert not violations, f"{name} ({locale}, {page.url}):\n{violations_report(violations)}"
    finally:
        context.close()
