"""Use cases that span several modules, each run inside a ``UnitOfWork``.

The views, the CLI and the seeds call these, so that publishing from anywhere tells the agents,
and an application that is not saved leaves no CV file behind. The caller commits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from referral.applications import applying as applications
from referral.applications import (
    candidate_status,
    candidates,
    credits,
    exports,
    interviews,
    pipeline,
    referrals,
    shortlists,
)
from referral.linkedin import activity as linkedin
from referral.models import (
    Application,
    Candidate,
    CandidateNote,
    Interview,
    LinkedInConsent,
    LinkedInPost,
    Notification,
    Offer,
    Referral,
    ShareLink,
    StatusChange,
    User,
)
from referral.notifications import events as notification_events
from referral.notifications import inbox
from referral.offers import lifecycle as offers
from referral.privacy import erasure as privacy
from referral.sharing import links
from referral.unit_of_work import UnitOfWork, Urls

if TYPE_CHECKING:
    from referral.config import Settings


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


# --- the recruiting, sharing and candidate pages (each view calls one of these) --------------
#
# Thin by design: each runs one domain service with what the unit of work carries (session,
# actor, clock, settings) and registers what must follow the outcome. The caller commits.


def _settings(uow: UnitOfWork) -> Settings:
    if uow.settings is None:
        raise ValueError("this use case needs the settings")
    return uow.settings


def _urls(uow: UnitOfWork) -> Urls:
    if uow.urls is None:
        raise ValueError("this use case builds links: it needs the URL builder")
    return uow.urls


def _actor(uow: UnitOfWork) -> User:
    if uow.actor is None:
        raise ValueError("this use case needs a signed-in actor")
    return uow.actor


def create_offer(uow: UnitOfWork, values: dict) -> Offer:
    """A new draft offer by the actor (``offers.create_offer``)."""
    return offers.create_offer(uow.session, _actor(uow), values, uow.now())


def update_offer(uow: UnitOfWork, offer: Offer, values: dict) -> Offer:
    """Change an offer's fields; new criteria rescore its applications (``offers.update_offer``)."""
    return offers.update_offer(
        uow.session, offer, _actor(uow), values, uow.now(), settings=uow.settings
    )


def close_offer(uow: UnitOfWork, offer: Offer) -> Offer:
    """No more applications (``offers.close``)."""
    return offers.close(uow.session, offer, _actor(uow), uow.now())


def fill_offer(uow: UnitOfWork, offer: Offer) -> Offer:
    """The position is filled (``offers.mark_filled``)."""
    return offers.mark_filled(uow.session, offer, _actor(uow), uow.now())


def duplicate_offer(uow: UnitOfWork, offer: Offer) -> Offer:
    """A copy of the offer as a new draft (``offers.duplicate``)."""
    return offers.duplicate(uow.session, offer, _actor(uow), uow.now())


def record_export(uow: UnitOfWork, offer: Offer, kind: str, table: exports.Table) -> None:
    """The audit line of a shortlist export (who took which rows)."""
    exports.record_export(uow.session, _actor(uow), offer, kind, table)


def move_application(
    uow: UnitOfWork, application: Application, to_status: str, *, reason, confirm: bool
) -> StatusChange:
    """Move one application through the pipeline (``pipeline.move``)."""
    return pipeline.move(
        uow.session,
        application,
        to_status,
        actor=_actor(uow),
        reason=reason,
        confirm=confirm,
        now=uow.now(),
        settings=uow.settings,
        urls=uow.urls,
    )


def move_applications(
    uow: UnitOfWork, selected: list[Application], to_status: str, *, reason, confirm: bool
) -> pipeline.BulkReport:
    """Move each selected application on its own (``pipeline.bulk_move``)."""
    return pipeline.bulk_move(
        uow.session,
        selected,
        to_status,
        actor=_actor(uow),
        reason=reason,
        confirm=confirm,
        now=uow.now(),
        settings=uow.settings,
        urls=uow.urls,
    )


def add_note(
    uow: UnitOfWork, candidate: Candidate, body: str, application: Application | None
) -> CandidateNote:
    """A note on a candidate (``shortlists.add_note``)."""
    return shortlists.add_note(
        uow.session, candidate, body, actor=_actor(uow), application=application, now=uow.now()
    )


def merge_candidates(uow: UnitOfWork, keep: Candidate, drop: Candidate) -> Candidate:
    """Merge a duplicate into the candidate kept (``candidates.merge``)."""
    return candidates.merge(uow.session, keep, drop, actor=_actor(uow))


def erase_candidate(uow: UnitOfWork, candidate: Candidate) -> privacy.Erasure:
    """Erase a candidate's personal data; their files go once the erasure is committed."""
    settings = _settings(uow)
    erasure = privacy.erase(uow.session, settings, candidate, uow.now(), actor=uow.actor)
    uow.after_commit(lambda: erasure.complete(settings))
    return erasure


