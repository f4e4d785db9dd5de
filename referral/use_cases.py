"""Use cases that span several modules, each run inside a ``UnitOfWork``.

The views, the CLI and the seeds call these, so that publishing from anywhere tells the agents,
and an application that is not saved leaves no CV file behind. The caller commits.
"""

from __future__ import annotations

from referral.applications import applying as applications
from referral.applications import candidate_status
from referral.models import Application, Offer
from referral.notifications import events as notification_events
from referral.offers import lifecycle as offers
from referral.unit_of_work import UnitOfWork


def publish_offer(uow: UnitOfWork, offer: Offer) -> Offer:
    """Publish, and tell the agents of its direction who asked for it (same transaction)."""
    offer = offers.publish(uow.session, offer, uow.actor, uow.now())
    base_url = uow.settings.base_url if uow.settings is not None else ""
    link = uow.urls.offer_share(offer.id) if uow.urls is not None else None
    notification_events.offer_published(uow.session, offer, uow.now(), base_url=base_url, link=link)
    return offer


def apply(uow: UnitOfWork, **fields) -> applications.ApplyResult:
    """Save an application (``applications.apply``); its CV file goes if the transaction does not."""
    result = applications.apply(uow.session, uow.settings, now=uow.now(), **fields)
    if result.stored_path is not None:
        uow.after_rollback(lambda: uow.cv_store.remove(result.stored_path))
    return result


def replace_cv(
    uow: UnitOfWork, application: Application, data: bytes, filename: str
) -> candidate_status.ReplacedCV:
    """Attach a new CV to an application (``candidate_status.replace_cv``); its file goes if
    the transaction does not."""
    if uow.settings is None:
        raise ValueError("replacing a CV needs the settings (upload limit, CV folder)")
    result = candidate_status.replace_cv(
        uow.session, uow.settings, application, data, filename, uow.now()
    )
    uow.after_rollback(lambda: uow.cv_store.remove(result.stored_path))
    return result
