"""Following a share link (``/r/<code>``): which visit is counted, and what is remembered.

Two callers answer ``/r/<code>``: the web's fast path (``web/fastlinks.py``, a WSGI layer for
the common case, a person's GET) and the view (``web/views/offers.py``: crawlers, HEAD, signed-in
visitors, unknown links, errors of the fast path). Both ask :func:`follow` what to do, so that
the rules are written once: a crawler's visit is counted as a bot's and gets the offer page; a
person's visit is counted unless it is a HEAD request or the link's owner; the visitor is
recognised for one day by a keyed hash; the attribution cookie gains this link as its last
touch only for a counted visit to an open offer; the offer page is given the link's code (the
apply form's ``ref``) only while the offer is open.

``follow`` reads and writes nothing: the caller writes the visit (the fast path through the
visit journal, the view with :func:`record` on its session) and the cookie (one web helper).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from referral.models import Offer
from referral.sharing import visit_writer
from referral.sharing.links import LinkTarget
from referral.sharing.touches import add_touch

# The Python side of the one rule ``Offer.is_open`` (published, not past its closing date),
# applied to the status and closing date that the link lookup read (no Offer row is loaded on
# the hot path).
_offer_is_open = Offer.__dict__["is_open"].func


class _OfferState(NamedTuple):
    status: str
    closing_date: date | None


class Following(NamedTuple):
    """What following a link does: the visit to write (if any), where to go, the cookie.

    A named tuple: it is built on every visit, and costs less than a frozen dataclass."""

    target: LinkTarget
    bot: bool
    # The visit to write: the visitor's hash for the day, or None when nothing is counted.
    visitor: str | None
    referrer_host: str | None
    offer_open: bool
    # The code the offer page carries (``?ref=``), only while the offer is open.
    ref: str | None
    # The attribution cookie's new value, or None to leave it as it is.
    attribution: str | None


def referrer_host(referrer: str | None) -> str | None:
    """The host of the page the visitor came from (``Referer``), if any and well formed."""
    if not referrer:
        return None
    try:
        host = urlsplit(referrer).hostname
    except ValueError:
        return None
    return host[:255] if host else None


def follow(
    target: LinkTarget,
    *,
    secret: str,
    window_days: int,
    now: datetime,
    user_agent: str,
    address: str,
    referrer: str | None,
    attribution: str | None,
    head: bool = False,
    by_owner: bool = False,
) -> Following:
    """Decide what a request on an active link counts and remembers (see the module).

    ``attribution`` is the cookie the visitor sent; ``head`` a HEAD request (never counted);
    ``by_owner`` the link's own agent, signed in (not counted: sharing checks are not visits).
    """
    bot = visit_writer.is_bot(user_agent)
    counted = not head and (bot or not by_owner)
    visitor = (
        visit_writer.visitor_hash(secret, now.date(), address, user_agent) if counted else None
    )
    is_open = _offer_is_open(_OfferState(target.offer_status, target.closing_date), now.date())
    remember = counted and not bot and is_open
    return Following(
        target=target,
        bot=bot,
        visitor=visitor,
        referrer_host=None if bot or not counted else referrer_host(referrer),
        offer_open=is_open,
        ref=target.code if is_open else None,
        attribution=add_touch(secret, attribution, target.code, now, window_days)
        if remember
        else None,
    )


def record(session: Session, following: Following, now: datetime) -> bool:
    """Write the visit ``following`` decided on the session (the caller commits); True when
    it is a new person. Nothing is written when nothing is counted."""
    if following.visitor is None:
        return False
    return visit_writer.record_visit(
        session,
        following.target.link_id,
        following.visitor,
        bot=following.bot,
        referrer_host=following.referrer_host,
        now=now,
    )
