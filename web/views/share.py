"""Agents share offers: the share panel, personal links per channel, QR codes, "My links"."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from referral import use_cases
from referral.errors import NotFound
from referral.models import Channel, utcnow
from referral.offers import lifecycle as offers
from referral.offers import publicity as offer_publicity
from referral.sharing import links
from referral.sharing.share_images import qr_png, qr_svg
from web.auth_user import staff_required
from web.database import db, settings
from web.errors import refusal_text
from web.unit_of_work import transaction
from web.views.offers import absolute

bp = Blueprint("share", __name__, url_prefix="/agent")

# Channels whose button opens the network's own share page.
EXTERNAL = ("linkedin", "email", "whatsapp", "x", "facebook")


class LinkForm(FlaskForm):
    """The CSRF token of the "get my link", "share" and "revoke" buttons."""


def link_url(link) -> str:
    return absolute("offers.follow_link", code=link.code)


@bp.route("/offers/<int:offer_id>")
@staff_required
def offer(offer_id: int):
    """The agent's view of an offer: personal links per channel, post text, QR code."""
    session = db()
    now = utcnow()
    offer = offers.get_public_offer(session, offer_id, now)
    mine = links.links_for_offer(session, offer, current_user)
    active = {c: link for c, link in mine.items() if link.revoked_at is None}
    urls = {c: link_url(link) for c, link in active.items()}
    text_lang = request.args.get("text_lang") or str(get_locale() or "fr")
    text_lang = text_lang if text_lang in ("fr", "en") else "fr"
    # One text per channel, each with that channel's link, so that a post pasted on WhatsApp
    # counts as WhatsApp, not as LinkedIn.
    post_texts = {
        c: offer_publicity.post_text(offer, text_lang, url) for c, url in urls.items() if c != "qr"
    }
    return render_template(
        "share/offer.html",
        offer=offer,
        is_open=offers.is_open(offer, now),
        channels=[c.value for c in Channel],
        external=EXTERNAL,
        links=mine,
        urls=urls,
        share_urls=links.share_urls(
            urls, offer.title, offer_publicity.post_text(offer, text_lang, None)
        ),
        post_texts=post_texts,
        text_lang=text_lang,
        form=LinkForm(),
    )


@bp.route("/offers/<int:offer_id>/links/<channel>", methods=["POST"])
@staff_required
def take_link(offer_id: int, channel: str):
    """Get (create on first use) the agent's link for a channel; "open" goes on to the network."""
    session = db()
    now = utcnow()
    offer = offers.get_public_offer(session, offer_id, now)
    if channel not in links.CHANNELS:
        raise NotFound("No such channel.")
    back = url_for("share.offer", offer_id=offer.id, _anchor=f"channel-{channel}")
    if not LinkForm().validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
        return redirect(back)
    try:
        with transaction(now) as uow:
            link = use_cases.take_link(uow, offer, channel)
    except offers.OfferNotOpen as exc:
        flash(refusal_text(exc), "error")
        return redirect(back)
    if request.form.get("then") == "open" and channel in EXTERNAL:
        post = offer_publicity.post_text(offer, str(get_locale() or "fr"), None)
        target = links.share_urls({channel: link_url(link)}, offer.title, post)[channel]
        return redirect(target)
    return redirect(back)


@bp.route("/links")
@staff_required
def my_links():
    """The agent's links: people reached, visits, applications and hires, per offer."""
    groups = links.agent_links(db(), current_user)
    return render_template("share/my_links.html", groups=groups, form=LinkForm(), link_url=link_url)


@bp.route("/links/<int:link_id>/revoke", methods=["POST"])
@staff_required
def revoke(link_id: int):
    """Withdraw a link: its address stops working (the counts are kept)."""
    session = db()
    link = links.get_own_link(session, link_id, current_user)
    if LinkForm().validate_on_submit():
        with transaction() as uow:
            use_cases.revoke_link(uow, link)
        flash(_("The link is withdrawn: it no longer leads to the offer."), "success")
    back = request.form.get("back")
    if back == "offer":
        return redirect(url_for("share.offer", offer_id=link.offer_id))
    return redirect(url_for("share.my_links"))


def _qr_link(link_id: int):
    link = links.get_own_link(db(), link_id, current_user)
    if link.revoked_at is not None:
        raise NotFound("This link is withdrawn.")
    return link


@bp.route("/links/<int:link_id>/qr.svg")
@staff_required
def qr_code_svg(link_id: int):
    """The link's QR code as SVG."""
    return Response(qr_svg(link_url(_qr_link(link_id))), mimetype="image/svg+xml")


@bp.route("/links/<int:link_id>/qr.png")
@staff_required
def qr_code_png(link_id: int):
    """The link's QR code as PNG (download)."""
    link = _qr_link(link_id)
    response = Response(qr_png(link_url(link)), mimetype="image/png")
    response.headers["Content-Disposition"] = f'attachment; filename="qr-{link.code}.png"'
    return response


@bp.route("/links/<int:link_id>/poster")
@staff_required
def poster(link_id: int):
    """A printable A4 poster: the offer's title and the QR code of the link."""
    link = _qr_link(link_id)
    offer = offers.get_offer(db(), link.offer_id)
    return render_template(
        "share/poster.html",
        offer=offer,
        link=link,
        url=link_url(link),
        has_logo=settings().organisation_logo is not None,
    )
