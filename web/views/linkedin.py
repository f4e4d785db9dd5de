"""LinkedIn activity: the agent's consent, archive import, declared posts and own figures;
participation by direction for recruiters, admins and managers (counts of agents only)."""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired, Optional

from referral import use_cases
from referral.analytics import linkedin_effect
from referral.analytics.scope import MIN_GROUP, population_conditions
from referral.errors import InvalidInput, NotFound
from referral.linkedin import activity as linkedin
from referral.local_calendar import local_date
from referral.models import Offer, OfferStatus, Role, Training, utcnow
from web.auth_user import roles_required, staff_required
from web.database import db, settings
from web.errors import field_errors, refusal_text
from web.unit_of_work import transaction

bp = Blueprint("linkedin", __name__, url_prefix="/linkedin")

MEASURE_LABELS = {
    "connections": _l("Connections added"),
    "colleague_connections": _l("Connections with colleagues"),
    "posts": _l("Posts"),
    "posts_with_link": _l("Posts with a Relais link"),
    "reactions": _l("Reactions given"),
    "comments": _l("Comments given"),
    "colleague_reactions": _l("Reactions to colleagues' posts"),
    "colleague_comments": _l("Comments on colleagues' posts"),
}


class ConsentForm(FlaskForm):
    agree = BooleanField(
        _l("I agree that Relais keeps these counts about my LinkedIn activity"),
        validators=[InputRequired(_l("Tick the box to give your consent."))],
    )
    profile_url = StringField(_l("My LinkedIn profile address (optional)"))


class ArchiveForm(FlaskForm):
    archive = FileField(
        _l("My LinkedIn archive (ZIP)"), validators=[FileRequired(_l("Choose the ZIP file."))]
    )


class PostForm(FlaskForm):
    url = StringField(_l("Address of the post"), validators=[InputRequired()])
    post_text = StringField(_l("Text of the post (optional, to find your link; not kept)"))
    impressions = IntegerField(_l("Impressions"), validators=[Optional()])
    reactions = IntegerField(_l("Reactions"), validators=[Optional()])
    comments = IntegerField(_l("Comments"), validators=[Optional()])
    reposts = IntegerField(_l("Reposts"), validators=[Optional()])


def _field_errors(form: FlaskForm, exc: InvalidInput) -> None:
    for name, message in field_errors(exc).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [message]


def _page(consent_form=None, archive_form=None, status: int = 200):
    data = linkedin.my_data(db(), current_user)
    return (
        render_template(
            "linkedin/mine.html",
            data=data,
            consent_form=consent_form or ConsentForm(),
            archive_form=archive_form or ArchiveForm(),
            labels=MEASURE_LABELS,
        ),
        status,
    )


@bp.route("/")
@staff_required
def mine():
    """The agent's own LinkedIn page: consent, import, figures over time, what is kept."""
    return _page()


@bp.route("/consent", methods=["POST"])
@staff_required
def consent():
    """Give consent (and the profile address colleagues' archives recognise)."""
    form = ConsentForm()
    if form.validate_on_submit() and form.agree.data:
        try:
            with transaction() as uow:
                use_cases.give_linkedin_consent(uow, form.profile_url.data or "")
        except InvalidInput as exc:
            _field_errors(form, exc)
        else:
            flash(
                gettext("Your consent is recorded. You can now import your archive."),
                "success",
            )
            return redirect(url_for("linkedin.mine"))
    elif not form.agree.errors:
        form.agree.errors = [gettext("Tick the box to give your consent.")]
    return _page(consent_form=form, status=400)


@bp.route("/import", methods=["POST"])
@staff_required
def import_archive():
    """Read the agent's archive in memory and replace their figures (the file is not kept)."""
    form = ArchiveForm()
    if form.validate_on_submit():
        data = form.archive.data.read()
        prefix = settings().base_url.rstrip("/") + "/r/"
        result = None
        try:
            with transaction() as uow:
                result = use_cases.import_linkedin_archive(uow, data, prefix)
        except InvalidInput as exc:
            form.archive.errors = [refusal_text(exc)]
        if result is not None:
            flash(
                gettext(
                    "Archive read: %(connections)s connections (%(colleagues)s colleagues), "
                    "%(posts)s posts, over %(weeks)s weeks. The file itself was not kept.",
                    connections=result.connections,
                    colleagues=result.colleagues,
                    posts=result.posts,
                    weeks=result.weeks,
                ),
                "success",
            )
            return redirect(url_for("linkedin.mine"))
    return _page(archive_form=form, status=400)


