"""Administration of credits: points per milestone, and hire credits to pay."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from referral.applications import credits
from referral.errors import InvalidInput
from referral.models import Role
from web.auth_user import roles_required
from web.database import settings
from web.unit_of_work import transaction
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
    with transaction() as uow:
        hires = credits.hire_credits_to_review(uow)
        now = uow.now()
    return (
        render_template(
            "credits_admin/index.html",
            form=form,
            pay_form=PayForm(),
            hires=hires,
            milestones=credits.MILESTONES,
            milestone_labels=MILESTONE_LABELS,
            state_labels=state_labels(),
            # Probation over shows as eligible at once; the worker records it daily (no GET write).
            state_of=lambda event: credits.state_on(event, now),
            bonus=settings().reward_model == "bonus",
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def index():
    """Points per milestone (editable) and hire credits pending, eligible and paid."""
    form = RulesForm()
    if form.validate_on_submit():
        with transaction() as uow:
            credits.save_rules(
                uow,
                {
                    milestone: (
                        getattr(form, milestone).data,
                        getattr(form, f"{milestone}_active").data,
                    )
                    for milestone in credits.MILESTONES
                },
            )
        flash(_("The credit rules are saved. They apply to the next credits."), "success")
        return redirect(url_for("credits_admin.index"))
    if form.is_submitted():
        return _page(form, 422)
    with transaction() as uow:
        rules = credits.rules_to_edit(uow)
    for milestone, rule in rules.items():
        getattr(form, milestone).data = rule.points
        getattr(form, f"{milestone}_active").data = rule.active
    return _page(form)


@bp.route("/<int:event_id>/pay", methods=["POST"])
@roles_required(Role.ADMIN)
def pay(event_id: int):
    """Record the payment of an eligible hire credit."""
    form = PayForm()
    if form.validate_on_submit():
        try:
            with transaction() as uow:
                credits.pay(uow, event_id)
        except InvalidInput:
            if settings().reward_model != "bonus":
                flash(_("Points are for recognition here: they are not paid."), "error")
            else:
                flash(_("Only an eligible credit can be paid."), "error")
        else:
            flash(_("The payment is recorded."), "success")
    return redirect(url_for("credits_admin.index"))
