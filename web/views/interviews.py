"""Planning, changing and cancelling a candidate's interview (recruiters, and the hiring
manager of the offer); each sends the candidate an e-mail with the calendar event."""

from __future__ import annotations

import secrets
from datetime import datetime

from babel.dates import get_timezone
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from referral import use_cases
from referral.applications import interviews, shortlists
from referral.errors import Forbidden, NotFound
from referral.messages import RuleBroken
from referral.models import Application, Interview, Role
from web.auth_user import roles_required
from web.database import db, settings
from web.errors import refusal_text
from web.unit_of_work import transaction
from web.views.candidate_mail import me

bp = Blueprint("interviews", __name__, url_prefix="/recruiter")

READERS = (Role.MANAGER, Role.RECRUITER, Role.ADMIN)


class InterviewForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date."))])
    time = TimeField(_l("Time"), validators=[DataRequired(_l("Enter the time."))])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        default=45,
        validators=[
            DataRequired(_l("Enter the duration.")),
            NumberRange(
                15, interviews.MAX_DURATION, _l("The duration is between 15 minutes and 8 hours.")
            ),
        ],
    )
    location = StringField(_l("Place"), validators=[Optional(), Length(max=300)])
    video_url = StringField(_l("Video link"), validators=[Optional(), Length(max=500)])
    panel = TextAreaField(
        _l("Panel (one member per line)"), validators=[Optional(), Length(max=2000)]
    )
    nonce = HiddenField()
    sequence = HiddenField()

    def data_for_domain(self) -> interviews.InterviewInput:
        zone = get_timezone(settings().timezone)
        starts = datetime.combine(self.day.data, self.time.data)
        return interviews.InterviewInput(
            starts_at=zone.localize(starts)
            if hasattr(zone, "localize")
            else starts.replace(tzinfo=zone),
            duration_minutes=self.duration_minutes.data,
            location=self.location.data or "",
            video_url=self.video_url.data or "",
            panel=tuple((self.panel.data or "").splitlines()),
        )


class CancelForm(FlaskForm):
    sequence = HiddenField()


def _application(application_id: int) -> Application:
    application = (
        db().get(Application, application_id) if shortlists.valid_id(application_id) else None
    )
    if application is None:
        raise NotFound("application")
    if not shortlists.can_view(me(), application.offer):
        raise Forbidden("application")
    return application


def _interview(interview_id: int) -> Interview:
    interview = db().get(Interview, interview_id) if shortlists.valid_id(interview_id) else None
    if interview is None:
        raise NotFound("interview")
    if not shortlists.can_view(me(), interview.application.offer):
        raise Forbidden("interview")
    return interview


def _show_error(form: InterviewForm, exc: RuleBroken) -> None:
    name = {"starts_at": "day"}.get(exc.field or "", exc.field or "location")
    getattr(form, name, form.location).errors = [refusal_text(exc)]


def _sequence(form) -> int | None:
    """The interview's version the form showed (a change made meanwhile is not overwritten)."""
    return int(form.sequence.data) if (form.sequence.data or "").isdigit() else None


def _back(application: Application) -> str:
    return (
        url_for("recruiter.candidate", candidate_id=application.candidate_id)
        + f"#application-{application.id}"
    )


@bp.route("/applications/<int:application_id>/interviews/new", methods=["GET", "POST"])
@roles_required(*READERS)
def new(application_id: int):
    """Plan an interview and send the candidate the invitation with its calendar event."""
    application = _application(application_id)
    form = InterviewForm()
    status = 200
    if not form.is_submitted():
        form.nonce.data = secrets.token_urlsafe(24)
    elif form.validate():
        try:
            with transaction() as uow:
                use_cases.schedule_interview(
                    uow, application, form.data_for_domain(), form.nonce.data or None
                )
        except RuleBroken as exc:
            _show_error(form, exc)
            status = 422
        else:
            flash(
                _("The interview is planned and the invitation is on its way to the candidate."),
                "success",
            )
            return redirect(_back(application))
    else:
        status = 422
    return render_template(
        "interviews/form.html",
        form=form,
        application=application,
        interview=None,
        timezone=settings().timezone,
    ), status


@bp.route("/interviews/<int:interview_id>", methods=["GET", "POST"])
@roles_required(*READERS)
def edit(interview_id: int):
    """Change an interview (the candidate gets the update of the same calendar event)."""
    interview = _interview(interview_id)
    application = interview.application
    form = InterviewForm()
    status = 200
    if not form.is_submitted():
        zone = get_timezone(settings().timezone)
        local = interview.starts_at.astimezone(zone)
        form.day.data, form.time.data = local.date(), local.time().replace(tzinfo=None)
        form.duration_minutes.data = interview.duration_minutes
        form.location.data = interview.location
        form.video_url.data = interview.video_url or ""
        form.panel.data = "\n".join(interview.panel or [])
        form.sequence.data = str(interview.sequence)
    elif form.validate():
        try:
            with transaction() as uow:
                use_cases.reschedule_interview(
                    uow, interview, form.data_for_domain(), _sequence(form)
                )
        except RuleBroken as exc:
            _show_error(form, exc)
            status = 422
        else:
            flash(_("The interview is changed and the candidate is told."), "success")
            return redirect(_back(application))
    else:
        status = 422
    return render_template(
        "interviews/form.html",
        form=form,
        application=application,
        interview=interview,
        timezone=settings().timezone,
        cancel_form=CancelForm(formdata=None, sequence=str(interview.sequence)),
    ), status


@bp.route("/interviews/<int:interview_id>/cancel", methods=["POST"])
@roles_required(*READERS)
def cancel(interview_id: int):
    """Cancel an interview (the candidate gets the cancellation of the calendar event)."""
    interview = _interview(interview_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            with transaction() as uow:
                use_cases.cancel_interview(uow, interview, _sequence(form))
        except RuleBroken as exc:
            flash(refusal_text(exc), "error")
        else:
            flash(_("The interview is cancelled and the candidate is told."), "success")
    return redirect(_back(interview.application))
