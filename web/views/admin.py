"""Administration: users, directions, staff import, credit rules, trainings."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from referral.models import Direction, Role, User
from web.auth_user import roles_required
from web.database import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@roles_required(Role.ADMIN)
def home():
    """Admin home: counts and entry points."""
    session = db()
    counts = {
        "users": session.scalar(select(func.count(User.id)).where(User.active)),
        "directions": session.scalar(select(func.count(Direction.id))),
    }
    return render_template("admin/home.html", counts=counts)
