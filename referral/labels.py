"""The one name of every value of the domain's vocabularies, keyed by their enums.

A channel, a source, a contract type, a status… is called the same on every page, in every
export and e-mail: here, once. The names are English message ids marked with ``N_``; whoever
shows one translates it (``web`` with the reader's ``gettext``, an e-mail with its
recipient's catalogue). ``tests/referral/test_labels.py`` checks that each value of each
vocabulary has exactly one name.

Besides its name, a channel has the word that qualifies a link in a sentence ("your e-mail
link"): :data:`CHANNEL_LINK_WORDS`. It is a grammatical form, not another name, and it is
part of the attribution sentences stored with each application (``referral/applications/attribution.py``
reads them back with it), so it does not change with the names.
"""

from __future__ import annotations

from enum import StrEnum

from referral.messages import N_
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

LABELS: dict[type[StrEnum], dict[StrEnum, str]] = {
    Channel: {
        Channel.LINKEDIN: N_("LinkedIn"),
        Channel.EMAIL: N_("Email"),
        Channel.WHATSAPP: N_("WhatsApp"),
        Channel.X: N_("X"),
        Channel.FACEBOOK: N_("Facebook"),
        Channel.COPY: N_("Copied link"),
        Channel.QR: N_("QR code"),
    },
    ApplicationSource: {
        ApplicationSource.SHARE_LINK: N_("Share link"),
        ApplicationSource.REFERRAL: N_("Direct referral"),
        ApplicationSource.CAREERS: N_("Careers site"),
        ApplicationSource.INTERNAL: N_("Internal mobility"),
    },
    ContractType: {
        ContractType.PERMANENT: N_("Permanent position"),
        ContractType.FIXED_TERM: N_("Fixed-term contract"),
        ContractType.APPRENTICESHIP: N_("Apprenticeship"),
        ContractType.INTERNSHIP: N_("Internship"),
        ContractType.TEMPORARY: N_("Temporary or replacement"),
    },
    EmploymentNature: {
        EmploymentNature.FONCTIONNAIRE: N_("Civil servant"),
        EmploymentNature.CONTRACTUEL: N_("Contract staff"),
        EmploymentNature.BOTH: N_("Civil servant or contract staff"),
    },
    Versant: {
        Versant.ETAT: N_("State civil service"),
        Versant.TERRITORIALE: N_("Local civil service"),
        Versant.HOSPITALIERE: N_("Hospital civil service"),
    },
    Category: {
        Category.A: N_("Category A"),
        Category.B: N_("Category B"),
        Category.C: N_("Category C"),
    },
    RemoteWork: {
        RemoteWork.NONE: N_("No remote work"),
        RemoteWork.PARTIAL: N_("Partial remote work"),
        RemoteWork.FULL: N_("Full remote work"),
    },
    WorkingTime: {WorkingTime.FULL: N_("Full time"), WorkingTime.PART: N_("Part time")},
    PayUnit: {
        PayUnit.MONTH: N_("per month"),
        PayUnit.YEAR: N_("per year"),
        PayUnit.HOUR: N_("per hour"),
    },
    OfferStatus: {
        OfferStatus.DRAFT: N_("Draft"),
        OfferStatus.PUBLISHED: N_("Published"),
        OfferStatus.CLOSED: N_("Closed"),
        OfferStatus.FILLED: N_("Filled"),
    },
    # The stages of an application, for every page and export.
    ApplicationStatus: {
        ApplicationStatus.NEW: N_("New"),
        ApplicationStatus.SCREENING: N_("Screening"),
        ApplicationStatus.INTERVIEW: N_("Interview"),
        ApplicationStatus.OFFER: N_("Offer made"),
        ApplicationStatus.HIRED: N_("Recruited"),
        ApplicationStatus.REJECTED: N_("Rejected"),
        ApplicationStatus.WITHDRAWN: N_("Withdrawn"),
    },
    Milestone: {
        Milestone.APPLIED: N_("Applied"),
        Milestone.SHORTLISTED: N_("Shortlisted"),
        Milestone.INTERVIEW: N_("Interview"),
        Milestone.HIRED: N_("Hired"),
    },
    Role: {
        Role.ADMIN: N_("Administrator"),
        Role.RECRUITER: N_("Recruiter"),
        Role.MANAGER: N_("Hiring manager"),
        Role.AGENT: N_("Agent"),
    },
    NotificationStatus: {
        NotificationStatus.PENDING: N_("Waiting to be sent"),
        NotificationStatus.HELD: N_("Held for a digest"),
        NotificationStatus.SENT: N_("Sent"),
        NotificationStatus.FAILED: N_("Failed"),
        NotificationStatus.IN_APP: N_("Inbox only"),
    },
    TrainingAudience: {
        TrainingAudience.DGA: N_("Deputy directors-general (DGA)"),
        TrainingAudience.DIRECTORS: N_("Directors"),
        TrainingAudience.AGENTS: N_("Agents"),
    },
}

# The channel qualifying "link" inside a sentence ("through your e-mail link").
CHANNEL_LINK_WORDS: dict[Channel, str] = {
    Channel.LINKEDIN: N_("LinkedIn"),
    Channel.EMAIL: N_("e-mail"),
    Channel.WHATSAPP: N_("WhatsApp"),
    Channel.X: N_("X"),
    Channel.FACEBOOK: N_("Facebook"),
    Channel.COPY: N_("copied"),
    Channel.QR: N_("QR code"),
}


def label(value: StrEnum) -> str:
    """The name (English message id) of ``value``; raises KeyError for a vocabulary without
    names, so that a new one cannot be shown unnamed by mistake."""
    return LABELS[type(value)][value]


def label_of(vocabulary: type[StrEnum], value: str | None) -> str:
    """The name of the stored string ``value`` of ``vocabulary``; ``value`` itself when it is
    not one of its values (a row older than the vocabulary), "" for None."""
    if value is None:
        return ""
    try:
        return LABELS[vocabulary][vocabulary(value)]
    except ValueError:
        return value


def names(vocabulary: type[StrEnum]) -> dict[str, str]:
    """Stored value -> name, in the vocabulary's order (for a select field or a table)."""
    return {member.value: text for member, text in LABELS[vocabulary].items()}
