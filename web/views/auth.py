"""Sign-in (password, or the organisation's identity provider), sign-out and password reset.

The OpenID Connect exchange is web/oidc.py (Authlib); which account the verified claims open
is referral.people.sso; the password pages' use cases are referral.people.sign_in. Each runs in the request's
unit of work: nothing here commits or rolls back.
"""

from __future__ import annotations

import hashlib
import logging

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from joserfc.errors import JoseError
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from referral.errors import AuthenticationFailed, InvalidInput
from referral.people import sign_in, sso, users
from web import oidc
from web.auth_user import home_endpoint, public
from web.database import db, settings
from web.extensions import limiter
from web.security import origin, safe_next_path
from web.unit_of_work import transaction

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

# Kept in the session after a sign-in through the provider: the ID token (the hint of the
# provider's sign-out) and where to go once signed in.
ID_TOKEN_KEY, NEXT_KEY = "oidc_id_token", "oidc_next"


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
        try:
            with transaction() as uow:
                user = sign_in.password_sign_in(
                    uow,
                    form.email.data or "",
                    form.password.data or "",
                    str(get_locale() or "fr"),
                )
        except sign_in.PasswordSignInOff:
            error = _("Sign in with %(provider)s.", provider=_provider_label())
        except AuthenticationFailed:
            error = _("Wrong e-mail or password.")
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for(home_endpoint(user)))
    status = 401 if error else 200
    conf = settings()
    return render_template(
        "auth/login.html",
        form=form,
        error=error,
        sso=conf.oidc_enabled,
        provider=_provider_label(),
        password_for_staff=conf.password_login_for_staff,
        next=_safe_next(request.args.get("next")),
    ), status


def _provider_label() -> str:
    conf = settings()
    return conf.oidc_label or _("your organisation's account")


def _refused(message: str, status: int):
    """The page that says why the sign-in through the provider did not happen."""
    return render_template("auth/sso_refused.html", message=message), status


@bp.route("/login/sso")
@public
def sso_login():
    """Go to the organisation's identity provider (state, nonce and PKCE kept in the session).

    No rate limit here nor on the callback: nothing can be guessed through them (an answer
    without this browser's state is refused before any call to the provider), and a whole
    organisation signing in at 9 o'clock often comes from one address.
    """
    if not settings().oidc_enabled:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    session[NEXT_KEY] = _safe_next(request.args.get("next"))
    redirect_uri = settings().base_url.rstrip("/") + url_for("auth.sso_callback")
    try:
        oidc.metadata()
        return oidc.client().authorize_redirect(redirect_uri, **oidc.authorization_params())
    except requests.RequestException as exc:
        log.warning("identity provider unreachable: %s", exc)
        return _refused(_unreachable(), 503)
    except oidc.ProviderAnswerRefused as exc:
        log.warning("identity provider refused: %s", exc)
        return _refused(_unverifiable(), 502)


def _unreachable() -> str:
    return _(
        "The identity provider is not answering. Try again in a few minutes; if it lasts, "
        "tell the administrator of Relais."
    )


def _unverifiable() -> str:
    return _(
        "The identity provider's answer could not be verified, so you are not signed in. "
        "Try again; if it happens again, tell the administrator of Relais."
    )


@bp.route("/login/sso/callback")
@public
def sso_callback():
    """Back from the provider: check its answer (web/oidc.py), open the account it names
    (referral.people.sso), sign in. Any refusal changes no account."""
    if not settings().oidc_enabled:
        abort(404)
    if request.args.get("error"):
        # The person cancelled, or the provider refused them (its own words are not shown:
        # they may be technical and in another language).
        log.info("identity provider error: %s", request.args.get("error"))
        return _refused(_("The identity provider did not sign you in. Try again."), 401)
    try:
        token = oidc.client().authorize_access_token(claims_options=oidc.claims_options())
        claims = oidc.verified_claims(token)
    except MismatchingStateError:
        return _refused(
            _(
                "This sign-in answer is unknown or was already used (for instance after going "
                "back in the browser). Start the sign-in again."
            ),
            400,
        )
    except OAuthError as exc:  # the token endpoint refused: a reused or expired code…
        log.warning("identity provider token error: %s", exc)
        return _refused(
            _("The identity provider refused this sign-in (it may be too old). Start again."),
            400,
        )
    except requests.RequestException as exc:
        log.warning("identity provider unreachable: %s", exc)
        return _refused(_unreachable(), 504)
    except (JoseError, oidc.ProviderAnswerRefused, ValueError) as exc:
        log.warning("identity provider answer refused: %s: %s", type(exc).__name__, exc)
        return _refused(_unverifiable(), 401)
    identity = sso.identity_from_claims(
        claims, issuer=oidc.metadata()["issuer"], settings=settings()
    )
    try:
        with transaction() as uow:
            user = sso.sign_in(uow, identity)
            user.last_locale = str(get_locale() or "fr")
    except sso.SignInRefused as refusal:
        log.info("sign-in refused (%s) for sub %s", refusal.reason, identity.subject)
        return _refused(_(refusal.template), 403)
    login_user(user)
    session[ID_TOKEN_KEY] = token["id_token"]
    return redirect(session.pop(NEXT_KEY, None) or url_for(home_endpoint(user)))


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Sign out, here and on every other device; then at the identity provider too, when
    the person signed in through it and it offers that (RP-initiated logout)."""
    if current_user.is_authenticated:
        with transaction() as uow:
            sign_in.sign_out(uow, current_user.id)
    id_token = session.pop(ID_TOKEN_KEY, None)
    logout_user()
    flash(_("You are signed out."), "info")
    home = settings().base_url.rstrip("/") + url_for("public.index")
    if id_token and settings().oidc_enabled:
        try:
            end = oidc.metadata().get("end_session_endpoint")
            # Only on the issuer's origin, the one the pages' form-action allows (web/security.py).
            if end and origin(end) == origin(settings().oidc_issuer):
                return oidc.client().logout_redirect(
                    post_logout_redirect_uri=home,
                    id_token_hint=id_token,
                    client_id=settings().oidc_client_id,
                )
        except (requests.RequestException, oidc.ProviderAnswerRefused) as exc:
            # Signed out of Relais all the same; the provider's session stays.
            log.warning("identity provider unreachable at sign-out: %s", exc)
    return redirect(url_for("public.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def forgot_password():
    """Ask for a password reset link by e-mail."""
    form = ForgotForm()
    if form.validate_on_submit():
        base = settings().base_url.rstrip("/")
        with transaction() as uow:
            sign_in.ask_password_reset(
                uow,
                form.email.data or "",
                str(get_locale() or "fr"),
                lambda token: base + url_for("auth.reset_password", token=token),
            )
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
    try:
        users.usable_reset_token(db(), token)
    except InvalidInput:
        # Say it at once (no form to fill in for nothing); 404 whatever the reason, so the
        # page does not tell which tokens once existed.
        return render_template("auth/reset_invalid.html"), 404
    form = ResetForm()
    if form.validate_on_submit():
        try:
            with transaction() as uow:
                sign_in.reset_password(uow, token, form.password.data or "")
        except InvalidInput:  # used meanwhile, in another tab
            return render_template("auth/reset_invalid.html"), 404
        flash(_("Your password is changed. Sign in with it."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)
