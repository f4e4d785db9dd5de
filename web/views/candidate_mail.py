"""E-mails to candidates: the wordings admins edit (with a preview), and the e-mail a
recruiter reviews, edits or skips after moving applications (one per candidate)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Optional

from referral.applications import shortlists
from referral.errors import NotFound
from referral.messages import RuleBroken
from referral.models import NotificationStatus, Role
from referral.notifications import candidate_messages as cm
from web.auth_user import roles_required
from web.database import db, settings, urls
from web.errors import refusal_text
from web.offer_labels import LABELS
from web.unit_of_work import transaction
from web.views.auth import _safe_next

bp = Blueprint("candidate_mail", __name__)

READERS = (Role.MANAGER, Role.RECRUITER, Role.ADMIN)
KIND_LABELS = {
    **{kind: LABELS["application_status"][kind] for kind in cm.STAGE_KINDS},
    cm.INVITATION: _l("Interview invitation"),
    cm.UPDATE: _l("Interview changed"),
    cm.CANCELLATION: _l("Interview cancelled"),
}
LOCALE_LABELS = {"fr": _l("French"), "en": _l("English")}
DELIVERY_LABELS = {
    NotificationStatus.PENDING: _l("waiting to be sent"),
    NotificationStatus.HELD: _l("waiting to be sent"),
    NotificationStatus.SENT: _l("sent"),
    NotificationStatus.FAILED: _l("not delivered"),
    NotificationStatus.IN_APP: _l("not sent"),
}


def me():
    """The signed-in user as a plain model object (services take no proxies)."""
    return current_user._get_current_object()


@bp.app_context_processor
def candidate_mail_labels():
    return {
        "candidate_mail_kind": lambda kind: str(KIND_LABELS.get(kind, kind)),
        "delivery_label": lambda status: str(DELIVERY_LABELS.get(status, status)),
    }


class WordingForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[Optional()])
    body = TextAreaField(_l("Text"), validators=[Optional()])


class ResetForm(FlaskForm):
    pass


@bp.route("/admin/candidate-emails/")
@roles_required(Role.ADMIN)
def wordings():
    """Every candidate e-mail, in French and English: shipped or edited."""
    return render_template(
        "candidate_mail/wordings.html",
        wordings=cm.wordings(db()),
        locale_labels=LOCALE_LABELS,
    )


@bp.route("/admin/candidate-emails/<kind>/<locale>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_wording(kind: str, locale: str):
    """Edit one wording; "Preview" shows it with example values without saving."""
    session = db()
    current = cm.wording(session, kind, locale)
    form = WordingForm(data={"subject": current.subject, "body": current.body})
    preview, status = None, 200
    if form.validate_on_submit():
        subject, body = form.subject.data or "", form.body.data or ""
        try:
            if request.form.get("action") == "preview":
                preview = cm.validate_wording(kind, locale, subject, body, settings(), urls())
            else:
                with transaction() as uow:
                    cm.edit_wording(uow, kind, locale, subject, body)
                flash(_("The e-mail is saved."), "success")
                return redirect(url_for(".wordings"))
        except RuleBroken as exc:
            getattr(form, exc.field or "body").errors = [refusal_text(exc)]
            status = 422
    return (
        render_template(
            "candidate_mail/edit.html",
            form=form,
            reset_form=ResetForm(),
            current=current,
            kind=kind,
            locale=locale,
            locale_labels=LOCALE_LABELS,
            placeholders=cm.placeholders_of(kind),
            preview=preview,
        ),
        status,
    )


@bp.route("/admin/candidate-emails/<kind>/<locale>/reset", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_wording(kind: str, locale: str):
    """Go back to the shipped wording."""
    if not ResetForm().validate_on_submit():
        abort(400)
    with transaction() as uow:
        cm.restore_wording(uow, kind, locale)
    flash(_("The e-mail is back to its shipped wording."), "success")
    return redirect(url_for(".edit_wording", kind=kind, locale=locale))


# --- after a move ------------------------------------------------------------------------------


class ComposeForm(FlaskForm):
    pass


def _drafts() -> list[cm.Draft]:
    ids = [int(v) for v in request.values.getlist("change") if v.isdigit() and len(v) < 12][:200]
    session = db()
    drafts = []
    known: dict = {}
    for change in cm.changes(session, ids):
        if not shortlists.can_view(me(), change.application.offer):
            raise NotFound("application")
        draft = cm.propose(session, settings(), change, recruiter=me(), known=known, urls=urls())
        if draft is not None:
            drafts.append(draft)
    return drafts


def _answers(drafts: list[cm.Draft]) -> dict[int, tuple[str, str] | None]:
    """Each draft's e-mail as the recruiter left it, or None when its box is unticked."""
    answers: dict[int, tuple[str, str] | None] = {}
    for draft in drafts:
        if draft.change is None:
            continue
        cid = draft.change.id
        if request.form.get(f"send-{cid}"):
            answers[cid] = (
                request.form.get(f"subject-{cid}", ""),
                request.form.get(f"body-{cid}", ""),
            )
        else:
            answers[cid] = None
    return answers


@bp.route("/recruiter/messages", methods=["GET", "POST"])
@roles_required(*READERS)
def compose():
    """The e-mail proposed to each candidate just moved: send it as it is, edited, or not."""
    drafts = _drafts()
    back = _safe_next(request.values.get("next")) or url_for("recruiter.home")
    form = ComposeForm()
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        try:
            with transaction() as uow:
                done = cm.send_reviewed(uow, drafts, _answers(drafts))
        except cm.DraftsRefused as exc:
            errors = {f"{c}-{field}": refusal_text(e) for (c, field), e in exc.refusals.items()}
        else:
            if done.sent:
                flash(_("E-mails to candidates queued: %(count)s.", count=done.sent), "success")
            if done.skipped:
                flash(_("Candidates not written to: %(count)s.", count=done.skipped), "success")
            return redirect(back)
    if not drafts and request.method == "GET":
        return redirect(back)
    return (
        render_template(
            "candidate_mail/compose.html",
            drafts=drafts,
            form=form,
            errors=errors,
            values=request.form if request.method == "POST" else None,
            back=back,
            locale_labels=LOCALE_LABELS,
        ),
        422 if errors else 200,
    )


def compose_url(change_ids: list[int], back: str) -> str | None:
    """Where to go after a move: the e-mails to review, if the stage has one."""
    return url_for("candidate_mail.compose", change=change_ids, next=back) if change_ids else None
