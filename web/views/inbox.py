"""The staff member's in-app inbox, and the bell with the unread count in the header."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from referral import use_cases
from referral.notifications import inbox
from web.auth_user import staff_required
from web.database import db
from web.unit_of_work import transaction
from web.views.auth import _safe_next

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


def unread_count() -> int:
    """The bell's number: one indexed count, at most once per request, only when signed in."""
    if not current_user.is_authenticated:
        return 0
    if "inbox_unread" not in g:
        g.inbox_unread = inbox.unread_count(db(), current_user.id)
    return g.inbox_unread


@bp.app_context_processor
def inject_bell():
    # A function, not a number: pages that do not show the bell run no query.
    return {"inbox_unread_count": unread_count}


@bp.route("/")
@staff_required
def index():
    """The inbox: notifications newest first, unread ones marked."""
    page = request.args.get("page", 1, type=int)
    result = inbox.inbox_page(db(), current_user.id, page)
    g.inbox_unread = result.unread
    return render_template("inbox/index.html", result=result)


@bp.route("/<int:notification_id>/open")
@staff_required
def follow_notification(notification_id: int):
    """Follow a notification's link without marking it read (a GET writes nothing; the inbox
    opens unread notifications with a POST, ``open_notification``)."""
    row = inbox.get_own(db(), current_user.id, notification_id)
    return redirect(row.link_url or url_for("inbox.index"))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@staff_required
def open_notification(notification_id: int):
    """Mark a notification read and follow its link."""
    with transaction() as uow:
        row = use_cases.open_notification(uow, notification_id)
    return redirect(row.link_url or url_for("inbox.index"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@staff_required
def mark_read(notification_id: int):
    """Mark one notification read."""
    with transaction() as uow:
        use_cases.open_notification(uow, notification_id)
    return redirect(_safe_next(request.form.get("next")) or url_for("inbox.index"))


@bp.route("/read-all", methods=["POST"])
@staff_required
def mark_all_read():
    """Mark every notification read."""
    with transaction() as uow:
        count = use_cases.read_all_notifications(uow)
    if count:
        flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for("inbox.index"))
