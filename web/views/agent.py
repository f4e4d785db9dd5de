"""The agent's space: offers to share, links, referrals."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from referral.models import Offer, utcnow
from referral.offers import scoring
from web.auth_user import staff_required
from web.database import db, settings

bp = Blueprint("agent", __name__, url_prefix="/agent")


@bp.route("/")
@staff_required
def home():
    """Agent home: the offers that fit the agent's network best, then every open offer."""
    offers = (
        db()
        .scalars(
            select(Offer)
            .where(Offer.is_open(utcnow().date()))
            .options(selectinload(Offer.direction))
            .order_by(Offer.published_at.desc(), Offer.id.desc())
            .limit(20)
        )
        .all()
    )
    for_network = scoring.offers_for_agent(db(), current_user, settings(), limit=3)
    return render_template("agent/home.html", offers=offers, for_network=for_network)
