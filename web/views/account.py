"""The signed-in user's own settings, and the language switch for everyone."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from referral.i18n import LOCALES
from web.auth_user import public, staff_required
from web.database import db
from web.views.auth import _safe_next

bp = Blueprint("account", __name__, url_prefix="/account")

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[(k, v) for k, v in LANGUAGE_NAMES.items()])


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the site's language (kept in the session, and on the account when signed in)."""
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data in LOCALES:
        session["lang"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db().merge(current_user)
            db().commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("public.index"))


@bp.route("/", methods=["GET", "POST"])
@staff_required
def settings():
    """Personal settings: language."""
    form = LanguageForm(locale=current_user.locale or "fr")
    if form.validate_on_submit():
        current_user.locale = form.locale.data
        db().merge(current_user)
        db().commit()
        session["lang"] = form.locale.data
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("account.settings"))
    return render_template("account/settings.html", form=form)
