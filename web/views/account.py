"""The signed-in user's own settings, and the language switch for everyone."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.validators import InputRequired

from referral.errors import InvalidInput
from referral.i18n import LOCALES
from referral.notifications import outbox as notifications
from referral.people import users
from web.auth_user import public, staff_required
from web.database import db
from web.views.auth import _safe_next

bp = Blueprint("account", __name__, url_prefix="/account")

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[(k, v) for k, v in LANGUAGE_NAMES.items()])


class SettingsForm(FlaskForm):
    """The language setting: a fixed language, or the browser's ("" stored as None)."""

    locale = SelectField(
        _l("Language"),
        choices=[("", _l("Browser's language"))] + [(k, v) for k, v in LANGUAGE_NAMES.items()],
    )


NOTIFICATION_KINDS = {
    "new_application": _l("A new application to an offer I follow"),
    "offer_closing": _l("One of my offers closes in 3 days"),
    "referral_update": _l("News of the people I referred"),
    "new_offer": _l("A new offer in my direction"),
    "strong_match": _l("A strong match for an offer I follow"),
}
NOTIFICATION_MODES = {
    "immediate": _l("At once"),
    "digest": _l("In the daily digest"),
    "off": _l("No e-mail (inbox only)"),
}
# New offers are opt-in: "off" means not being told at all, not even in the inbox.
OPT_IN_LABELS = {"new_offer": {"off": _l("Do not tell me")}}


def notification_form(user, formdata=None) -> FlaskForm:
    """A form with one choice (at once, daily digest, off) per kind the user may set."""

    class NotificationForm(FlaskForm):
        pass

    for kind in notifications.settable_kinds(user):
        labels = NOTIFICATION_MODES | OPT_IN_LABELS.get(kind, {})
        choices = [(mode, labels[mode]) for mode in notifications.MODES]
        field = RadioField(NOTIFICATION_KINDS[kind], choices=choices, validators=[InputRequired()])
        setattr(NotificationForm, kind, field)
    return NotificationForm(formdata=formdata, data=notifications.preferences(db(), user))


def _render_settings(form, notifications_form, status: int = 200):
    fixed = [NOTIFICATION_KINDS[k] for k in notifications.fixed_kinds(current_user)]
    page = render_template(
        "account/settings.html",
        form=form,
        notification_form=notifications_form,
        fixed_notifications=fixed,
    )
    return page, status


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the site's language (kept in the session, and on the account when signed in:
    see users.switch_language)."""
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data in LOCALES:
        session["lang"] = form.locale.data
        if current_user.is_authenticated:
            users.switch_language(current_user, form.locale.data)
            db().merge(current_user)
            db().commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("public.index"))


@bp.route("/", methods=["GET", "POST"])
@staff_required
def settings():
    """Personal settings: language and notifications."""
    form = SettingsForm(locale=current_user.locale or "")
    if form.validate_on_submit():
        users.choose_language(current_user, form.locale.data, _browser_locale())
        if form.locale.data:
            session["lang"] = form.locale.data
        else:  # the browser decides again
            session.pop("lang", None)
        db().merge(current_user)
        db().commit()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("account.settings"))
    return _render_settings(form, notification_form(current_user))


@bp.route("/notifications", methods=["POST"])
@staff_required
def notification_settings():
    """Save how each kind of notification reaches me."""
    form = notification_form(current_user, formdata=request.form)
    if form.validate_on_submit():
        modes = {f.name: f.data for f in form if isinstance(f, RadioField)}
        try:
            notifications.set_preferences(db(), current_user, modes)
        except InvalidInput:
            db().rollback()
        else:
            db().commit()
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for("account.settings", _anchor="notifications"))
    flash(_("Choose one option for each kind of notification."), "error")
    return _render_settings(
        SettingsForm(formdata=None, locale=current_user.locale or ""), form, 400
    )


def _browser_locale() -> str:
    """The language the browser asks for (what "the browser's language" setting shows)."""
    return request.accept_languages.best_match(LOCALES) or "fr"
