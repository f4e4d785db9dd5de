"""The domain's vocabularies (versant, contract type, channel, statuses...) translated for the
pages, by kind: the names are those of ``referral.labels``, the one place they are written."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from flask import Flask
from flask_babel import lazy_gettext as _l

from referral import labels as domain_labels
from referral.models import (
    ApplicationSource,
    ApplicationStatus,
    Category,
    Channel,
    ContractType,
    EmploymentNature,
    Milestone,
    NotificationStatus,
    OfferStatus,
    PayUnit,
    RemoteWork,
    Role,
    TrainingAudience,
    Versant,
    WorkingTime,
)
from referral.offers.lifecycle import slugify

# The vocabularies by the names the pages use for them; their names come from the domain's
# one labels module (referral/labels.py), translated when shown.
VOCABULARIES: dict[str, type[StrEnum]] = {
    "versant": Versant,
    "category": Category,
    "employment_nature": EmploymentNature,
    "contract_type": ContractType,
    "remote_work": RemoteWork,
    "working_time": WorkingTime,
    "pay_unit": PayUnit,
    "status": OfferStatus,
    "channel": Channel,
    "application_status": ApplicationStatus,
    "source": ApplicationSource,
    "role": Role,
    "milestone": Milestone,
    "notification_status": NotificationStatus,
    "audience": TrainingAudience,
}
LABELS: dict[str, dict[str, object]] = {
    kind: {value: _l(text) for value, text in domain_labels.names(vocabulary).items()}
    for kind, vocabulary in VOCABULARIES.items()
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
