"""Share links: an agent's personal, trackable link to an offer for one channel.

A link is created on first use (one per offer, agent and channel: a database constraint, so
two concurrent first uses end with the same link) and stays stable afterwards. Its public
address is ``/r/<code>``, the code drawn from :mod:`secrets` over an alphabet without
look-alike characters. What a code leads to is read here (:func:`resolve_code`); the visits
it brings are recorded by :mod:`referral.sharing.visit_writer`.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote, urlencode

from sqlalchemy import (
    bindparam,
    event,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from referral import audit
from referral.errors import Forbidden, NotFound
from referral.models import (
    Application,
    ApplicationStatus,
    Channel,
    Offer,
    ShareLink,
    User,
    utcnow,
)
from referral.offers.lifecycle import N_, OfferNotOpen, is_open

# No 0/O/o, no 1/l/I: a code read aloud or copied from a poster cannot be mistyped.
ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10
CHANNELS = tuple(c.value for c in Channel)


def new_code(length: int = CODE_LENGTH) -> str:
    """A fresh, unguessable link code (56^10 ≈ 3·10^17 possibilities)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


# --- links ------------------------------------------------------------------------------------


def find_active_link(session: Session, code: str) -> ShareLink | None:
    """The link with this code, unless it is unknown or revoked."""
    if not code or len(code) > 16:
        return None
    return session.scalar(
        select(ShareLink).where(ShareLink.code == code, ShareLink.revoked_at.is_(None))
    )


def _find(session: Session, offer_id: int, agent_id: int, channel: str) -> ShareLink | None:
    return session.scalar(
        select(ShareLink).where(
            ShareLink.offer_id == offer_id,
            ShareLink.agent_id == agent_id,
            ShareLink.channel == channel,
        )
    )


def get_or_create_link(
    session: Session, offer: Offer, agent: User, channel: str, now: datetime | None = None
) -> ShareLink:
    """The agent's link to ``offer`` for ``channel``, created on first use.

    A revoked link gets a new code (the old one stays dead). New links only for open offers.
    Safe under concurrency: the unique (offer, agent, channel) constraint makes the loser of a
    race re-read the winner's link.
    """
    now = now or utcnow()
    if channel not in CHANNELS:
        raise NotFound(N_("No such channel."))
    link = _find(session, offer.id, agent.id, channel)
    if link is not None and link.revoked_at is None:
        return link
    if not is_open(offer, now):
        raise OfferNotOpen(N_("This offer is closed: it can no longer be shared."))
    if link is not None:  # renew a revoked link
        link.code = new_code()
        link.revoked_at = None
        session.flush()
        return link
    for _attempt in range(5):
        link = ShareLink(
            code=new_code(), offer_id=offer.id, agent_id=agent.id, channel=channel, created_at=now
        )
        try:
            with session.begin_nested():
                session.add(link)
                session.flush()
            return link
        except IntegrityError:
            existing = _find(session, offer.id, agent.id, channel)
            if existing is not None:
                return existing
            # else two codes collided: draw another one
    raise OfferNotOpen(N_("Could not create the link; try again."))


def links_for_offer(session: Session, offer: Offer, agent: User) -> dict[str, ShareLink]:
    """The agent's existing links to ``offer``, by channel."""
    rows = session.scalars(
        select(ShareLink).where(ShareLink.offer_id == offer.id, ShareLink.agent_id == agent.id)
    )
    return {link.channel: link for link in rows}


def get_own_link(session: Session, link_id: int, agent: User) -> ShareLink:
    link = session.get(ShareLink, link_id)
    if link is None:
        raise NotFound(N_("No such link."))
    if link.agent_id != agent.id:
        raise Forbidden(N_("This is not your link."))
    return link


def revoke(session: Session, link: ShareLink, agent: User, now: datetime | None = None) -> None:
    """Kill the link's code: ``/r/<code>`` answers 404 from now on. Counts are kept."""
    if link.agent_id != agent.id:
        raise Forbidden(N_("This is not your link."))
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
        audit.record(session, agent, "link.revoke", "share_link", link.id, code=link.code)


@dataclass
class LinkRow:
    link: ShareLink
    applications: int = 0
    hires: int = 0


@dataclass
class OfferLinks:
    offer: Offer
    rows: list[LinkRow]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "people": sum(r.link.people_count for r in self.rows),
            "visits": sum(r.link.visits_count for r in self.rows),
            "applications": sum(r.applications for r in self.rows),
            "hires": sum(r.hires for r in self.rows),
        }


