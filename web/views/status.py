"""The status page of an application, opened by the signed link of every candidate e-mail
(no account): the stage and its dates, the interviews planned, withdrawing, replacing the
CV, what is kept, erasing."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField
from wtforms.validators import DataRequired

from referral import use_cases
from referral.applications import candidate_status
from referral.errors import InvalidInput, NotFound
from referral.messages import RuleBroken
from web.auth_user import public
from web.database import db, settings
from web.errors import refusal_text
from web.extensions import limiter
from web.unit_of_work import transaction
from web.views.apply import CV_MESSAGES, _attempts_limit

bp = Blueprint("status", __name__, url_prefix="/status")

STAGE_FOR_CANDIDATE = {
    "new": _l("Received"),
    "screening": _l("Being reviewed"),
    "interview": _l("Interview"),
    "offer": _l("Job offer"),
    "hired": _l("Hired"),
    "rejected": _l("Not retained"),
    "withdrawn": _l("Withdrawn"),
}


@bp.app_context_processor
def stage_words():
    return {"candidate_stage": lambda s: str(STAGE_FOR_CANDIDATE.get(s, s))}


class WithdrawForm(FlaskForm):
    confirm = BooleanField(
        _l("I withdraw my application"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )


class CVForm(FlaskForm):
    cv = FileField(
        _l("New CV (PDF, DOCX, ODT or text)"), validators=[FileRequired(_l("Choose a file."))]
    )


class EraseForm(FlaskForm):
    confirm = BooleanField(
        _l("I confirm: erase my identity, my CV files and my messages for good"),
        validators=[DataRequired(_l("Tick the box to confirm the erasure."))],
    )


def _page(token: str, status: int = 200, **forms):
    session = db()
    application = candidate_status.application_for(session, settings(), token)
    data = candidate_status.page(session, application)
    response = current_app.make_response(
        (
            render_template(
                "status/page.html",
                page=data,
                token=token,
                withdraw_form=forms.get("withdraw_form") or WithdrawForm(formdata=None),
                cv_form=forms.get("cv_form") or CVForm(formdata=None),
                erase_form=forms.get("erase_form") or EraseForm(formdata=None),
                max_upload_mb=f"{settings().max_upload_mb:g}",
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/<token>")
@public
def show(token: str):
    """The application's status page."""
    return _page(token)


@bp.route("/<token>/withdraw", methods=["POST"])
@limiter.limit(_attempts_limit)  # the apply form's cap: a CV is as costly to read here
@public
def withdraw(token: str):
    """The candidate withdraws their application."""
    session = db()
    application = candidate_status.application_for(session, settings(), token)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _page(token, 422, withdraw_form=form)
    try:
        with transaction() as uow:
            use_cases.withdraw_application(uow, application)
    except RuleBroken as exc:
        form.confirm.errors = [refusal_text(exc)]
        return _page(token, 409, withdraw_form=form)
    flash(_("Your application is withdrawn."), "success")
    return redirect(url_for(".show", token=token))


@bp.route("/<token>/cv", methods=["POST"])
@limiter.limit(_attempts_limit)  # the apply form's cap: a CV is as costly to read here
@public
def replace_cv(token: str):
    """The candidate replaces the CV of their application."""
    session = db()
    application = candidate_status.application_for(session, settings(), token)
    form = CVForm()
    if not form.validate_on_submit():
        return _page(token, 422, cv_form=form)
    upload = form.cv.data
    try:
        with transaction() as uow:
            use_cases.replace_cv(uow, application, upload.read(), upload.filename or "")
    except RuleBroken as exc:
        form.cv.errors = [refusal_text(exc)]
        return _page(token, 409, cv_form=form)
    except InvalidInput as exc:
        code = exc.errors.get("cv", "corrupt")
        form.cv.errors = [
            _(
                "The file is larger than %(limit)s MB. Choose a smaller file.",
                limit=f"{settings().max_upload_mb:g}",
            )
            if code == "too_large"
            else str(CV_MESSAGES.get(code, CV_MESSAGES["corrupt"]))
        ]
        return _page(token, 422, cv_form=form)
    flash(_("Your new CV is attached to your application."), "success")
    return redirect(url_for(".show", token=token))


@bp.route("/<token>/erase", methods=["POST"])
@limiter.limit(_attempts_limit)  # the apply form's cap: a CV is as costly to read here
@public
def erase(token: str):
    """The candidate erases their personal data."""
    session = db()
    application = candidate_status.application_for(session, settings(), token)
    form = EraseForm()
    if not form.validate_on_submit():
        return _page(token, 422, erase_form=form)
    # The files go once the erasure is committed (an after-commit hook).
    with transaction() as uow:
        use_cases.erase_my_data(uow, application)
    return render_template("status/erased.html")


@bp.errorhandler(NotFound)
def gone(_exc):
    """A bad, altered or dead link: one page that says so, without telling which."""
    return render_template("status/gone.html"), 404
