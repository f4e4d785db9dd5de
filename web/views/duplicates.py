"""Likely duplicate candidates, for recruiters to merge or dismiss."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from referral.applications import candidates
from referral.errors import InvalidInput, NotFound
from referral.models import Application, Candidate, DuplicateFlag, Role
from web.auth_user import roles_required
from web.database import db

bp = Blueprint("duplicates", __name__, url_prefix="/recruiter/duplicates")

REASON_LABELS = {
    "same_phone": _l("same phone number"),
    "similar_name_same_city": _l("very similar name in the same city"),
}


class ActionForm(FlaskForm):
    pass


@bp.route("/")
@roles_required(Role.RECRUITER, Role.ADMIN)
def index():
    """Open duplicate flags, each pair side by side with merge and dismiss actions."""
    flags = (
        db()
        .scalars(
            select(DuplicateFlag)
            .where(DuplicateFlag.resolved_at.is_(None))
            .options(
                *[
                    selectinload(rel)
                    .selectinload(Candidate.applications)
                    .selectinload(Application.offer)
                    for rel in (DuplicateFlag.candidate, DuplicateFlag.other)
                ],
                selectinload(DuplicateFlag.candidate).selectinload(Candidate.cv_files),
                selectinload(DuplicateFlag.other).selectinload(Candidate.cv_files),
            )
            .order_by(DuplicateFlag.created_at.desc(), DuplicateFlag.id)
        )
        .all()
    )
    return render_template(
        "duplicates/index.html", flags=flags, form=ActionForm(), reason_labels=REASON_LABELS
    )


@bp.route("/<int:flag_id>/merge", methods=["POST"])
@roles_required(Role.RECRUITER, Role.ADMIN)
def merge(flag_id: int):
    """Merge the two candidates of a flag, keeping the one chosen."""
    session = db()
    flag = session.get(DuplicateFlag, flag_id)
    if flag is None or flag.resolved_at is not None:
        raise NotFound("No such open duplicate flag.")
    form = ActionForm()
    if form.validate_on_submit():
        keep_id = request.form.get("keep", type=int)
        if keep_id not in (flag.candidate_id, flag.other_id):
            flash(_("Choose which candidate to keep."), "error")
            return redirect(url_for("duplicates.index"))
        keep = flag.candidate if keep_id == flag.candidate_id else flag.other
        drop = flag.other if keep is flag.candidate else flag.candidate
        try:
            candidates.merge(session, keep, drop, actor=current_user)
        except InvalidInput:
            session.rollback()
            flash(_("These candidates cannot be merged: one of them was already merged."), "error")
        else:
            session.commit()
            flash(
                _("%(drop)s was merged into %(keep)s.", drop=drop.full_name, keep=keep.full_name),
                "success",
            )
    return redirect(url_for("duplicates.index"))


@bp.route("/<int:flag_id>/dismiss", methods=["POST"])
@roles_required(Role.RECRUITER, Role.ADMIN)
def dismiss(flag_id: int):
    """Mark two flagged candidates as different people."""
    form = ActionForm()
    if form.validate_on_submit():
        candidates.dismiss(db(), flag_id, actor=current_user)
        db().commit()
        flash(_("The two candidates are kept apart."), "success")
    return redirect(url_for("duplicates.index"))
