"""Interviews: invite a candidate, change the interview, cancel it; each with its calendar event.

An interview has a date and time (stored in UTC, typed in the organisation's time zone), a
duration, a place and/or a video link, and its panel (the jury of a public-service
recruitment: names as the candidate will read them). Each e-mail about it carries an
iCalendar file (RFC 5545, made with the ``icalendar`` library) that mail clients offer to add
to the calendar: ``METHOD:REQUEST`` for the invitation and every change, ``METHOD:CANCEL`` for
a cancellation, always with the interview's ``UID`` and a ``SEQUENCE`` that grows with each
change, so that the client updates (or removes) the event it has instead of adding another.

Nothing is sent twice: the e-mail's key is the interview's UID and sequence (one e-mail per
version of the event), and a form's nonce makes the UID of a new interview, so a double
click schedules one interview, not two.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import select
from sqlalchemy.orm import Session

from referral import audit
from referral.config import Settings
from referral.messages import N_, RuleBroken
from referral.models import (
    Application,
    Interview,
    InterviewStatus,
    User,
    utcnow,
)
from referral.unit_of_work import Urls

PRODID = "-//Relais//Interviews//FR"
UID_DOMAIN = "relais.local"
MAX_PANEL = 12
MAX_DURATION = 8 * 60

IN_THE_PAST = N_("Choose a date and time in the future.")
NO_PLACE = N_("Give a place or a video link.")
BAD_LINK = N_("The video link must be a web address starting with https://.")
BAD_DURATION = N_("The duration is between 15 minutes and 8 hours.")
TOO_MANY = N_("A panel has at most %(max)s members.")
NOT_OPEN = N_("Interviews are planned for open applications only.")
ERASED = N_("This candidate's personal data was erased.")
CANCELLED_ALREADY = N_("This interview is cancelled already.")
CHANGED_MEANWHILE = N_("Someone changed this interview in the meantime. Check it, then try again.")


@dataclass(frozen=True)
class InterviewInput:
    """An interview as the recruiter describes it (``starts_at`` timezone-aware)."""

    starts_at: datetime
    duration_minutes: int
    location: str = ""
    video_url: str = ""
    panel: tuple[str, ...] = ()


def _check(data: InterviewInput, now: datetime) -> InterviewInput:
    location = data.location.strip()[:300]
    video = data.video_url.strip()
    panel = tuple(p.strip()[:120] for p in data.panel if p.strip())
    if data.starts_at <= now:
        raise RuleBroken(IN_THE_PAST, "starts_at")
    if not 15 <= data.duration_minutes <= MAX_DURATION:
        raise RuleBroken(BAD_DURATION, "duration_minutes")
    if video:
        parts = urlsplit(video)
        if parts.scheme != "https" or not parts.netloc or len(video) > 500:
            raise RuleBroken(BAD_LINK, "video_url")
    if not location and not video:
        raise RuleBroken(NO_PLACE, "location")
    if len(panel) > MAX_PANEL:
        raise RuleBroken(TOO_MANY, "panel", max=MAX_PANEL)
    starts_at = data.starts_at.replace(second=0, microsecond=0)  # calendars count in minutes
    return InterviewInput(starts_at, data.duration_minutes, location, video, panel)


def new_uid(settings: Settings, nonce: str | None) -> str:
    """The UID of a new interview's event; the same for the same form ``nonce``."""
    if nonce:
        stem = hmac.new(settings.secret_key.encode(), nonce.encode(), hashlib.sha256).hexdigest()
    else:
        stem = secrets.token_hex(20)
    return f"interview-{stem[:40]}@{UID_DOMAIN}"


def calendar(
    interview: Interview,
    settings: Settings,
    *,
    method: str,
    attendee: str,
    attendee_name: str,
    summary: str,
    now: datetime,
) -> str:
    """The iCalendar text of ``interview`` for ``method`` (REQUEST or CANCEL)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", interview.uid)
    event.add("sequence", interview.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", interview.starts_at)
    event.add("dtend", interview.starts_at + timedelta(minutes=interview.duration_minutes))
    event.add("summary", summary)
    where = interview.location or interview.video_url or ""
    if where:
        event.add("location", where)
    if interview.video_url:
        event.add("url", interview.video_url)
    details = []
    if interview.video_url:
        details.append(interview.video_url)
    if interview.panel:
        details.append(", ".join(interview.panel))
    if details:
        event.add("description", "\n".join(details))
    # Replies go where candidates' replies go (Reply-To), else to the sender's address.
    address = settings.reply_to_address or parseaddr(settings.sender)[1]
    organizer = vCalAddress("mailto:" + address)
    organizer.params["cn"] = vText(settings.organisation_name)
    event.add("organizer", organizer)
    guest = vCalAddress("mailto:" + attendee)
    guest.params["cn"] = vText(attendee_name)
    guest.params["role"] = vText("REQ-PARTICIPANT")
    guest.params["partstat"] = vText("NEEDS-ACTION")
    guest.params["rsvp"] = vText("TRUE")
    event.add("attendee", guest)
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical().decode()


def for_application(session: Session, application: Application) -> list[Interview]:
    """The interviews of ``application``, soonest first."""
    return list(
        session.scalars(
            select(Interview)
            .where(Interview.application_id == application.id)
            .order_by(Interview.starts_at, Interview.id)
        )
    )


def by_application(session: Session, applications: list[Application]) -> dict[int, list[Interview]]:
    """The interviews of each of ``applications`` (one query), soonest first."""
    out: dict[int, list[Interview]] = {a.id: [] for a in applications}
    if out:
        for interview in session.scalars(
            select(Interview)
            .where(Interview.application_id.in_(list(out)))
            .order_by(Interview.starts_at, Interview.id)
        ):
            out[interview.application_id].append(interview)
    return out


def _send(
    session: Session,
    settings: Settings,
    interview: Interview,
    kind: str,
    actor: User | None,
    now: datetime,
    urls: Urls,
) -> None:
    """The candidate's e-mail about this version of the interview, with its event."""
    from referral.applications.candidate_status import status_url
    from referral.notifications import candidate_messages as cm

    application = interview.application
    candidate = application.candidate
    if candidate.erased_at is not None:
        return
    locale = cm.candidate_locale(session, candidate, settings.default_locale)
    words = cm.wording(session, kind, locale)
    context = cm.context_for(
        application,
        locale=locale,
        settings=settings,
        recruiter=actor,
        status_link=status_url(urls, settings, application),
    ) | cm.interview_context(interview, locale, settings)
    try:
        rendered = cm.render_wording(words.subject, words.body, context)
    except RuleBroken:
        subject, body = cm.DEFAULTS[(kind, locale)]
        rendered = cm.render_wording(subject, body, context)
    method = "CANCEL" if kind == cm.CANCELLATION else "REQUEST"
    ics = calendar(
        interview,
        settings,
        method=method,
        attendee=candidate.email,
        attendee_name=candidate.full_name,
        summary=f"{settings.organisation_name} — {application.offer.title}",
        now=now,
    )
    cm.send(
        session,
        settings,
        application,
        subject=rendered.subject,
        body=rendered.body,
        key=f"{interview.uid.split('@')[0]}-{interview.sequence}",
        locale=locale,
        kind=cm.INTERVIEW_KIND,
        now=now,
        attachments=[("invitation.ics", f"text/calendar; method={method}", ics)],
        urls=urls,
    )


