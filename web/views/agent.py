"""The agent's space: offers to share, links, referrals."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from referral.models import Offer, OfferStatus
from web.auth_user import staff_required
from web.database import db

bp = Blueprint("agent", __name__, url_prefix="/agent")


@bp.route("/")
@staff_required
def home():
    """Agent home: the open offers to share."""
    offers = (
        db()
        .scalars(
            select(Offer)
            .where(Offer.status == OfferStatus.PUBLISHED.value)
            .order_by(Offer.published_at.desc(), Offer.id.desc())
            .limit(20)
        )
        .all()
    )
    return render_template("agent/home.html", offers=offers)
