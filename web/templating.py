"""What every template can use: the organisation's name, the menu for the user's roles."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from referral.models import Role

# (endpoint, label, roles that see it; None: everyone, anonymous included)
NAV: list[tuple[str, object, tuple[Role, ...] | None]] = [
    ("public.index", _l("Offers"), None),
    ("agent.home", _l("Share"), (Role.AGENT,)),
    ("manager.home", _l("My offers"), (Role.MANAGER,)),
    ("recruiter.home", _l("Recruitment"), (Role.RECRUITER, Role.ADMIN)),
    ("admin.home", _l("Administration"), (Role.ADMIN,)),
    ("analytics.funnel", _l("Analytics"), (Role.RECRUITER, Role.ADMIN, Role.MANAGER)),
]


def nav_items() -> list[tuple[str, object]]:
    """The menu entries the current user may open, in order."""
    items = []
    for endpoint, label, roles in NAV:
        if endpoint not in current_app.view_functions:
            continue
        if roles is None or (current_user.is_authenticated and current_user.has_role(*roles)):
            items.append((endpoint, label))
    return items


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject_globals():
        return {
            "organisation_name": app.extensions["relais"].settings.organisation_name,
            "nav_items": nav_items,
            "current_locale": lambda: str(get_locale() or "fr"),
            "view_endpoints": app.view_functions,
        }
