"""The public careers site: home page and privacy notice (offers live in offers views)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, send_file, send_from_directory
from sqlalchemy import select

from referral.config import LOGO_TYPES
from referral.models import Offer, utcnow
from web.auth_user import public
from web.database import db, settings

bp = Blueprint("public", __name__)


@bp.route("/")
@public
def index():
    """Careers home: the latest published offers."""
    offers = (
        db()
        .scalars(
            select(Offer)
            .where(Offer.is_open(utcnow().date()))
            .order_by(Offer.published_at.desc(), Offer.id.desc())
            .limit(6)
        )
        .all()
    )
    return render_template("public/index.html", offers=offers)


@bp.route("/privacy")
@public
def privacy():
    """The privacy notice: what is kept about candidates, why, for how long, and their rights."""
    conf = settings()
    return render_template(
        "public/privacy.html",
        retention_months=conf.retention_months,
        max_upload_mb=f"{conf.max_upload_mb:g}",
        referral_window_days=conf.referral_window_days,
        reply_to=conf.reply_to_address,
    )


@bp.route("/favicon.ico")
@public
def favicon():
    """The site's icon, for browsers and feed readers that ask for it at the root."""
    return send_from_directory(
        current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )


@bp.route("/organisation-logo")
@public
def organisation_logo():
    """The organisation's logo (``RELAIS_ORGANISATION_LOGO``), shown on the QR posters."""
    logo = settings().organisation_logo
    if logo is None:
        abort(404)
    return send_file(logo, mimetype=LOGO_TYPES[logo.suffix.lower()], max_age=86400)