def agent_links(session: Session, agent: User) -> list[OfferLinks]:
    """The agent's links grouped by offer with people, visits, applications, hires (2 queries)."""
    links = list(
        session.scalars(
            select(ShareLink)
            .where(ShareLink.agent_id == agent.id)
            .options(joinedload(ShareLink.offer).joinedload(Offer.direction))
            .order_by(ShareLink.offer_id.desc(), ShareLink.channel)
        )
    )
    counts: dict[int, LinkRow] = {link.id: LinkRow(link) for link in links}
    if links:
        rows = session.execute(
            select(Application.share_link_id, Application.status, func.count(Application.id))
            .where(Application.share_link_id.in_(list(counts)))
            .group_by(Application.share_link_id, Application.status)
        )
        for link_id, status, count in rows:
            counts[link_id].applications += int(count)
            if status == ApplicationStatus.HIRED.value:
                counts[link_id].hires += int(count)
    grouped: dict[int, OfferLinks] = {}
    for link in links:
        grouped.setdefault(link.offer_id, OfferLinks(link.offer, [])).rows.append(counts[link.id])
    return list(grouped.values())


# --- what each channel opens ------------------------------------------------------------------


def share_urls(link_urls: dict[str, str], title: str, text: str) -> dict[str, str]:
    """The address each channel's button opens, each with that channel's own link."""
    urls: dict[str, str] = {}
    if "linkedin" in link_urls:
        urls["linkedin"] = "https://www.linkedin.com/sharing/share-offsite/?" + urlencode(
            {"url": link_urls["linkedin"]}
        )
    if "email" in link_urls:
        body = f"{text}\n\n{link_urls['email']}"
        urls["email"] = f"mailto:?subject={quote(title)}&body={quote(body)}"
    if "whatsapp" in link_urls:
        urls["whatsapp"] = "https://wa.me/?" + urlencode(
            {"text": f"{text}\n{link_urls['whatsapp']}"}
        )
    if "x" in link_urls:
        urls["x"] = "https://twitter.com/intent/tweet?" + urlencode(
            {"text": title, "url": link_urls["x"]}
        )
    if "facebook" in link_urls:
        urls["facebook"] = "https://www.facebook.com/sharer/sharer.php?" + urlencode(
            {"u": link_urls["facebook"]}
        )
    return urls


# --- what /r/<code> leads to -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What ``/r/<code>`` needs of a link and its offer (one indexed lookup)."""

    link_id: int
    agent_id: int
    offer_id: int
    offer_title: str
    offer_status: str
    closing_date: date | None
    code: str


# Core statements on the tables (no ORM unit of work on the hot path), compiled once.
_links = ShareLink.__table__
_offers = Offer.__table__

_RESOLVE = (
    select(
        _links.c.id,
        _links.c.agent_id,
        _links.c.offer_id,
        _offers.c.title,
        _offers.c.status,
        _offers.c.closing_date,
    )
    .join(_offers, _offers.c.id == _links.c.offer_id)
    .where(_links.c.code == bindparam("code"), _links.c.revoked_at.is_(None))
)


# How long a process may answer ``/r/<code>`` from the link and offer it read before: a link
# revoked or an offer closed by another process shows within this time; in the process that
# made the change, at once (see _count_link_changes).
TARGET_CACHE_S = 1.0
TARGET_CACHE_SIZE = 20_000
_link_changes = 0  # committed transactions of this process that changed a link or an offer


@event.listens_for(Session, "after_flush")
def _note_link_changes(session: Session, _context) -> None:
    changed = itertools.chain(session.dirty, session.deleted)
    if any(isinstance(obj, ShareLink | Offer) for obj in changed):
        session.info["relais_link_changes"] = True


@event.listens_for(Session, "after_commit")
def _count_link_changes(session: Session) -> None:
    global _link_changes
    if session.info.pop("relais_link_changes", False):
        _link_changes += 1


@event.listens_for(Session, "after_soft_rollback")
def _drop_link_changes(session: Session, _previous_transaction) -> None:
    session.info.pop("relais_link_changes", None)


def resolve_code(session: Session, code: str) -> LinkTarget | None:
    """The active link of ``code`` and its offer's status, or None (unknown or revoked)."""
    if not code or len(code) > 16:
        return None
    row = session.execute(_RESOLVE, {"code": code}).first()
    if row is None:
        return None
    return LinkTarget(*row, code)
