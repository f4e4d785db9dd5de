"""Who gets the credit for an application: the one place where attribution is decided.

In order:

1. Staff never credit anyone: a signed-in member of staff, or an e-mail of a staff account,
   applies as internal mobility (source ``internal``, no agent).
2. A direct referral of this person for this offer: the one of the personal invitation link
   when the person came through it, else the live referral of their e-mail.
3. A share link: from the attribution cookie and from ``?ref=<code>`` on the apply address
   (a touch "now"), the last touch within the window by default, the first one when
   ``RELAIS_ATTRIBUTION_MODEL=first``. Links to this offer come first; a link to another
   offer still credits the agent who brought the person to the careers site. Revoked and
   unknown codes are ignored, and so is a link of the candidate themself.
4. Else the careers site, with no agent.

A deactivated agent is never credited, but what they did is not erased: a direct referral
of theirs, or a share link of theirs that is not revoked, still gives the application its
source (``referral`` or ``share_link``) and records the referral or link, with no credited
agent and a reason that says why ("…, whose account is deactivated: no credit"). Among share
links, those of active agents come first, so a colleague who also brought the person gets
the credit. The decision is taken once, when the person applies: reactivating the agent later
does not credit them for what came in meanwhile (credits are a ledger of milestones, and a
credit must not depend on when an admin clicked). Deactivation does not revoke the links:
what the agent shared keeps leading candidates to the offer; revoking (by the agent, or by
the offer closing) is what kills a link, and revoked links are ignored as above.

The reason is stored as an English sentence built from a fixed set of patterns, so that it
reads well in a raw export; :func:`describe` turns it into the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from referral.config import Settings
from referral.labels import CHANNEL_LINK_WORDS
from referral.models import (
    ApplicationSource,
    Offer,
    Referral,
    ReferralStatus,
    ShareLink,
    User,
)
from referral.sharing.touches import Touch, pick


def N_(message: str) -> str:  # noqa: N802 - the conventional name of a gettext no-op marker
    """Mark a string for the catalogue without translating it here (translated at display)."""
    return message


REASONS = {
    "referral": N_("direct referral by %(agent)s"),
    "referral_inactive": N_(
        "direct referral by %(agent)s, whose account is deactivated: no credit"
    ),
    "link_inactive": N_("%(channel)s link of %(agent)s, whose account is deactivated: no credit"),
    "link_today": N_("%(channel)s link of %(agent)s visited today"),
    "link_one_day": N_("%(channel)s link of %(agent)s visited 1 day before"),
    "link_days": N_("%(channel)s link of %(agent)s visited %(days)s days before"),
    "internal": N_("internal mobility: a member of staff applied"),
    "none": N_("no referral"),
}


@dataclass(frozen=True)
class Attribution:
    source: str
    agent: User | None = None
    share_link: ShareLink | None = None
    referral: Referral | None = None
    internal_mobility: bool = False
    reason: str = REASONS["none"]


def _sentence(key: str, **params: object) -> str:
    return REASONS[key] % params


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", template)
    regex = ""
    for index, part in enumerate(parts):
        regex += f"(?P<{part}>.+?)" if index % 2 else re.escape(part)
    return re.compile(regex + r"\Z")


_PATTERNS = [(template, _pattern(template)) for template in REASONS.values()]


def describe(reason: str, gettext: Callable[..., str]) -> str:
    """The stored reason in the reader's language (``gettext`` of the web layer).

    An unknown sentence (typed by hand, or from an older version) is shown as it is.
    """
    for template, pattern in _PATTERNS:
        match = pattern.match(reason or "")
        if match:
            params = match.groupdict()
            if "channel" in params and params["channel"] in CHANNEL_LINK_WORDS.values():
                params["channel"] = gettext(params["channel"])
            return gettext(template, **params) if params else gettext(template)
    return reason


def is_staff_email(session: Session, email: str) -> bool:
    return (
        session.scalar(select(User.id).where(func.lower(User.email) == email.strip().lower()))
        is not None
    )


def find_invitation(session: Session, token: str | None, offer_id: int) -> Referral | None:
    """The live referral behind a personal apply link for this offer, if any."""
    if not token:
        return None
    referral = session.scalar(
        select(Referral).options(joinedload(Referral.agent)).where(Referral.token == token)
    )
    if (
        referral is None
        or referral.offer_id != offer_id
        or referral.status == ReferralStatus.SUPERSEDED
        or not referral.agent.active
    ):
        return None
    return referral


def live_referral(session: Session, offer_id: int, email: str, now: datetime) -> Referral | None:
    """The referral that owns this person for this offer now (inside its window)."""
    return session.scalar(
        select(Referral)
        .options(joinedload(Referral.agent))
        .where(
            Referral.offer_id == offer_id,
            Referral.email == email,
            Referral.status != ReferralStatus.SUPERSEDED,
            Referral.expires_at > now,
        )
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(1)
    )


def _links(session: Session, codes: set[str]) -> dict[str, ShareLink]:
    """The links of ``codes`` that are not revoked (of active and deactivated agents)."""
    if not codes:
        return {}
    rows = session.scalars(
        select(ShareLink)
        .options(joinedload(ShareLink.agent))
        .where(ShareLink.code.in_(codes), ShareLink.revoked_at.is_(None))
    )
    return {link.code: link for link in rows}


def attribute(
    session: Session,
    settings: Settings,
    *,
    offer: Offer,
    email: str,
    touches: list[Touch],
    ref_code: str | None,
    invite_token: str | None,
    staff_user: User | None,
    now: datetime,
) -> Attribution:
    """Decide the source, the credited agent and the reason of an application (see above)."""
    if staff_user is not None or is_staff_email(session, email):
        return Attribution(
            source=ApplicationSource.INTERNAL.value,
            internal_mobility=True,
            reason=_sentence("internal"),
        )
    referral = find_invitation(session, invite_token, offer.id) or live_referral(
        session, offer.id, email, now
    )
    if referral is not None and referral.agent.email.lower() != email:
        if not referral.agent.active:
            return Attribution(
                source=ApplicationSource.REFERRAL.value,
                referral=referral,
                reason=_sentence("referral_inactive", agent=referral.agent.full_name),
            )
        return Attribution(
            source=ApplicationSource.REFERRAL.value,
            agent=referral.agent,
            referral=referral,
            reason=_sentence("referral", agent=referral.agent.full_name),
        )
    winner = winning_link(
        session, settings, offer=offer, touches=touches, ref_code=ref_code, now=now, email=email
    )
    if winner is None:
        return Attribution(source=ApplicationSource.CAREERS.value, reason=_sentence("none"))
    touch, link = winner
    days = max(0, (now - touch.at).days)
    params = {
        "channel": CHANNEL_LINK_WORDS.get(link.channel, link.channel),  # type: ignore[call-overload]
        "agent": link.agent.full_name,
    }
    if not link.agent.active:
        return Attribution(
            source=ApplicationSource.SHARE_LINK.value,
            share_link=link,
            reason=_sentence("link_inactive", **params),
        )
    if days == 0:
        reason = _sentence("link_today", **params)
    elif days == 1:
        reason = _sentence("link_one_day", **params)
    else:
        reason = _sentence("link_days", days=days, **params)
    return Attribution(
        source=ApplicationSource.SHARE_LINK.value, agent=link.agent, share_link=link, reason=reason
    )


def winning_link(
    session: Session,
    settings: Settings,
    *,
    offer: Offer,
    touches: list[Touch],
    ref_code: str | None,
    now: datetime,
    email: str = "",
) -> tuple[Touch, ShareLink] | None:
    """The share link an application would be credited to (with the visit that counts), when
    no direct referral comes first; the apply form uses it to tell the candidate whose link
    they came through."""
    candidates = list(touches)
    if ref_code:
        candidates.append(Touch(ref_code.strip()[:16], now))
    candidates.sort(key=lambda t: t.at)
    links = _links(session, {t.code for t in candidates})
    valid = [
        t for t in candidates if t.code in links and links[t.code].agent.email.lower() != email
    ]
    active = [t for t in valid if links[t.code].agent.active]
    touch = _pick_link(active, links, offer, settings) or _pick_link(valid, links, offer, settings)
    return (touch, links[touch.code]) if touch is not None else None


def _pick_link(
    touches: list[Touch], links: dict[str, ShareLink], offer: Offer, settings: Settings
) -> Touch | None:
    """The touch that wins among ``touches``: links to this offer first, then the model."""
    same_offer = [t for t in touches if links[t.code].offer_id == offer.id]
    return pick(same_offer or touches, settings.attribution_model)
