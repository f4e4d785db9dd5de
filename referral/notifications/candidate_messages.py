"""The e-mails a candidate gets when their application moves, and the wordings admins edit.

Every stage a recruiter moves an application to (screening, interview, offer, hired,
rejected, withdrawn) and every interview invitation, change and cancellation has a wording in
French and in English: a subject and a body with placeholders such as ``{{ candidate_name }}``
or ``{{ offer_title }}`` (:data:`PLACEHOLDERS`). The wordings shipped here (:data:`DEFAULTS`)
apply until an admin saves their own (a ``candidate_message_template`` row per kind and
language); resetting deletes the row.

Wordings are rendered in Jinja2's immutable sandbox with plain strings only: a template
cannot call code, reach an attribute of a Python object or change anything, and a template
that uses an unknown placeholder or does not parse is refused when it is saved, with the
reason. A rejection's context never carries the internal reason of the rejection: the
candidate reads it only if the recruiter writes it in the e-mail themself.

When a recruiter moves an application, the e-mail is *proposed* (:func:`propose`): rendered
from the wording, then edited or skipped by the recruiter for each candidate. What the
recruiter sends is plain text, never rendered again. :func:`send` queues it in the outbox
(:func:`referral.notifications.outbox.notify`) with a key of the move as Message-ID: a double click,
or a second tab, finds the message already queued and sends nothing more. Every candidate
e-mail carries the signed link of the application's status page
(:mod:`referral.applications.candidate_status`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_date, format_time
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from referral import audit
from referral.config import Settings
from referral.errors import NotFound
from referral.i18n import DEFAULT_LOCALE, LOCALES, translations
from referral.messages import N_, RuleBroken
from referral.models import (
    Application,
    ApplicationStatus,
    Candidate,
    CandidateMessageTemplate,
    Interview,
    Notification,
    StatusChange,
    User,
    utcnow,
)
from referral.notifications import outbox as notifications

# The outbox kinds of the e-mails to candidates (their mail templates are in referral/mail/).
MESSAGE_KIND = "candidate_message"
INTERVIEW_KIND = "interview"
CANDIDATE_KINDS = ("receipt", MESSAGE_KIND, INTERVIEW_KIND)

S = ApplicationStatus
# The stages a candidate is written to about, in pipeline order.
STAGE_KINDS: tuple[str, ...] = (
    S.SCREENING.value,
    S.INTERVIEW.value,
    S.OFFER.value,
    S.HIRED.value,
    S.REJECTED.value,
    S.WITHDRAWN.value,
)
INVITATION, UPDATE, CANCELLATION = "interview_invitation", "interview_update", "interview_cancel"
INTERVIEW_KINDS: tuple[str, ...] = (INVITATION, UPDATE, CANCELLATION)
KINDS: tuple[str, ...] = STAGE_KINDS + INTERVIEW_KINDS

MAX_SUBJECT = 300
MAX_BODY = 10_000

# Placeholders every wording may use; the interview ones only in the interview wordings.
PLACEHOLDERS: tuple[str, ...] = (
    "candidate_name",
    "first_name",
    "offer_title",
    "offer_reference",
    "stage",
    "recruiter_name",
    "organisation_name",
    "status_link",
)
INTERVIEW_PLACEHOLDERS: tuple[str, ...] = (
    "interview_date",
    "interview_time",
    "interview_duration",
    "interview_place",
    "interview_video_link",
    "interview_panel",
)

# The stage as the candidate reads it (a rejection is "not retained", never its reason).
CANDIDATE_STAGE = {
    S.NEW.value: N_("received"),
    S.SCREENING.value: N_("being reviewed"),
    S.INTERVIEW.value: N_("interview"),
    S.OFFER.value: N_("job offer"),
    S.HIRED.value: N_("hired"),
    S.REJECTED.value: N_("not retained"),
    S.WITHDRAWN.value: N_("withdrawn"),
}

_FOOT_FR = (
    "Suivre votre candidature : {{ status_link }}\n\n{{ recruiter_name }}\n{{ organisation_name }}"
)
_FOOT_EN = (
    "Follow your application: {{ status_link }}\n\n{{ recruiter_name }}\n{{ organisation_name }}"
)
_WHEN_FR = (
    "Date : {{ interview_date }} à {{ interview_time }} ({{ interview_duration }} minutes)\n"
    "{% if interview_place %}Lieu : {{ interview_place }}\n{% endif %}"
    "{% if interview_video_link %}Visioconférence : {{ interview_video_link }}\n{% endif %}"
    "{% if interview_panel %}Jury : {{ interview_panel }}\n{% endif %}"
)
_WHEN_EN = (
    "Date: {{ interview_date }} at {{ interview_time }} ({{ interview_duration }} minutes)\n"
    "{% if interview_place %}Place: {{ interview_place }}\n{% endif %}"
    "{% if interview_video_link %}Video call: {{ interview_video_link }}\n{% endif %}"
    "{% if interview_panel %}Panel: {{ interview_panel }}\n{% endif %}"
)

# The shipped wordings: (kind, locale) -> (subject, body).
DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    ("screening", "fr"): (
        "Votre candidature au poste {{ offer_title }} est à l'étude",
        "Bonjour {{ candidate_name }},\n\nVotre candidature au poste {{ offer_title }} a retenu "
        "notre attention : elle est maintenant étudiée en détail par l'équipe de recrutement. "
        "Nous reviendrons vers vous dès que possible.\n\n" + _FOOT_FR,
    ),
    ("screening", "en"): (
        "Your application for {{ offer_title }} is being reviewed",
        "Hello {{ candidate_name }},\n\nYour application for {{ offer_title }} caught our "
        "attention: the recruitment team is now reviewing it in detail. We will come back to "
        "you as soon as we can.\n\n" + _FOOT_EN,
    ),
    ("interview", "fr"): (
        "Entretien pour le poste {{ offer_title }}",
        "Bonjour {{ candidate_name }},\n\nNous souhaitons vous rencontrer pour un entretien "
        "au sujet du poste {{ offer_title }}. Vous recevrez une invitation avec la date, le "
        "lieu et la composition du jury.\n\n" + _FOOT_FR,
    ),
    ("interview", "en"): (
        "Interview for {{ offer_title }}",
        "Hello {{ candidate_name }},\n\nWe would like to meet you for an interview about "
        "{{ offer_title }}. You will receive an invitation with the date, the place and the "
        "panel.\n\n" + _FOOT_EN,
    ),
    ("offer", "fr"): (
        "Proposition pour le poste {{ offer_title }}",
        "Bonjour {{ candidate_name }},\n\nÀ l'issue des entretiens, nous avons le plaisir de "
        "vous proposer le poste {{ offer_title }}. {{ recruiter_name }} vous contactera pour "
        "en préciser les conditions.\n\n" + _FOOT_FR,
    ),
    ("offer", "en"): (
        "An offer for {{ offer_title }}",
        "Hello {{ candidate_name }},\n\nAfter the interviews, we are pleased to offer you the "
        "position {{ offer_title }}. {{ recruiter_name }} will contact you about the "
        "terms.\n\n" + _FOOT_EN,
    ),
    ("hired", "fr"): (
        "Bienvenue : poste {{ offer_title }}",
        "Bonjour {{ candidate_name }},\n\nNous sommes heureux de confirmer votre recrutement "
        "au poste {{ offer_title }}. Bienvenue parmi nous !\n\n" + _FOOT_FR,
    ),
    ("hired", "en"): (
        "Welcome: {{ offer_title }}",
        "Hello {{ candidate_name }},\n\nWe are happy to confirm that you are hired for "
        "{{ offer_title }}. Welcome on board!\n\n" + _FOOT_EN,
    ),
    ("rejected", "fr"): (
        "Votre candidature au poste {{ offer_title }}",
        "Bonjour {{ candidate_name }},\n\nNous vous remercions de l'intérêt que vous portez à "
        "notre collectivité. Après examen attentif, nous ne pouvons pas donner une suite "
        "favorable à votre candidature au poste {{ offer_title }}.\n\nNous vous souhaitons "
        "pleine réussite dans vos recherches.\n\n" + _FOOT_FR,
    ),
    ("rejected", "en"): (
        "Your application for {{ offer_title }}",
        "Hello {{ candidate_name }},\n\nThank you for your interest in our organisation. After "
        "careful consideration, we are unable to take your application for {{ offer_title }} "
        "further.\n\nWe wish you every success in your search.\n\n" + _FOOT_EN,
    ),
    ("withdrawn", "fr"): (
        "Retrait de votre candidature au poste {{ offer_title }}",
        "Bonjour {{ candidate_name }},\n\nNous avons bien enregistré le retrait de votre "
        "candidature au poste {{ offer_title }}. Merci de l'intérêt que vous nous avez "
        "porté.\n\n" + _FOOT_FR,
    ),
    ("withdrawn", "en"): (
        "Your application for {{ offer_title }} is withdrawn",
        "Hello {{ candidate_name }},\n\nWe have recorded the withdrawal of your application for "
        "{{ offer_title }}. Thank you for your interest.\n\n" + _FOOT_EN,
    ),
    (INVITATION, "fr"): (
        "Convocation à un entretien : {{ offer_title }}",
        "Bonjour {{ candidate_name }},\n\nNous avons le plaisir de vous convier à un entretien "
        "pour le poste {{ offer_title }}.\n\n" + _WHEN_FR + "\nL'invitation est jointe à ce "
        "message : ajoutez-la à votre agenda.\n\n" + _FOOT_FR,
    ),
    (INVITATION, "en"): (
        "Interview invitation: {{ offer_title }}",
        "Hello {{ candidate_name }},\n\nWe are pleased to invite you to an interview for "
        "{{ offer_title }}.\n\n" + _WHEN_EN + "\nThe invitation is attached: add it to your "
        "calendar.\n\n" + _FOOT_EN,
    ),
    (UPDATE, "fr"): (
        "Entretien modifié : {{ offer_title }}",
        "Bonjour {{ candidate_name }},\n\nVotre entretien pour le poste {{ offer_title }} a "
        "changé. Voici ce qui vaut désormais :\n\n" + _WHEN_FR + "\nL'invitation jointe met à "
        "jour votre agenda.\n\n" + _FOOT_FR,
    ),
    (UPDATE, "en"): (
        "Interview changed: {{ offer_title }}",
        "Hello {{ candidate_name }},\n\nYour interview for {{ offer_title }} has changed. This "
        "is what now holds:\n\n" + _WHEN_EN + "\nThe attached invitation updates your "
        "calendar.\n\n" + _FOOT_EN,
    ),
    (CANCELLATION, "fr"): (
        "Entretien annulé : {{ offer_title }}",
        "Bonjour {{ candidate_name }},\n\nL'entretien du {{ interview_date }} à "
        "{{ interview_time }} pour le poste {{ offer_title }} est annulé. L'annulation jointe "
        "le retire de votre agenda.\n\n" + _FOOT_FR,
    ),
    (CANCELLATION, "en"): (
        "Interview cancelled: {{ offer_title }}",
        "Hello {{ candidate_name }},\n\nThe interview of {{ interview_date }} at "
        "{{ interview_time }} for {{ offer_title }} is cancelled. The attached cancellation "
        "removes it from your calendar.\n\n" + _FOOT_EN,
    ),
}

BAD_SYNTAX = N_("The template cannot be read: %(error)s")
UNKNOWN_PLACEHOLDER = N_("The template uses something that is not a placeholder: %(error)s")
FORBIDDEN = N_("The template tries something templates may not do: %(error)s")
TOO_LONG = N_("This text is too long (at most %(max)s characters).")
REQUIRED = N_("This field is required.")
UNKNOWN_KIND = N_("There is no candidate e-mail of this kind.")


def _environment() -> ImmutableSandboxedEnvironment:
    """The sandbox: no attribute of Python objects, no mutation, unknown names refused."""
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )


_SANDBOX = _environment()


def placeholders_of(kind: str) -> tuple[str, ...]:
    """The placeholders a wording of ``kind`` may use."""
    return PLACEHOLDERS + (INTERVIEW_PLACEHOLDERS if kind in INTERVIEW_KINDS else ())


def render_text(source: str, context: dict[str, str], field: str = "body") -> str:
    """``source`` rendered in the sandbox with ``context`` (strings only).

    Raises RuleBroken naming ``field`` for a template that does not parse, uses an unknown
    placeholder or tries what the sandbox forbids."""
    try:
        return _SANDBOX.from_string(source).render(context)
    except SecurityError as exc:
        raise RuleBroken(FORBIDDEN, field, error=str(exc)) from None
    except TemplateError as exc:
        template = UNKNOWN_PLACEHOLDER if "undefined" in str(exc) else BAD_SYNTAX
        raise RuleBroken(template, field, error=str(exc)) from None


@dataclass(frozen=True)
class Wording:
    """The subject and body templates of one kind in one language."""

    kind: str
    locale: str
    subject: str
    body: str
    customised: bool  # an admin's wording (else the shipped default)


def _check_kind(kind: str, locale: str) -> None:
    if kind not in KINDS or locale not in LOCALES:
        raise NotFound(UNKNOWN_KIND)


def wording(session: Session, kind: str, locale: str) -> Wording:
    """The admins' wording of ``kind`` in ``locale``, else the shipped one."""
    _check_kind(kind, locale)
    row = session.scalar(
        select(CandidateMessageTemplate).where(
            CandidateMessageTemplate.kind == kind, CandidateMessageTemplate.locale == locale
        )
    )
    if row is not None:
        return Wording(kind, locale, row.subject, row.body, True)
    subject, body = DEFAULTS[(kind, locale)]
    return Wording(kind, locale, subject, body, False)


