"""Sign-in, sign-out and password reset."""

from __future__ import annotations

import hashlib

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from referral.errors import AuthenticationFailed, InvalidInput
from referral.models import User
from referral.notifications import outbox as notifications
from referral.people import users
from web.auth_user import home_endpoint, public
from web.database import db, settings
from web.extensions import limiter
from web.security import safe_next_path

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Remember me on this device"))


class ForgotForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])


class ResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=users.MIN_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


def _login_limit() -> str:
    return settings().login_rate_limit


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never a URL taken from the request to elsewhere)."""
    return safe_next_path(target)


def _sign_in_key() -> str:
    """The address and the e-mail tried (any e-mail, known or not: the answer tells nothing)."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{get_remote_address()}|{hashlib.sha256(email.encode()).hexdigest()}"


def _failed(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(
    users.SIGN_IN_LIMITS,
    key_func=_sign_in_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="sign-in-e-mail",
)
@public
def login():
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        session = db()
        try:
            user = users.authenticate(session, form.email.data or "", form.password.data or "")
        except AuthenticationFailed:
            error = _("Wrong e-mail or password.")
        else:
            # The language of the sign-in page: e-mails follow it if the setting is the
            # browser's language (see User.writing_locale).
            user.last_locale = str(get_locale() or "fr")
            session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for(home_endpoint(user)))
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Sign out, here and on every other device."""
    if current_user.is_authenticated:
        users.end_sessions(db().get(User, current_user.id))
        db().commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def forgot_password():
    """Ask for a password reset link by e-mail."""
    form = ForgotForm()
    if form.validate_on_submit():
        session = db()
        user = users.find_by_email(session, form.email.data or "")
        if user is not None and user.active:
            token = users.issue_reset_token(session, user)
            link = settings().base_url.rstrip("/") + url_for("auth.reset_password", token=token)
            # Written in the language of the page the reset was asked on, unless the account
            # has a fixed language: the person reads it right after asking.
            locale = user.locale or str(get_locale() or "fr")
            notifications.notify(session, "password_reset", user=user, locale=locale, link=link)
            session.commit()
        # The same answer whether or not the account exists.
        flash(
            _("If an account exists for this address, a reset link is on its way."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Choose a new password with a link received by e-mail."""
    session = db()
    try:
        users.usable_reset_token(session, token)
    except InvalidInput:
        # Say it at once (no form to fill in for nothing); 404 whatever the reason, so the
        # page does not tell which tokens once existed.
        return render_template("auth/reset_invalid.html"), 404
    form = ResetForm()
    if form.validate_on_submit():
        try:
            users.reset_password(session, token, form.password.data or "")
        except InvalidInput:  # used meanwhile, in another tab
            session.rollback()
            return render_template("auth/reset_invalid.html"), 404
        session.commit()
        flash(_("Your password is changed. Sign in with it."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)