def schedule(
    session: Session,
    settings: Settings,
    application: Application,
    data: InterviewInput,
    *,
    actor: User | None,
    nonce: str | None = None,
    now: datetime | None = None,
    urls: Urls,
) -> Interview:
    """Plan an interview of ``application`` and invite its candidate (see the module).
    The same ``nonce`` twice returns the interview planned the first time."""
    now = now or utcnow()
    uid = new_uid(settings, nonce)
    existing = session.scalar(select(Interview).where(Interview.uid == uid))
    if existing is not None:
        return existing
    if application.candidate.erased_at is not None:
        raise RuleBroken(ERASED)
    if not application.is_open:
        raise RuleBroken(NOT_OPEN)
    data = _check(data, now)
    interview = Interview(
        application_id=application.id,
        application=application,
        uid=uid,
        sequence=0,
        status=InterviewStatus.SCHEDULED,
        starts_at=data.starts_at,
        duration_minutes=data.duration_minutes,
        location=data.location,
        video_url=data.video_url or None,
        panel=list(data.panel),
        organizer_id=actor.id if actor else None,
        created_at=now,
        updated_at=now,
    )
    session.add(interview)
    session.flush()
    audit.record(
        session,
        actor,
        "interview.scheduled",
        "interview",
        interview.id,
        application_id=application.id,
    ).at = now
    from referral.notifications.candidate_messages import INVITATION

    _send(session, settings, interview, INVITATION, actor, now, urls)
    return interview


def reschedule(
    session: Session,
    settings: Settings,
    interview: Interview,
    data: InterviewInput,
    *,
    actor: User | None,
    sequence: int | None = None,
    now: datetime | None = None,
    urls: Urls,
) -> Interview:
    """Change ``interview`` and send the update of the same event (same UID, next sequence).
    ``sequence`` is the version the recruiter's form showed: if the interview changed since
    (a double click, another recruiter), nothing is changed twice."""
    now = now or utcnow()
    if sequence is not None and sequence != interview.sequence:
        raise RuleBroken(CHANGED_MEANWHILE)
    if interview.status != InterviewStatus.SCHEDULED:
        raise RuleBroken(CANCELLED_ALREADY)
    if interview.application.candidate.erased_at is not None:
        raise RuleBroken(ERASED)
    data = _check(data, now)
    interview.starts_at = data.starts_at
    interview.duration_minutes = data.duration_minutes
    interview.location = data.location
    interview.video_url = data.video_url or None
    interview.panel = list(data.panel)
    interview.sequence += 1
    interview.updated_at = now
    audit.record(
        session,
        actor,
        "interview.rescheduled",
        "interview",
        interview.id,
        sequence=interview.sequence,
    ).at = now
    from referral.notifications.candidate_messages import UPDATE

    _send(session, settings, interview, UPDATE, actor, now, urls)
    return interview


def cancel(
    session: Session,
    settings: Settings,
    interview: Interview,
    *,
    actor: User | None,
    sequence: int | None = None,
    now: datetime | None = None,
    urls: Urls,
) -> Interview:
    """Cancel ``interview`` and send the cancellation of its event (METHOD:CANCEL)."""
    now = now or utcnow()
    if sequence is not None and sequence != interview.sequence:
        raise RuleBroken(CHANGED_MEANWHILE)
    if interview.status != InterviewStatus.SCHEDULED:
        raise RuleBroken(CANCELLED_ALREADY)
    interview.status = InterviewStatus.CANCELLED
    interview.sequence += 1
    interview.updated_at = now
    audit.record(
        session,
        actor,
        "interview.cancelled",
        "interview",
        interview.id,
        sequence=interview.sequence,
    ).at = now
    from referral.notifications.candidate_messages import CANCELLATION

    _send(session, settings, interview, CANCELLATION, actor, now, urls)
    return interview