def wordings(session: Session) -> list[Wording]:
    """Every kind in every language, in the order of :data:`KINDS`."""
    return [wording(session, kind, locale) for kind in KINDS for locale in LOCALES]


def sample_context(kind: str, locale: str, settings: Settings) -> dict[str, str]:
    """Example values for a preview, and to check a wording before it is saved."""
    gettext = translations(locale).gettext
    context = {
        "candidate_name": "Camille Durand",
        "first_name": "Camille",
        "offer_title": "Chargé·e de mission" if locale == "fr" else "Project officer",
        "offer_reference": "2026-042",
        "stage": gettext(CANDIDATE_STAGE.get(kind, CANDIDATE_STAGE[S.INTERVIEW.value])),
        "recruiter_name": "Antoine Girard",
        "organisation_name": settings.organisation_name,
        "status_link": settings.base_url.rstrip("/") + "/status/…",
    }
    if kind in INTERVIEW_KINDS:
        context |= {
            "interview_date": format_date(datetime(2026, 3, 12), format="full", locale=locale),
            "interview_time": format_time(datetime(2026, 3, 12, 10, 30), "short", locale=locale),
            "interview_duration": "45",
            "interview_place": "Hôtel de Région, salle 204",
            "interview_video_link": "",
            "interview_panel": "Claire Martin, Antoine Girard",
        }
    return context


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def render_wording(subject: str, body: str, context: dict[str, str]) -> Rendered:
    """Subject and body templates rendered (the subject on one line)."""
    rendered_subject = " ".join(render_text(subject, context, "subject").split())
    return Rendered(rendered_subject[:MAX_SUBJECT], render_text(body, context, "body"))


