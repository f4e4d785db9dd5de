"""Use cases that span several modules, each run inside a ``UnitOfWork``.

The views, the CLI and the seeds call these, so that publishing from anywhere tells the agents,
and an application that is not saved leaves no CV file behind. The caller commits.
"""

from __future__ import annotations

from referral import applications, candidate_status, notification_events, offers
from referral.models import Application, Offer
from referral.unit_of_work import UnitOfWork


def publish_offer(uow: UnitOfWork, offer: Offer) -> Offer:
    """Publish, and tell the agents of its direction who asked for it (same transaction)."""
    offer = offers.publish(uow.session, offer, uow.actor, uow.now())
    notification_events.offer_published(uow.session, offer, uow.now(), urls=uow.urls)
    return offer


def apply(uow: UnitOfWork, **fields) -> applications.ApplyResult:
    """Save an application (``applications.apply``); its CV file goes if the transaction does not."""
    if uow.urls is None:
        raise ValueError("an application needs the URL builder (its receipt links the status page)")
    result = applications.apply(uow.session, uow.settings, now=uow.now(), urls=uow.urls, **fields)
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
