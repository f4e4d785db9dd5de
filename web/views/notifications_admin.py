"""Administration of the outbox: what was sent, what waits, what failed, and retrying it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from referral.errors import InvalidInput
from referral.models import Role, utcnow
from referral.notifications import outbox_admin as outbox
from web.auth_user import roles_required
from web.database import db

bp = Blueprint("notifications_admin", __name__, url_prefix="/admin/notifications")

STATUS_LABELS = {
    "pending": _l("Waiting to be sent"),
    "held": _l("Held for a digest"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "in_app": _l("Inbox only"),
}
KIND_LABELS = {
    "new_application": _l("New application"),
    "strong_match": _l("Strong match"),
    "offer_closing": _l("Offer closing soon"),
    "referral_update": _l("Referral update"),
    "new_offer": _l("New offer"),
    "digest": _l("Daily digest"),
    "password_reset": _l("Password reset"),
    "receipt": _l("Application receipt"),
    "invitation": _l("Invitation to apply"),
    "candidate_message": _l("E-mail to a candidate"),
    "interview": _l("Interview (with its calendar event)"),
}


@bp.route("/")
@roles_required(Role.ADMIN)
def index():
    """The outbox, newest first, filtered by status."""
    status = request.args.get("status") or None
    if status is not None and status not in outbox.STATUSES:
        abort(404)
    page = request.args.get("page", 1, type=int)
    result = outbox.outbox_page(db(), status, page)
    return render_template(
        "notifications_admin/index.html",
        result=result,
        status=status,
        labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
    )


@bp.route("/<int:notification_id>/retry", methods=["POST"])
@roles_required(Role.ADMIN)
def retry(notification_id: int):
    """Queue a failed notification again."""
    try:
        outbox.retry(db(), notification_id, actor=current_user, now=utcnow())
    except InvalidInput:
        db().rollback()
        flash(_("Only a failed notification can be retried."), "error")
    else:
        db().commit()
        flash(_("The notification is queued again."), "success")
    return redirect(url_for("notifications_admin.index", status=request.form.get("status") or None))


@bp.route("/retry-failed", methods=["POST"])
@roles_required(Role.ADMIN)
def retry_failed():
    """Queue every failed notification again."""
    count = outbox.retry_all_failed(db(), actor=current_user, now=utcnow())
    db().commit()
    flash(
        ngettext(
            "%(num)d notification is queued again.",
            "%(num)d notifications are queued again.",
            count,
        )
        if count
        else _("Nothing failed."),
        "success" if count else "info",
    )
    return redirect(url_for("notifications_admin.index"))
