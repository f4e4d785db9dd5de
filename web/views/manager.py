"""The hiring manager's space: their offers."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from referral.models import Offer, Role
from web.auth_user import roles_required
from web.database import db

bp = Blueprint("manager", __name__, url_prefix="/manager")


@bp.route("/")
@roles_required(Role.MANAGER)
def home():
    """Manager home: the offers they manage."""
    offers = (
        db()
        .scalars(
            select(Offer)
            .where(Offer.hiring_manager_id == current_user.id)
            .order_by(Offer.created_at.desc())
        )
        .all()
    )
    return render_template("manager/home.html", offers=offers)
