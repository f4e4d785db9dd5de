"""CV files, served only to recruiters and to the hiring managers of the offers applied to."""

from __future__ import annotations

from flask import Blueprint, abort, send_file
from flask_login import current_user
from sqlalchemy import select

from referral import cvstore
from referral.errors import NotFound
from referral.models import Application, CVFile, Offer, Role
from web.auth_user import roles_required
from web.database import db, settings

bp = Blueprint("cv", __name__, url_prefix="/cv")


@bp.route("/<int:cv_id>")
@roles_required(Role.RECRUITER, Role.ADMIN, Role.MANAGER)
def download(cv_id: int):
    """Download a CV file (recruiters, or the hiring manager of an offer applied to)."""
    session = db()
    cv = session.get(CVFile, cv_id)
    if cv is None:
        raise NotFound("No such CV.")
    if not current_user.has_role(Role.RECRUITER, Role.ADMIN):
        manages = session.scalar(
            select(Application.id)
            .join(Offer, Offer.id == Application.offer_id)
            .where(
                Application.candidate_id == cv.candidate_id,
                Offer.hiring_manager_id == current_user.id,
            )
            .limit(1)
        )
        if manages is None:
            abort(403)
    path = cvstore.path_for(settings(), cv)
    if not path.is_file():
        raise NotFound("The file is missing.")
    response = send_file(
        path, mimetype=cv.mime_type, as_attachment=True, download_name=cv.original_name
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
