"""The recruiters' space: every offer, shortlists, candidates."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from referral.models import Offer, Role
from web.auth_user import roles_required
from web.database import db

bp = Blueprint("recruiter", __name__, url_prefix="/recruiter")


@bp.route("/")
@roles_required(Role.RECRUITER, Role.ADMIN)
def home():
    """Recruiter home: every offer."""
    offers = db().scalars(select(Offer).order_by(Offer.created_at.desc())).all()
    return render_template("recruiter/home.html", offers=offers)