def validate_wording(
    kind: str, locale: str, subject: str, body: str, settings: Settings
) -> Rendered:
    """Check a wording as an admin typed it; returns its preview. Raises RuleBroken per field."""
    _check_kind(kind, locale)
    for name, value, limit in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        if not value.strip():
            raise RuleBroken(REQUIRED, name)
        if len(value) > limit:
            raise RuleBroken(TOO_LONG, name, max=limit)
    context = sample_context(kind, locale, settings)
    context = {k: v for k, v in context.items() if k in placeholders_of(kind)}
    return render_wording(subject, body, context)


def save_wording(
    session: Session,
    settings: Settings,
    kind: str,
    locale: str,
    subject: str,
    body: str,
    *,
    actor: User,
    now: datetime | None = None,
) -> CandidateMessageTemplate:
    """Save an admin's wording (checked first: a refused one changes nothing)."""
    subject, body = subject.strip(), body.strip()
    validate_wording(kind, locale, subject, body, settings)
    now = now or utcnow()
    row = session.scalar(
        select(CandidateMessageTemplate).where(
            CandidateMessageTemplate.kind == kind, CandidateMessageTemplate.locale == locale
        )
    )
    if row is None:
        row = CandidateMessageTemplate(kind=kind, locale=locale)
        session.add(row)
    row.subject, row.body, row.updated_at, row.updated_by_id = subject, body, now, actor.id
    audit.record(
        session,
        actor,
        "candidate_message.template_saved",
        "template",
        None,
        kind=kind,
        locale=locale,
    )
    return row


