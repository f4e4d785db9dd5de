"""The agent's referrals: recommend a person, follow "My referrals", and the leaderboard."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from referral import use_cases
from referral.applications import applying as applications
from referral.applications import credits, referrals
from referral.errors import InvalidInput, NotFound
from referral.models import CreditState, Direction, Offer, ReferralStatus, utcnow
from web.auth_user import staff_required
from web.database import db, settings
from web.errors import refusal_text
from web.offer_labels import LABELS
from web.templating import candidate_name
from web.unit_of_work import transaction

bp = Blueprint("referrals", __name__, url_prefix="/agent")

REQUIRED = _l("This field is required.")
STAGE_LABELS = {
    "invited": _l("Invited, has not applied yet"),
    "applied": _l("Application received"),
    "shortlisted": _l("Application being looked at closely"),
    "interview": _l("Interview stage"),
    "hired": _l("Recruited"),
    "not_retained": _l("Process ended"),
}
MILESTONE_LABELS = LABELS["milestone"]
STATE_LABELS = {
    CreditState.PENDING: _l("pending (probation)"),
    CreditState.ELIGIBLE: _l("eligible"),
    CreditState.PAID: _l("paid"),
    CreditState.VOID: _l("cancelled"),
}
# Under the "recognition" reward model points are earned, never payable (config.reward_model).
RECOGNITION_STATE_LABELS = {**STATE_LABELS, CreditState.ELIGIBLE: _l("earned")}


def state_labels() -> dict[str, object]:
    """The credit states in the words of the organisation's reward model."""
    return STATE_LABELS if settings().reward_model == "bonus" else RECOGNITION_STATE_LABELS


PERIODS = {
    "month": (_l("Last 30 days"), 30),
    "quarter": (_l("Last 3 months"), 91),
    "year": (_l("Last 12 months"), 365),
    "all": (_l("All time"), None),
}


class ReferForm(FlaskForm):
    offer_id = SelectField(_l("Offer"), coerce=int, validators=[DataRequired(REQUIRED)])
    first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    email = EmailField(_l("Their e-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    relationship = StringField(
        _l("How you know them"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    reason = TextAreaField(
        _l("Why they fit this position"), validators=[DataRequired(REQUIRED), Length(max=4000)]
    )


class VisibilityForm(FlaskForm):
    pass


@bp.route("/refer", methods=["GET", "POST"])
@staff_required
def refer():
    """Recommend a person you know for an open offer; they get a personal invitation."""
    session = db()
    offers = session.scalars(
        select(Offer).where(Offer.is_open(utcnow().date())).order_by(Offer.title, Offer.id)
    ).all()
    form = ReferForm()
    form.offer_id.choices = [(0, _("Choose an offer"))] + [(o.id, o.title) for o in offers]
    if request.method == "GET" and request.args.get("offer_id", "").isdigit():
        form.offer_id.data = int(request.args["offer_id"])
    status = 200
    if form.validate_on_submit():
        data = referrals.ReferralInput(
            first_name=form.first_name.data or "",
            last_name=form.last_name.data or "",
            email=form.email.data or "",
            relationship=form.relationship.data or "",
            reason=form.reason.data or "",
        )
        referral = None
        try:
            with transaction() as uow:
                referral = use_cases.refer(uow, form.offer_id.data, data)
        except referrals.ReferralRefused as exc:
            form.email.errors = [*form.email.errors, refusal_text(exc)]
        except NotFound:
            form.offer_id.errors = [*form.offer_id.errors, _("Choose an open offer.")]
        except InvalidInput as exc:
            if "email" in exc.errors:
                form.email.errors = [*form.email.errors, _("Enter a valid e-mail address.")]
            else:
                form.first_name.errors = [*form.first_name.errors, str(REQUIRED)]
        if referral is None:
            status = 422
        else:
            flash(
                _(
                    "Thank you! %(name)s will receive an invitation to apply with a personal link.",
                    name=f"{referral.first_name} {referral.last_name}",
                ),
                "success",
            )
            return redirect(url_for("referrals.mine"))
    elif request.method == "POST":
        status = 422
    return render_template("referrals/refer.html", form=form, has_offers=bool(offers)), status


@bp.route("/referrals")
@staff_required
def mine():
    """My referrals: each person I brought, the offer, the stage, and my points."""
    session = db()
    now = utcnow()
    apps = applications.agent_applications(session, current_user.id)
    events = credits.agent_events(session, current_user.id)
    by_app = defaultdict(list)
    for event in events:
        by_app[event.application_id].append(event)
    invited = [
        r
        for r in referrals.agent_referrals(session, current_user.id)
        if r.status == ReferralStatus.INVITED
    ]
    rows = [
        {
            "name": candidate_name(app.candidate),
            "offer": app.offer.title,
            "stage": applications.stage_of(app.status),
            "via_referral": app.referral_id is not None,
            "date": app.created_at,
            "points": sum(e.points for e in by_app[app.id]),
        }
        for app in apps
    ]
    return render_template(
        "referrals/mine.html",
        rows=rows,
        invited=invited,
        events=events,
        apps={a.id: a for a in apps},
        total=sum(e.points for e in events),
        stage_labels=STAGE_LABELS,
        milestone_labels=MILESTONE_LABELS,
        state_labels=state_labels(),
        # Probation over shows as eligible at once; the worker records it daily (no GET write).
        state_of=lambda event: credits.state_on(event, now),
    )


def _descendants(directions: list[Direction], root_id: int) -> set[int]:
    children = defaultdict(list)
    for d in directions:
        children[d.parent_id].append(d.id)
    found, todo = set(), [root_id]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(children[current])
    return found


@bp.route("/leaderboard")
@staff_required
def leaderboard():
    """Agents ranked by points, by period and direction; each agent may leave it."""
    session = db()
    period = request.args.get("period", "quarter")
    if period not in PERIODS:
        period = "quarter"
    days = PERIODS[period][1]
    since = utcnow() - timedelta(days=days) if days else None
    directions = session.scalars(select(Direction).order_by(Direction.name)).all()
    raw = request.args.get("direction", "")
    direction_id = int(raw) if raw.isdigit() and any(d.id == int(raw) for d in directions) else None
    scope = _descendants(directions, direction_id) if direction_id else None
    rows = credits.leaderboard(session, since=since, direction_ids=scope)
    return render_template(
        "referrals/leaderboard.html",
        rows=rows,
        periods=PERIODS,
        period=period,
        directions=directions,
        direction_id=direction_id,
        form=VisibilityForm(),
    )


@bp.route("/leaderboard/visibility", methods=["POST"])
@staff_required
def leaderboard_visibility():
    """Leave the leaderboard, or join it again."""
    form = VisibilityForm()
    if form.validate_on_submit():
        visible = request.form.get("visible") == "1"
        with transaction() as uow:
            use_cases.set_on_leaderboard(uow, visible)
        flash(
            _("You are on the leaderboard again.")
            if visible
            else _("You have left the leaderboard: your name is no longer shown."),
            "success",
        )
    return redirect(url_for("referrals.leaderboard"))
