"""Applying to an offer: the public form, its confirmation, and how reasons are displayed."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, EmailField, HiddenField, StringField, TelField, TextAreaField
from wtforms.fields import URLField
from wtforms.validators import URL, DataRequired, Length, Optional

from referral import use_cases
from referral.applications import applying as applications
from referral.applications import attribution, candidates
from referral.errors import InvalidInput, NotFound
from referral.models import ShareLink, utcnow
from referral.privacy import erasure as privacy
from referral.sharing.touches import COOKIE_NAME, add_touch, read_touches
from web import attribution_cookie
from web.auth_user import public
from web.database import db, settings
from web.extensions import limiter
from web.offer_labels import LABELS, label
from web.unit_of_work import transaction

bp = Blueprint("apply", __name__)

REQUIRED = _l("This field is required.")
FIELD_MESSAGES = {
    "email": _l("Enter a valid e-mail address, for example name@example.fr."),
    "phone": _l("Enter a valid phone number, for example 06 12 34 56 78 or +33 6 12 34 56 78."),
    "consent": _l("To apply, you must agree to the processing of your data."),
}
CV_MESSAGES = {
    "empty": _l("The file is empty. Choose your CV file again."),
    "wrong_type": _l("This file type is not accepted: send a PDF, DOCX, ODT or text file."),
    "corrupt": _l(
        "The file is damaged or incomplete and cannot be read. Save or export your CV again "
        "and send the new file."
    ),
    "encrypted": _l("The PDF is protected by a password. Send a version without a password."),
    "zip_bomb": _l("The document expands to an unreasonable size and was refused."),
    "encoding": _l(
        "The text of this file is in an encoding we cannot recognise. Save it as UTF-8 text "
        "or send a PDF."
    ),
}


class ApplyForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    linkedin_url = URLField(
        _l("LinkedIn profile (optional)"),
        filters=[candidates.profile_url],
        validators=[
            Optional(),
            URL(message=_l("Enter the address of your profile, e.g. linkedin.com/in/your-name")),
            Length(max=300),
        ],
    )
    cv = FileField(_l("CV"), validators=[FileRequired(_l("Choose your CV file."))])
    message = TextAreaField(_l("Message (optional)"), validators=[Optional(), Length(max=5000)])
    consent = BooleanField(
        _l("I agree to the processing of my data"),
        validators=[DataRequired(FIELD_MESSAGES["consent"])],
    )
    talent_pool = BooleanField(_l("Keep my application in the talent pool for other offers"))
    nonce = HiddenField()
    # Honeypot: hidden from people (and from screen readers), filled in by naive bots.
    website = StringField(_l("Leave this field empty"))


def reason_text(reason: str | None) -> str:
    """An application's attribution reason in the reader's language."""
    return attribution.describe(reason or "", _)


@bp.app_template_filter("attribution_reason")
def attribution_reason_filter(reason: str | None) -> str:
    return reason_text(reason)


@bp.app_template_filter("source_label")
def source_label_filter(source: str | None) -> str:
    return str(label("source", source))


def _apply_limit() -> str:
    return settings().apply_rate_limit


# Sends of the form that were refused (a missing field, a broken CV) do not count toward the
# applications limit, so that a candidate who corrects a few mistakes, or people sharing one
# address (a school, a job centre), are not shut out with what they typed; every send counts
# toward this cap, which stops floods of uploads.
ATTEMPTS_LIMIT = "30 per minute"


def _attempts_limit() -> str:
    return ATTEMPTS_LIMIT


def _saved(response) -> bool:
    """Whether an application form send ended in a saved application (a redirect)."""
    return response.status_code in (302, 303)


def _consent_label() -> str:
    return _(
        "I agree that %(organisation)s processes my data to handle my application and keeps "
        "it for %(months)s months (see the privacy notice).",
        organisation=settings().organisation_name,
        months=settings().retention_months,
    )


def _set_touch(response, code: str | None, now):
    """Remember an active share link code of the apply address in the attribution cookie."""
    if not code:
        return response
    link = db().scalar(
        select(ShareLink.id).where(ShareLink.code == code[:16], ShareLink.revoked_at.is_(None))
    )
    if link is None:
        return response
    conf = settings()
    value = add_touch(
        conf.secret_key,
        request.cookies.get(COOKIE_NAME),
        code[:16],
        now,
        conf.attribution_window_days,
    )
    return attribution_cookie.set_on(response, conf, value, now)


def _show_errors(form: ApplyForm, errors: dict[str, str]) -> None:
    limit = f"{settings().max_upload_mb:g}"
    for name, code in errors.items():
        field = getattr(form, name, None)
        if field is None:
            continue
        if name == "cv":
            message = (
                _("The file is larger than %(limit)s MB. Choose a smaller file.", limit=limit)
                if code == "too_large"
                else CV_MESSAGES.get(code, CV_MESSAGES["corrupt"])
            )
        elif code == "required":
            message = REQUIRED
        else:
            message = FIELD_MESSAGES.get(name, REQUIRED)
        field.errors = [*field.errors, str(message)]


def _input(form: ApplyForm) -> applications.ApplicationInput:
    return applications.ApplicationInput(
        first_name=form.first_name.data or "",
        last_name=form.last_name.data or "",
        email=form.email.data or "",
        phone=form.phone.data,
        city=form.city.data or "",
        linkedin_url=form.linkedin_url.data,
        message=form.message.data or "",
        consent=bool(form.consent.data),
        talent_pool=bool(form.talent_pool.data),
    )


def _explain_the_rest(form: ApplyForm, conf) -> None:
    """When the form itself is incomplete, still say what is wrong with the rest (the file
    included), so that the person corrects everything at once."""
    upload = form.cv.data
    cv_data = upload.read() if upload and not isinstance(upload, str) else None
    try:
        applications.validate(_input(form), cv_data or b"", conf)
    except InvalidInput as exc:
        rest = {
            name: code
            for name, code in exc.errors.items()
            if not getattr(form, name).errors and (name != "cv" or cv_data is not None)
        }
        _show_errors(form, rest)


@bp.route("/offers/<int:offer_id>/apply", methods=["GET", "POST"])
@limiter.limit(_apply_limit, methods=["POST"], deduct_when=_saved)
@limiter.limit(_attempts_limit, methods=["POST"])
@public
def apply(offer_id: int):
    """The application form of an offer (or a notice that it is closed)."""
    now = utcnow()
    offer = applications.offer_for_apply(db(), offer_id)
    ref = request.args.get("ref") or None
    invite = request.args.get("invite") or None
    is_open = applications.is_open(offer, now)
    conf = settings()
    form = ApplyForm()
    form.consent.label.text = _consent_label()
    invitation = attribution.find_invitation(db(), invite, offer.id)
    status = 200
    if not is_open:
        status = 409 if request.method == "POST" else 200
        return render_template("apply/form.html", offer=offer, form=None, is_open=False), status
    if request.method == "GET":
        form.nonce.data = secrets.token_urlsafe(24)
        if invitation is not None:
            form.first_name.data = invitation.first_name
            form.last_name.data = invitation.last_name
            form.email.data = invitation.email
    elif form.website.data:
        # A bot filled in the honeypot: answer as if it worked, keep nothing.
        current_app.logger.info("apply: honeypot filled in, offer %s", offer.id)
        session["apply_done"] = {"offer_id": offer.id, "updated": False, "email": ""}
        return redirect(url_for("apply.done", offer_id=offer.id))
    elif form.validate_on_submit():
        upload = form.cv.data
        data = _input(form)
        touches = read_touches(
            conf.secret_key, request.cookies.get(COOKIE_NAME), now, conf.attribution_window_days
        )
        try:
            with transaction(now) as uow:
                result = use_cases.apply(
                    uow,
                    offer_id=offer.id,
                    data=data,
                    cv_data=upload.read(),
                    cv_filename=upload.filename or "",
                    touches=touches,
                    ref_code=ref,
                    invite_token=invite,
                    staff_user=uow.actor,
                    nonce=form.nonce.data or None,
                    locale=str(get_locale() or conf.default_locale),
                )
        except applications.OfferClosed:
            return render_template("apply/form.html", offer=offer, form=None, is_open=False), 409
        except InvalidInput as exc:
            _show_errors(form, exc.errors)
            result = None
        if result is None:
            status = 422
        else:
            cv_file = result.application.cv_file
            session["apply_done"] = {
                "offer_id": offer.id,
                "updated": not result.created,
                "email": result.candidate.email,
                # Nothing could be read in the CV (a scan): the candidate is told at once.
                "no_text": cv_file is not None and cv_file.text_unreadable,
            }
            return redirect(url_for("apply.done", offer_id=offer.id))
    else:
        status = 422
        _explain_the_rest(form, conf)
    link_agent = None
    if invitation is None:
        touches = read_touches(
            conf.secret_key, request.cookies.get(COOKIE_NAME), now, conf.attribution_window_days
        )
        winner = attribution.winning_link(
            db(), conf, offer=offer, touches=touches, ref_code=ref, now=now
        )
        if winner is not None and winner[1].agent.active:
            link_agent = winner[1].agent
    response = current_app.make_response(
        (
            render_template(
                "apply/form.html",
                link_agent=link_agent,
                offer=offer,
                form=form,
                is_open=True,
                ref=ref,
                invite=invite,
                invitation=invitation,
                contract_labels=LABELS["contract_type"],
                remote_labels=LABELS["remote_work"],
                max_upload_mb=f"{conf.max_upload_mb:g}",
            ),
            status,
        )
    )
    return _set_touch(response, ref, now) if request.method == "GET" else response


@bp.route("/offers/<int:offer_id>/apply/done")
@public
def done(offer_id: int):
    """The confirmation shown once an application is saved."""
    offer = applications.offer_for_apply(db(), offer_id)
    info = session.get("apply_done")
    if not info or info.get("offer_id") != offer.id:
        return redirect(url_for("apply.apply", offer_id=offer.id))
    return render_template("apply/done.html", offer=offer, info=info)


class ForgetForm(FlaskForm):
    pass


@bp.route("/invitations/<token>/forget", methods=["GET", "POST"])
@public
def forget_invitation(token: str):
    """The invited person deletes what their invitation keeps about them (after a click)."""
    form = ForgetForm()
    state, status = "ask", 200
    try:
        if form.validate_on_submit():
            with transaction() as uow:
                use_cases.forget_invitation(uow, token)
            state = "done"
        else:
            privacy.forgettable_invitation(db(), token)
    except NotFound:
        state, status = "gone", 404
    except InvalidInput:
        state, status = "applied", 409
    return render_template("apply/forget.html", form=form, state=state), status