def schedule_interview(
    uow: UnitOfWork, application: Application, data: interviews.InterviewInput, nonce: str | None
) -> Interview:
    """Plan an interview and queue the invitation (``interviews.schedule``)."""
    return interviews.schedule(
        uow.session,
        _settings(uow),
        application,
        data,
        actor=uow.actor,
        nonce=nonce,
        now=uow.now(),
        urls=_urls(uow),
    )


def reschedule_interview(
    uow: UnitOfWork, interview: Interview, data: interviews.InterviewInput, sequence: int | None
) -> Interview:
    """Change an interview and queue the update (``interviews.reschedule``)."""
    return interviews.reschedule(
        uow.session,
        _settings(uow),
        interview,
        data,
        actor=uow.actor,
        sequence=sequence,
        now=uow.now(),
        urls=_urls(uow),
    )


def cancel_interview(uow: UnitOfWork, interview: Interview, sequence: int | None) -> Interview:
    """Cancel an interview and queue the cancellation (``interviews.cancel``)."""
    return interviews.cancel(
        uow.session,
        _settings(uow),
        interview,
        actor=uow.actor,
        sequence=sequence,
        now=uow.now(),
        urls=_urls(uow),
    )


def withdraw_application(uow: UnitOfWork, application: Application) -> StatusChange:
    """The candidate withdraws (``candidate_status.withdraw``)."""
    return candidate_status.withdraw(
        uow.session, _settings(uow), application, uow.now(), urls=_urls(uow)
    )


def erase_my_data(uow: UnitOfWork, application: Application) -> privacy.Erasure:
    """The candidate erases their data; their files go once the erasure is committed."""
    settings = _settings(uow)
    erasure = candidate_status.erase(uow.session, settings, application, uow.now())
    uow.after_commit(lambda: erasure.complete(settings))
    return erasure


def forget_invitation(uow: UnitOfWork, token: str) -> None:
    """The invited person deletes their invitation (``privacy.forget_invitation``)."""
    privacy.forget_invitation(uow.session, token)


def refer(uow: UnitOfWork, offer_id: int, data: referrals.ReferralInput) -> Referral:
    """The actor recommends a person for an offer (``referrals.refer``)."""
    return referrals.refer(
        uow.session,
        _settings(uow),
        agent=_actor(uow),
        offer_id=offer_id,
        data=data,
        now=uow.now(),
        urls=_urls(uow),
    )


def set_on_leaderboard(uow: UnitOfWork, visible: bool) -> None:
    """The actor leaves the leaderboard, or joins it again."""
    credits.set_on_leaderboard(uow.session, _actor(uow), visible)


def open_notification(uow: UnitOfWork, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (opening it, or the "read" button)."""
    return inbox.mark_read(uow.session, _actor(uow).id, notification_id, uow.now())


def read_all_notifications(uow: UnitOfWork) -> int:
    """Mark every notification of the actor read; how many were unread."""
    return inbox.mark_all_read(uow.session, _actor(uow).id, uow.now())


def take_link(uow: UnitOfWork, offer: Offer, channel: str) -> ShareLink:
    """The actor's share link of an offer for a channel, created on first use."""
    return links.get_or_create_link(uow.session, offer, _actor(uow), channel, uow.now())


def revoke_link(uow: UnitOfWork, link: ShareLink) -> None:
    """Withdraw one of the actor's links (``links.revoke``)."""
    links.revoke(uow.session, link, _actor(uow), uow.now())


def give_linkedin_consent(uow: UnitOfWork, profile_url: str) -> LinkedInConsent:
    """The actor agrees that their LinkedIn counts are kept (``linkedin.give_consent``)."""
    return linkedin.give_consent(uow.session, _actor(uow), profile_url, now=uow.now())


def import_linkedin_archive(
    uow: UnitOfWork, data: bytes, relais_prefix: str
) -> linkedin.ImportResult:
    """Read the actor's LinkedIn archive and replace their figures (``linkedin.import_archive``)."""
    return linkedin.import_archive(
        uow.session, _actor(uow), data, relais_prefix=relais_prefix, now=uow.now()
    )


def erase_linkedin(uow: UnitOfWork) -> None:
    """Withdraw the actor's LinkedIn consent and delete what was kept."""
    linkedin.erase(uow.session, _actor(uow))


def declare_linkedin_post(
    uow: UnitOfWork, offer_id: int, url: str, counts: dict[str, str], post_text: str
) -> LinkedInPost:
    """The actor's "I posted it" for an offer (``linkedin.declare_post``)."""
    return linkedin.declare_post(
        uow.session,
        _actor(uow),
        offer_id=offer_id,
        url=url,
        counts=counts,
        post_text=post_text,
        urls=_urls(uow),
    )
