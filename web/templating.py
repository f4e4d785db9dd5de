"""What every template can use: the organisation's name, the menu for the user's roles."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from referral.models import (
    ApplicationStatus,
    CreditState,
    InterviewStatus,
    NotificationStatus,
    OfferStatus,
    ReferralStatus,
    Role,
)
from referral.offers import rich_text
from referral.privacy import erasure as privacy

# (endpoint, label, roles that see it; None: everyone, anonymous included)
NAV: list[tuple[str, object, tuple[Role, ...] | None]] = [
    ("offers.search", _l("Offers"), None),
    # agents (every member of staff)
    ("agent.home", _l("Share"), (Role.AGENT,)),
    ("share.my_links", _l("My links"), (Role.AGENT,)),
    ("referrals.mine", _l("My referrals"), (Role.AGENT,)),
    ("referrals.leaderboard", _l("Leaderboard"), (Role.AGENT,)),
    ("linkedin.mine", _l("My LinkedIn"), (Role.AGENT,)),
    # managers and recruiters
    ("manager.home", _l("My offers"), (Role.MANAGER,)),
    ("manager.home", _l("Manage offers"), (Role.RECRUITER, Role.ADMIN)),
    ("recruiter.home", _l("Recruitment"), (Role.RECRUITER, Role.ADMIN, Role.MANAGER)),
    ("analytics.funnel", _l("Analytics"), (Role.RECRUITER, Role.ADMIN, Role.MANAGER)),
    ("linkedin.participation", _l("LinkedIn"), (Role.RECRUITER, Role.ADMIN, Role.MANAGER)),
    # admins: credits and mail delivery are in the administration's own menu
    ("admin.home", _l("Administration"), (Role.ADMIN,)),
]


def nav_items() -> list[tuple[str, object]]:
    """The menu entries the current user may open, in order."""
    items = []
    seen: set[str] = set()
    for endpoint, label, roles in NAV:
        if endpoint not in current_app.view_functions or endpoint in seen:
            continue
        if roles is None or (current_user.is_authenticated and current_user.has_role(*roles)):
            items.append((endpoint, label))
            seen.add(endpoint)
    return items


# Pages outside the blueprint of the menu entry they belong to.
NAV_SECTION = {
    "share.offer": "agent.home",
    "share.poster": "agent.home",
    "referrals.refer": "agent.home",
}


def current_nav(endpoint: str | None, items: list[tuple[str, object]]) -> str | None:
    """The one menu entry to mark as the current page: the page itself, else the entry its
    section belongs to, else the first entry of its blueprint."""
    if not endpoint:
        return None
    endpoints = [e for e, _label in items]
    if endpoint in endpoints:
        return endpoint
    if NAV_SECTION.get(endpoint) in endpoints:
        return NAV_SECTION[endpoint]
    blueprint = endpoint.split(".")[0]
    return next((e for e in endpoints if e.split(".")[0] == blueprint), None)


def candidate_name(candidate) -> str:
    """A candidate's name, or what stands for it once their personal data is erased."""
    return privacy.shown_name(candidate, _)


def pay_range(offer) -> str:
    """An offer's structured pay range in words ("2,500 to 3,200 € gross per month"), or ""."""
    from web.offer_labels import label

    low, high = offer.pay_min, offer.pay_max
    if not offer.pay_unit or (low is None and high is None):
        return ""
    unit = label("pay_unit", offer.pay_unit)
    if low is not None and high is not None and low != high:
        text = _("%(low)s to %(high)s € gross", low=format_decimal(low), high=format_decimal(high))
    elif low is not None and (high is None or high == low):
        text = _("from %(low)s € gross", low=format_decimal(low))
    else:
        text = _("up to %(high)s € gross", high=format_decimal(high))
    return f"{text} {unit}"


def markdown(text: str | None) -> Markup:
    """Markdown of an offer's missions or profile as sanitised HTML (referral/offers/rich_text.py)."""
    return Markup(rich_text.to_html(text))  # noqa: S704 - nh3 sanitised it


def init_app(app: Flask) -> None:
    # The status vocabularies, so that a template compares with the enum, never a literal.
    app.jinja_env.globals.update(
        ApplicationStatus=ApplicationStatus,
        CreditState=CreditState,
        InterviewStatus=InterviewStatus,
        NotificationStatus=NotificationStatus,
        OfferStatus=OfferStatus,
        ReferralStatus=ReferralStatus,
    )
    app.add_template_filter(markdown, "markdown")
    app.add_template_filter(format_decimal, "numberformat")  # 1,800 / 1 800

    @app.context_processor
    def inject_globals():
        return {
            "organisation_name": app.extensions["relais"].settings.organisation_name,
            "nav_items": nav_items,
            "current_nav": current_nav,
            "pay_range": pay_range,
            "current_locale": lambda: str(get_locale() or "fr"),
            "view_endpoints": app.view_functions,
            "candidate_name": candidate_name,
        }