def reset_wording(session: Session, kind: str, locale: str, *, actor: User) -> None:
    """Go back to the shipped wording of ``kind`` in ``locale``."""
    _check_kind(kind, locale)
    row = session.scalar(
        select(CandidateMessageTemplate).where(
            CandidateMessageTemplate.kind == kind, CandidateMessageTemplate.locale == locale
        )
    )
    if row is not None:
        session.delete(row)
        audit.record(
            session,
            actor,
            "candidate_message.template_reset",
            "template",
            None,
            kind=kind,
            locale=locale,
        )


# --- writing to a candidate ---------------------------------------------------------------------


def candidate_locale(session: Session, candidate: Candidate, default: str) -> str:
    """The language to write to a candidate in: that of the last e-mail they got (the receipt
    is written in the language they applied in), else ``default``."""
    locale = session.scalar(
        select(Notification.locale)
        .where(
            Notification.recipient_id.is_(None),
            Notification.recipient_email == candidate.email,
            Notification.kind.in_(CANDIDATE_KINDS),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(1)
    )
    return locale if locale in LOCALES else (default if default in LOCALES else DEFAULT_LOCALE)


def context_for(
    application: Application,
    *,
    locale: str,
    settings: Settings,
    recruiter: User | None,
    status_link: str,
    stage: str | None = None,
) -> dict[str, str]:
    """The placeholders' values for one application (plain strings: nothing else to reach)."""
    from referral.privacy.erasure import shown_name

    gettext = translations(locale).gettext
    candidate = application.candidate
    status = stage or application.status
    return {
        "candidate_name": shown_name(candidate, gettext),
        "first_name": candidate.first_name,
        "offer_title": application.offer.title,
        "offer_reference": application.offer.reference or "",
        "stage": gettext(CANDIDATE_STAGE.get(status, status)),
        "recruiter_name": recruiter.full_name if recruiter else "",
        "organisation_name": settings.organisation_name,
        "status_link": status_link,
    }


def interview_context(interview: Interview, locale: str, settings: Settings) -> dict[str, str]:
    """The interview placeholders, in the organisation's time zone."""
    from babel.dates import get_timezone

    local = interview.starts_at.astimezone(get_timezone(settings.timezone))
    return {
        "interview_date": format_date(local, format="full", locale=locale),
        "interview_time": format_time(local, format="short", locale=locale),
        "interview_duration": str(interview.duration_minutes),
        "interview_place": interview.location,
        "interview_video_link": interview.video_url or "",
        "interview_panel": ", ".join(interview.panel or []),
    }


@dataclass(frozen=True)
class Draft:
    """A proposed e-mail for one application, before the recruiter edits or skips it."""

    application: Application
    change: StatusChange | None
    kind: str
    locale: str
    subject: str
    body: str
    key: str
    already_sent: bool


def stage_key(change: StatusChange) -> str:
    """The idempotency key of the e-mail about one move (its Message-ID)."""
    return f"move-{change.id}-{change.application_id}"


def propose(
    session: Session,
    settings: Settings,
    change: StatusChange,
    *,
    recruiter: User | None,
    known: dict[tuple[str, str], Wording] | None = None,
) -> Draft | None:
    """The e-mail proposed to the candidate for the move ``change`` (None when the stage has
    no e-mail, or the candidate's data is erased). ``known`` keeps the wordings read, for a
    page that proposes many."""
    from referral.applications.candidate_status import status_url

    application = change.application
    if change.to_status not in STAGE_KINDS or application.candidate.erased_at is not None:
        return None
    locale = candidate_locale(session, application.candidate, settings.default_locale)
    known = {} if known is None else known
    if (change.to_status, locale) not in known:
        known[change.to_status, locale] = wording(session, change.to_status, locale)
    words = known[change.to_status, locale]
    context = context_for(
        application,
        locale=locale,
        settings=settings,
        recruiter=recruiter,
        status_link=status_url(settings, application),
        stage=change.to_status,
    )
    try:
        rendered = render_wording(words.subject, words.body, context)
    except RuleBroken:
        # A wording saved before a placeholder was renamed: the shipped one still works.
        subject, body = DEFAULTS[(change.to_status, locale)]
        rendered = render_wording(subject, body, context)
    key = stage_key(change)
    return Draft(
        application=application,
        change=change,
        kind=change.to_status,
        locale=locale,
        subject=rendered.subject,
        body=rendered.body,
        key=key,
        already_sent=is_queued(session, key),
    )


def changes(session: Session, ids: list[int]) -> list[StatusChange]:
    """The moves ``ids`` (unknown ones left out), in the order given."""
    found = {
        c.id: c
        for c in session.scalars(
            select(StatusChange)
            .options(
                joinedload(StatusChange.application).joinedload(Application.candidate),
                joinedload(StatusChange.application).joinedload(Application.offer),
            )
            .where(StatusChange.id.in_(ids))
        )
    }
    return [found[i] for i in ids if i in found]


def latest_changes(session: Session, applications: list[Application]) -> list[StatusChange]:
    """The last move of each application (after a bulk move: the move just made)."""
    out = []
    for application in applications:
        change = session.scalar(
            select(StatusChange)
            .where(StatusChange.application_id == application.id)
            .order_by(StatusChange.at.desc(), StatusChange.id.desc())
            .limit(1)
        )
        if change is not None:
            out.append(change)
    return out


def is_queued(session: Session, key: str) -> bool:
    """Whether the message of ``key`` is in the outbox already."""
    message_id = notifications.new_message_id(key)
    return (
        session.scalar(select(Notification.id).where(Notification.message_id == message_id))
        is not None
    )


def send(
    session: Session,
    settings: Settings,
    application: Application,
    *,
    subject: str,
    body: str,
    key: str,
    locale: str,
    kind: str = MESSAGE_KIND,
    now: datetime | None = None,
    attachments: list[tuple[str, str, str]] | None = None,
) -> Notification | None:
    """Queue the e-mail to ``application``'s candidate as written (plain text, not rendered
    again). Returns None when the message of ``key`` is queued already (a double click, a
    retry) or the candidate's data is erased. ``attachments`` are (file name, content type,
    content)."""
    from referral.applications.candidate_status import status_url
    from referral.models import NotificationAttachment

    candidate = application.candidate
    subject = " ".join(subject.split())
    if not subject:
        raise RuleBroken(REQUIRED, "subject")
    if not body.strip():
        raise RuleBroken(REQUIRED, "body")
    if len(subject) > MAX_SUBJECT:
        raise RuleBroken(TOO_LONG, "subject", max=MAX_SUBJECT)
    if len(body) > MAX_BODY:
        raise RuleBroken(TOO_LONG, "body", max=MAX_BODY)
    if candidate.erased_at is not None or is_queued(session, key):
        return None
    row = notifications.notify(
        session,
        kind,
        email=candidate.email,
        name=candidate.full_name,
        locale=locale,
        context={
            "subject": subject,
            "body": body.strip(),
            "organisation_name": settings.organisation_name,
        },
        link=status_url(settings, application),
        now=now,
        message_key=key,
        about=candidate,
    )
    for filename, content_type, content in attachments or []:
        row.attachments.append(
            NotificationAttachment(filename=filename, content_type=content_type, content=content)
        )
    return row


def sent_to(session: Session, candidate: Candidate) -> list[Notification]:
    """The e-mails written to ``candidate`` (receipts, stage e-mails, interviews), newest
    first, with their delivery state."""
    return list(
        session.scalars(
            select(Notification)
            .options(selectinload(Notification.attachments))
            .where(
                Notification.recipient_id.is_(None),
                Notification.recipient_email == candidate.email,
                Notification.kind.in_(CANDIDATE_KINDS),
            )
            .order_by(Notification.created_at.desc(), Notification.id.desc())
        )
    )


def stage_message_for(kind: str) -> bool:
    """Whether a move to ``kind`` proposes an e-mail to the candidate."""
    return kind in STAGE_KINDS
