"""The public careers site: offers search, offer pages, their preview images, and ``/r/<code>``."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from referral.models import Category, ContractType, OfferStatus, RemoteWork, utcnow
from referral.offers import lifecycle as offers
from referral.offers import publicity as offer_publicity
from referral.offers import rich_text
from referral.offers import search as offer_search
from referral.sharing import following, links
from referral.sharing.share_images import cached_offer_card
from referral.sharing.touches import COOKIE_NAME
from web import attribution_cookie
from web.auth_user import public
from web.database import db, settings
from web.extensions import limiter
from web.offer_labels import slug as _slug
from web.unit_of_work import transaction

bp = Blueprint("offers", __name__)

CODE_PATTERN = re.compile(rf"^[{links.ALPHABET}]{{6,16}}$")


def absolute(endpoint: str, **values) -> str:
    """An absolute URL on the configured public address (never the request's Host)."""
    return settings().base_url.rstrip("/") + url_for(endpoint, **values)


def _paragraphs(text: str) -> Markup:
    """Plain text as escaped HTML paragraphs (line breaks kept)."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text or "") if b.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.splitlines()))
        for b in blocks
    )


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.route("/offers")
@public
def search():
    """The published offers: full-text search, filters, pagination."""
    choices = {
        "category": [c.value for c in Category],
        "contract_type": [c.value for c in ContractType],
        "remote_work": [r.value for r in RemoteWork],
    }
    filters = offer_search.Filters(
        q=request.args.get("q", "")[:200].strip(),
        direction_id=_int_arg("direction"),
        location=request.args.get("location", "")[:200],
        **{
            name: value if (value := request.args.get(name, "")) in allowed else ""
            for name, allowed in choices.items()
        },
    )
    session = db()
    page = offer_search.search_public(session, filters, page=_int_arg("page") or 1)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "offers/search.html",
        page=page,
        filters=filters,
        args=args,
        choices=choices,
        menus=offer_search.filter_choices(session),
    )


def render_offer_page(
    offer, *, share_url: str | None = None, ref: str | None = None, preview: bool = False, **extra
):
    """The offer page with its Open Graph tags, Twitter card and JobPosting JSON-LD."""
    session = db()
    now = utcnow()
    canonical = absolute("offers.offer_page", offer_id=offer.id, slug=_slug(offer.title))
    is_open = offers.is_open(offer, now)
    description = "\n\n".join(
        part
        for part in (
            (offer.description or "").strip(),
            rich_text.to_text(offer.missions),
            rich_text.to_text(offer.profile),
        )
        if part
    )
    posting = offer_publicity.job_posting(
        offer,
        organisation=settings().organisation_name,
        url=canonical,
        description=description,
        region=settings().organisation_region,
    )
    summary = " ".join(
        (offer.description or rich_text.to_text(offer.missions) or offer.title).split()
    )
    return render_template(
        "offers/offer.html",
        offer=offer,
        is_open=is_open,
        canonical=canonical,
        og_url=share_url or canonical,
        og_image=absolute("offers.offer_image", offer_id=offer.id),
        og_description=summary[:297] + ("…" if len(summary) > 297 else ""),
        posting=posting if is_open else None,
        similar=[]
        if is_open or preview or offer.status == OfferStatus.DRAFT.value
        else offer_search.similar_open_offers(session, offer, now),
        paragraphs=_paragraphs,
        ref=ref,
        preview=preview,
        **extra,
    )


@bp.route("/offers/<int:offer_id>")
@public
def offer_short(offer_id: int):
    """An offer's address without its slug: moved permanently to the full one."""
    offer = offers.get_public_offer(db(), offer_id, utcnow())
    return redirect(url_for("offers.offer_page", offer_id=offer.id, slug=_slug(offer.title)), 301)


@bp.route("/offers/<int:offer_id>-<slug>")
@public
def offer_page(offer_id: int, slug: str):
    """An offer's public page (a closed one says so and lists similar open offers)."""
    offer = offers.get_public_offer(db(), offer_id, utcnow())
    ref = request.args.get("ref", "")
    ref = ref if CODE_PATTERN.match(ref) else None
    right = _slug(offer.title)
    if slug != right:
        return redirect(url_for("offers.offer_page", offer_id=offer.id, slug=right, ref=ref), 301)
    return render_offer_page(offer, ref=ref)


@bp.route("/offers/<int:offer_id>/card.png")
@public
def offer_image(offer_id: int):
    """The offer's 1200×627 preview image (og:image), generated once and kept on disk."""
    offer = offers.get_public_offer(db(), offer_id, utcnow())
    path = cached_offer_card(
        settings().instance_path / "og",
        offer.id,
        offer.title,
        offer.direction.name if offer.direction else "",
        settings().organisation_name,
        _("We are hiring"),
    )
    return send_file(path, mimetype="image/png", max_age=3600)


def _is_link_owner(agent_id: int) -> bool:
    # Only look the user up when a sign-in cookie is there: anonymous visits cost no query.
    if "_user_id" not in session and "remember_token" not in request.cookies:
        return False
    return bool(current_user.is_authenticated and current_user.id == agent_id)


@bp.route("/r/<code>")
@limiter.exempt
@public
def follow_link(code: str):
    """A share link: crawlers get the offer page, people are counted once a day and redirected."""
    session_ = db()
    target = links.resolve_code(session_, code)
    if target is None:
        return render_template("offers/link_not_found.html"), 404
    now = utcnow()
    config = settings()
    decided = following.follow(
        target,
        secret=config.secret_key,
        window_days=config.attribution_window_days,
        now=now,
        user_agent=request.headers.get("User-Agent", ""),
        address=request.remote_addr or "",
        referrer=request.referrer,
        attribution=request.cookies.get(COOKIE_NAME),
        head=request.method == "HEAD",
        by_owner=_is_link_owner(target.agent_id),
    )
    # Counting a visit is the one write a GET makes here (the reason of the share link).
    if decided.visitor is not None:
        with transaction(now) as uow:
            following.record(uow.session, decided, now)
    if decided.bot:
        offer = offers.get_public_offer(session_, target.offer_id, now)
        return render_offer_page(offer, share_url=absolute("offers.follow_link", code=code))
    response = redirect(
        url_for(
            "offers.offer_page",
            offer_id=target.offer_id,
            slug=_slug(target.offer_title),
            ref=decided.ref,
        ),
        302,
    )
    response.headers["Cache-Control"] = "no-store"
    if decided.attribution is not None:
        attribution_cookie.set_on(response, config, decided.attribution, now)
    return response
