"""Administration of credits: points per milestone, and hire credits to pay."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from referral.applications import credits
from referral.errors import InvalidInput
from referral.models import Role
from web.auth_user import roles_required
from web.database import db, settings
from web.views.referrals import MILESTONE_LABELS, state_labels

bp = Blueprint("credits_admin", __name__, url_prefix="/admin/credits")

POINTS = [InputRequired(_l("Enter a number of points.")), NumberRange(0, 10000)]


class RulesForm(FlaskForm):
    """Points and on/off per milestone; each milestone is a fieldset whose legend names it."""

    applied = IntegerField(_l("Points"), validators=POINTS)
    applied_active = BooleanField(_l("Active"))
    shortlisted = IntegerField(_l("Points"), validators=POINTS)
    shortlisted_active = BooleanField(_l("Active"))
    interview = IntegerField(_l("Points"), validators=POINTS)
    interview_active = BooleanField(_l("Active"))
    hired = IntegerField(_l("Points"), validators=POINTS)
    hired_active = BooleanField(_l("Active"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The labels say what the field is ("Points", "Active"); a visually hidden part names
        # the milestone, so that each field's name stays unique for screen readers.
        for milestone in credits.MILESTONES:
            for name in (milestone, f"{milestone}_active"):
                label = self[name].label
                label.text = Markup('{} <span class="visually-hidden">({})</span>').format(
                    label.text, MILESTONE_LABELS[milestone]
                )


class PayForm(FlaskForm):
    pass


def _page(form: RulesForm, status: int = 200):
    session = db()
    credits.refresh_states(session)
    hires = credits.hire_credits(session)
    session.commit()
    return (
        render_template(
            "credits_admin/index.html",
            form=form,
            pay_form=PayForm(),
            hires=hires,
            milestones=credits.MILESTONES,
            milestone_labels=MILESTONE_LABELS,
            state_labels=state_labels(),
            bonus=settings().reward_model == "bonus",
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def index():
    """Points per milestone (editable) and hire credits pending, eligible and paid."""
    session = db()
    rules = credits.ensure_rules(session)
    form = RulesForm()
    if form.validate_on_submit():
        for milestone in credits.MILESTONES:
            credits.update_rule(
                session,
                milestone,
                points=getattr(form, milestone).data,
                active=getattr(form, f"{milestone}_active").data,
                actor=current_user,
            )
        session.commit()
        flash(_("The credit rules are saved. They apply to the next credits."), "success")
        return redirect(url_for("credits_admin.index"))
    if form.is_submitted():
        return _page(form, 422)
    for milestone, rule in rules.items():
        getattr(form, milestone).data = rule.points
        getattr(form, f"{milestone}_active").data = rule.active
    session.commit()
    return _page(form)


@bp.route("/<int:event_id>/pay", methods=["POST"])
@roles_required(Role.ADMIN)
def pay(event_id: int):
    """Record the payment of an eligible hire credit."""
    form = PayForm()
    if form.validate_on_submit():
        try:
            credits.record_payment(
                db(), event_id, actor=current_user, reward_model=settings().reward_model
            )
        except InvalidInput:
            db().rollback()
            if settings().reward_model != "bonus":
                flash(_("Points are for recognition here: they are not paid."), "error")
            else:
                flash(_("Only an eligible credit can be paid."), "error")
        else:
            db().commit()
            flash(_("The payment is recorded."), "success")
    return redirect(url_for("credits_admin.index"))
