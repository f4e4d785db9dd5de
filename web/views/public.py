"""The public careers site: home page and privacy notice (offers live in offers views)."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

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