@bp.route("/delete", methods=["POST"])
@staff_required
def delete():
    """Withdraw consent and delete everything kept, in one click."""
    with transaction() as uow:
        use_cases.erase_linkedin(uow)
    flash(gettext("Everything Relais kept about your LinkedIn activity is deleted."), "success")
    return redirect(url_for("linkedin.mine"))


@bp.route("/offers/<int:offer_id>/posted", methods=["GET", "POST"])
@staff_required
def posted(offer_id: int):
    """ "I posted it": the address of the agent's LinkedIn post for an offer, and its counts."""
    offer = db().get(Offer, offer_id)
    if offer is None or offer.status == OfferStatus.DRAFT.value:
        abort(404)
    form = PostForm(url=request.args.get("url", ""))
    if linkedin.consent_of(db(), current_user) is None:
        flash(gettext("Give your consent first."), "error")
        return redirect(url_for("linkedin.mine"))
    if form.validate_on_submit():
        counts = {
            k: "" if getattr(form, k).data is None else str(getattr(form, k).data)
            for k in ("impressions", "reactions", "comments", "reposts")
        }
        try:
            with transaction() as uow:
                use_cases.declare_linkedin_post(
                    uow, offer.id, form.url.data or "", counts, form.post_text.data or ""
                )
        except InvalidInput as exc:
            _field_errors(form, exc)
        except NotFound:
            abort(404)
        else:
            flash(gettext("Your post is recorded."), "success")
            return redirect(url_for("linkedin.mine"))
    status = 400 if request.method == "POST" else 200
    return render_template("linkedin/posted.html", form=form, offer=offer), status


@bp.route("/participation")
@roles_required(Role.RECRUITER, Role.ADMIN, Role.MANAGER)
def participation():
    """How many agents consented and imported, by direction (never who)."""
    population = population_conditions(current_user)
    rows = linkedin.participation(db(), population)
    return render_template(
        "linkedin/participation.html",
        rows=rows,
        min_group=MIN_GROUP,
        total_imported=linkedin.imported_count(db(), population),
        trainings=db().scalars(select(Training).order_by(Training.held_on.desc())).all(),
    )


def _circle(directions: list[str], size: int = 320) -> dict[str, tuple[float, float]]:
    """Where each direction sits on the network picture: evenly around a circle."""
    centre, radius = size / 2, size / 2 - 40
    count = max(len(directions), 1)
    return {
        d: (
            round(centre + radius * math.cos(2 * math.pi * i / count - math.pi / 2), 1),
            round(centre + radius * math.sin(2 * math.pi * i / count - math.pi / 2), 1),
        )
        for i, d in enumerate(directions)
    }


@bp.route("/trainings/<int:training_id>")
@roles_required(Role.RECRUITER, Role.ADMIN, Role.MANAGER)
def training(training_id: int):
    """Before and after a training: each LinkedIn measure and the colleague network."""
    row = db().get(Training, training_id)
    if row is None:
        abort(404)
    zone = settings().timezone
    comparison = request.args.get("comparison", "never_trained")
    if comparison not in ("never_trained", "later_cohort"):
        comparison = "never_trained"
    population = population_conditions(current_user)
    effects = linkedin_effect.linkedin_effects(
        db(),
        training_id,
        today=local_date(utcnow(), zone),
        zone=zone,
        comparison=comparison,
        population=population,
    )
    design = effects.design
    networks = [
        linkedin_effect.network(
            db(), start=design.before.start, end=design.before.end, population=population
        ),
        linkedin_effect.network(
            db(), start=design.after.start, end=design.after.end, population=population
        ),
    ]
    return render_template(
        "linkedin/training.html",
        training=row,
        effects=effects,
        design=design,
        networks=networks,
        positions=_circle(networks[0].directions),
        labels=MEASURE_LABELS,
        min_group=MIN_GROUP,
        comparison=comparison,
    )
