"""Translated labels of the offers' vocabularies (versant, contract type, channel...)."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask
from flask_babel import lazy_gettext as _l

from referral.offers.lifecycle import slugify

LABELS: dict[str, dict[str, object]] = {
    "versant": {
        "etat": _l("State civil service"),
        "territoriale": _l("Local civil service"),
        "hospitaliere": _l("Hospital civil service"),
    },
    "category": {"A": _l("Category A"), "B": _l("Category B"), "C": _l("Category C")},
    "employment_nature": {
        "fonctionnaire": _l("Civil servant"),
        "contractuel": _l("Contract staff"),
        "both": _l("Civil servant or contract staff"),
    },
    "contract_type": {
        "permanent": _l("Permanent position"),
        "fixed_term": _l("Fixed-term contract"),
        "apprenticeship": _l("Apprenticeship"),
        "internship": _l("Internship"),
        "temporary": _l("Temporary or replacement"),
    },
    "remote_work": {
        "none": _l("No remote work"),
        "partial": _l("Partial remote work"),
        "full": _l("Full remote work"),
    },
    "working_time": {"full": _l("Full time"), "part": _l("Part time")},
    "pay_unit": {"month": _l("per month"), "year": _l("per year"), "hour": _l("per hour")},
    "status": {
        "draft": _l("Draft"),
        "published": _l("Published"),
        "closed": _l("Closed"),
        "filled": _l("Filled"),
    },
    "channel": {
        "linkedin": "LinkedIn",
        "email": _l("Email"),
        "whatsapp": "WhatsApp",
        "x": "X",
        "facebook": "Facebook",
        "copy": _l("Plain link"),
        "qr": _l("QR code"),
    },
    # The stages of an application: the one list of their names, for every page and export.
    "application_status": {
        "new": _l("New"),
        "screening": _l("Screening"),
        "interview": _l("Interview"),
        "offer": _l("Offer made"),
        "hired": _l("Recruited"),
        "rejected": _l("Rejected"),
        "withdrawn": _l("Withdrawn"),
    },
}


def label(kind: str, value: str | None) -> object:
    """The translated label of ``value`` in vocabulary ``kind`` (the value itself if unknown)."""
    if value is None:
        return ""
    return LABELS.get(kind, {}).get(value, value)


def choices(kind: str, blank: object | None = None) -> list[tuple[str, object]]:
    """(value, label) pairs for a select field, optionally with a blank first choice."""
    items = list(LABELS[kind].items())
    return ([("", blank)] if blank is not None else []) + items


@lru_cache(maxsize=2048)
def slug(title: str) -> str:
    """The URL slug of an offer title (cached: it is on every link to an offer)."""
    return slugify(title)


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject_labels():
        return {"label": label, "slug": slug}
