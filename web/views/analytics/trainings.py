"""The trainings pages: each training's effect on whole weeks with its interval, the one-page
reports (printable, or as PDF), and the administration of trainings and their attendees
(admins; recruiters read). Changes run as use cases on the unit of work
(:mod:`referral.people.trainings`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from referral.analytics import training_effect
from referral.analytics.scope import population_conditions
from referral.errors import InvalidInput, NotFound
from referral.local_calendar import local_date
from referral.models import Role, utcnow
from referral.people import trainings
from web import charts
from web.auth_user import roles_required
from web.database import db, settings
from web.offer_labels import LABELS
from web.unit_of_work import transaction
from web.views.analytics import bp
from web.views.analytics.tables import (
    NOT_ENOUGH,
    READERS,
    VIEWERS,
    Column,
    Table,
    format_cell,
    format_date_short,
    freshness,
    respond,
    scope_note,
)

AUDIENCE_LABELS = LABELS["audience"]


# --- trainings: reports ---------------------------------------------------------------------


@bp.route("/trainings")
@roles_required(*VIEWERS)
def trainings_list():
    """Trainings, most recent first, with their number of attendees."""
    rows = training_effect.list_trainings(db())
    table = Table(
        "trainings",
        _("Trainings"),
        [
            Column("title", _("Training"), "text"),
            Column("held_on", _("Date"), "date"),
            Column("audience", _("Audience"), "text"),
            Column("attendees", _("Attendees"), "int"),
        ],
        [
            {
                "held_on": t.held_on,
                "title": t.title,
                "audience": str(AUDIENCE_LABELS.get(t.audience, t.audience)),
                "attendees": n,
            }
            for t, n in rows
        ],
        links={
            i: url_for("analytics.training", training_id=t.id) for i, (t, _n) in enumerate(rows)
        },
    )
    return respond("analytics/trainings.html", {"trainings": table}, None)


COMPARISON_LABELS = {
    "never_trained": _l("Staff who had attended no training by the end of the window"),
    "later_cohort": _l("Attendees of a later training, before they attended (staggered)"),
}
EFFECT_LABELS = {
    "links": _l("Share links created"),
    "people": _l("People reached"),
    "applications": _l("Applications brought in"),
    "hires": _l("Hires"),
}


class WeeksForm(FlaskForm):
    class Meta:
        csrf = False

    weeks = IntegerField(
        _l("Weeks before and after"),
        default=training_effect.DEFAULT_WEEKS,
        validators=[Optional(), NumberRange(min=1, max=training_effect.MAX_WEEKS)],
    )
    comparison = SelectField(
        _l("Comparison group"),
        choices=[],
        default="never_trained",
        validators=[Optional()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.comparison.choices = [(k, str(v)) for k, v in COMPARISON_LABELS.items()]


@dataclass
class TrainingFigures:
    training: Any
    design: training_effect.TrainingDesign
    effects: dict[str, training_effect.EffectEstimate]
    tables: dict[str, Table]
    chart: Any


def _design(row, weeks: int, comparison: str) -> training_effect.TrainingDesign:
    """A training's windows and groups as of today, within what the viewer may see."""
    zone = settings().timezone
    return training_effect.training_design(
        db(),
        row.id,
        today=local_date(utcnow(), zone),
        zone=zone,
        comparison=comparison,
        weeks=weeks,
        population=population_conditions(current_user),
    )


def _training_figures(
    row, design: training_effect.TrainingDesign, agent_weeks=None
) -> TrainingFigures:
    """The estimates, the tables and the chart of one training. ``agent_weeks``: the
    per-agent weekly counts already loaded (the programme report loads them once for every
    training); by default, those of this training's groups and windows, loaded once for both
    the estimates and the chart."""
    zone = settings().timezone
    if agent_weeks is None and design.enough:
        agent_weeks = training_effect.design_weeks(db(), design, zone)
    effects = training_effect.training_effects(db(), design, zone, agent_weeks)
    weekly = training_effect.weekly_links(db(), design, zone, agent_weeks)
    chart = None
    if design.enough:
        chart = charts.line_chart(
            [format_date_short(d) for d in weekly.week_starts],
            [(_("Attendees"), weekly.treated), (_("Comparison group"), weekly.comparison)],
            marker_index=weekly.excluded,
            number=lambda v: format_decimal(v, format="#,##0.##"),
        )
    return TrainingFigures(row, design, effects, _training_tables(design, effects, weekly), chart)


def _training_context(figures: TrainingFigures) -> dict[str, Any]:
    design = figures.design
    return {
        "training": figures.training,
        "design": design,
        "effects": figures.effects,
        "chart": figures.chart,
        "comparison_label": COMPARISON_LABELS[design.comparison_rule],
        "audience": AUDIENCE_LABELS.get(figures.training.audience, figures.training.audience),
        "min_weeks": training_effect.MIN_WEEKS,
        "before_last": design.before.end - timedelta(days=1),
        "after_last": design.after.end - timedelta(days=1),
    }


def _weeks_form() -> tuple[WeeksForm, int, str]:
    form = WeeksForm(formdata=request.args)
    weeks, comparison = training_effect.DEFAULT_WEEKS, "never_trained"
    if form.validate():
        weeks = form.weeks.data or weeks
        comparison = form.comparison.data or comparison
    if not form.weeks.errors and not form.weeks.data:
        form.weeks.data = weeks
    form.comparison.data = comparison
    return form, weeks, comparison


@bp.route("/trainings/<int:training_id>")
@roles_required(*VIEWERS)
def training(training_id: int):
    """One training: its attendees against a stated comparison group, on whole weeks, with
    the difference in differences and its 95% interval per measure."""
    form, weeks, comparison = _weeks_form()
    row = trainings.get_training(db(), training_id)
    figures = _training_figures(row, _design(row, weeks, comparison))
    return respond(
        "analytics/training.html",
        figures.tables,
        None,
        form=form,
        scope_note=scope_note(),
        **_training_context(figures),
    )


def _report(template: str, filename: str, **context):
    """A one-page report: the printable page, or its PDF (``?format=pdf``)."""
    pdf = request.args.get("format") == "pdf"
    args = request.args.to_dict()
    args.pop("format", None)
    html = render_template(
        template,
        pdf=pdf,
        today=local_date(utcnow(), settings().timezone),
        pdf_url=url_for(request.endpoint, **request.view_args, **args, format="pdf"),
        freshness=freshness(),
        **context,
    )
    if not pdf:
        return html
    from web.pdf import html_to_pdf

    return Response(
        html_to_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
    )


@bp.route("/trainings/<int:training_id>/report")
@roles_required(*VIEWERS)
def training_report(training_id: int):
    """One training on one page, to print or download as PDF."""
    _form, weeks, comparison = _weeks_form()
    row = trainings.get_training(db(), training_id)
    figures = _training_figures(row, _design(row, weeks, comparison))
    return _report(
        "analytics/report_training.html",
        f"training-{training_id}",
        tables=figures.tables,
        back_url=url_for("analytics.training", training_id=training_id, **request.args),
        **_training_context(figures),
    )


@bp.route("/trainings/report")
@roles_required(*VIEWERS)
def programme_report():
    """Every training on one page: its groups, weeks and effects, to print or as PDF."""
    items = []
    rows = [row for row, _n in training_effect.list_trainings(db())]
    designs = [_design(row, training_effect.DEFAULT_WEEKS, "never_trained") for row in rows]
    # Every training's per-agent weeks in four queries, not four per training.
    shared = training_effect.programme_weeks(db(), designs, settings().timezone)
    for row, design in zip(rows, designs, strict=True):
        figures = _training_figures(row, design, shared)
        items.append(
            {"training": row, "design": figures.design, "rows": figures.tables["effect"].rows}
        )
    return _report(
        "analytics/report_programme.html",
        "trainings",
        items=items,
        weeks=training_effect.DEFAULT_WEEKS,
        measure_labels=[EFFECT_LABELS[m] for m in training_effect.MEASURES],
        interval_charts=[
            (EFFECT_LABELS[measure], _programme_intervals(items, n))
            for n, measure in enumerate(training_effect.MEASURES)
        ],
        back_url=url_for("analytics.trainings_list"),
    )


def _programme_intervals(items: list[dict], n: int) -> charts.IntervalChart:
    """The programme's ``n``-th measure, each training's estimate with its interval on one
    axis (a training too recent to compare, or with nothing to compare, is named with why)."""
    rows = []
    for item in items:
        training, design = item["training"], item["design"]
        # Dated, as the table above names them (the titles often begin alike).
        label = format_date(training.held_on, "medium")
        if design.in_progress:
            label = _("%(date)s, in progress", date=label)
        if not design.enough:
            rows.append((label, None, None, None, False, _("Too early to compare")))
            continue
        row = item["rows"][n]
        drawn = all(isinstance(row[k], float | int) for k in ("effect", "low", "high"))
        text = (
            f"{format_cell(row['effect'], 'signed')} [{format_cell(row['low'], 'signed')} … "
            f"{format_cell(row['high'], 'signed')}]"
            if drawn
            else _("nothing to compare")
            if row["effect"] is None
            else str(NOT_ENOUGH)
        )
        rows.append(
            (
                label,
                row["effect"] if drawn else None,
                row["low"] if drawn else None,
                row["high"] if drawn else None,
                row["measurable"],
                text,
            )
        )
    return charts.interval_chart(rows, number=_tick, left=200, text_width=215, row_height=18)


def _tick(value: float) -> str:
    """An axis tick: exact (0.125 stays 0.125), signed."""
    text = format_decimal(value, format="0.###")
    return f"+{text}" if value > 0 else text


def _verdict(estimate: training_effect.EffectEstimate) -> str:
    if estimate.effect is None:
        return _("Not enough agents to compare")
    if estimate.nothing_happened:
        return _("None in either group, before or after: nothing to compare")
    if estimate.measurable:
        return _("Measurable effect")
    return _("No measurable effect")


def _no_figure(estimate: training_effect.EffectEstimate):
    """The cell of an estimate without a figure: too few agents, or nothing to compare."""
    return None if estimate.nothing_happened else NOT_ENOUGH


def _training_tables(design, effects, weekly) -> dict[str, Table]:
    rule = str(COMPARISON_LABELS[design.comparison_rule])
    rows = []
    for measure, estimate in effects.items():
        # No figure where there is nothing to compare: "0 [0 … 0]" would read as certain.
        shown = estimate.effect is not None and not estimate.nothing_happened
        rows.append(
            {
                "measure": str(EFFECT_LABELS[measure]),
                "treated_before": estimate.treated_before,
                "treated_after": estimate.treated_after,
                "comparison_before": estimate.comparison_before,
                "comparison_after": estimate.comparison_after,
                "effect": estimate.effect if shown else _no_figure(estimate),
                "low": estimate.low if shown and estimate.low is not None else _no_figure(estimate),
                "high": estimate.high
                if shown and estimate.high is not None
                else _no_figure(estimate),
                "verdict": _verdict(estimate),
                "measurable": estimate.measurable,
                "treated_n": estimate.treated_n,
                "comparison_n": estimate.comparison_n,
                "comparison_rule": rule,
                "weeks": design.observed_weeks,
            }
        )
    effect = Table(
        "effect",
        _(
            "Per agent and per week, over %(k)s whole weeks before and after",
            k=design.observed_weeks,
        ),
        [
            Column("measure", _("Measure"), "text"),
            Column("treated_before", _("Attendees before"), "ratio"),
            Column("treated_after", _("Attendees after"), "ratio"),
            Column("comparison_before", _("Comparison before"), "ratio"),
            Column("comparison_after", _("Comparison after"), "ratio"),
            Column("effect", _("Difference in differences"), "signed"),
            Column("low", _("95% interval: low"), "signed"),
            Column("high", _("95% interval: high"), "signed"),
            Column("verdict", _("Reading"), "text"),
            Column("treated_n", _("Attendees (agents)"), "int"),
            Column("comparison_n", _("Comparison group (agents)"), "int"),
            Column("comparison_rule", _("Comparison group rule"), "text"),
            Column("weeks", _("Weeks compared"), "int"),
        ],
        rows,
    )
    weekly_table = Table(
        "weekly",
        _("Share links created per agent, per whole week"),
        [
            Column("week", _("Week of"), "date"),
            Column("period", _("Period"), "text"),
            Column("treated", _("Attendees"), "ratio"),
            Column("comparison", _("Comparison group"), "ratio"),
        ],
        [
            {
                "week": day,
                "period": _("before")
                if i < weekly.excluded
                else (_("training week (left out)") if i == weekly.excluded else _("after")),
                "treated": weekly.treated[i],
                "comparison": weekly.comparison[i],
            }
            for i, day in enumerate(weekly.week_starts)
        ]
        if design.enough
        else [],
    )
    return {"effect": effect, "weekly": weekly_table}


# --- trainings: administration (admins; recruiters read) -------------------------------------


class TrainingForm(FlaskForm):
    title = StringField(_l("Title of the training"), validators=[DataRequired(), Length(max=200)])
    audience = SelectField(_l("Audience"), choices=[], validators=[DataRequired()])
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.audience.choices = [(k, str(v)) for k, v in AUDIENCE_LABELS.items()]


class AttendeesForm(FlaskForm):
    emails = TextAreaField(_l("E-mail addresses"), validators=[Optional(), Length(max=200_000)])
    email = StringField(_l("Or one member of staff"), validators=[Optional(), Length(max=254)])


def _save(form: TrainingForm, training_row=None):
    try:
        with transaction() as uow:
            saved = trainings.save_training(
                uow,
                training_row,
                title=form.title.data or "",
                audience=form.audience.data or "",
                held_on=form.held_on.data,
                notes=form.notes.data or "",
            )
    except InvalidInput:
        form.title.errors = [*form.title.errors, _("Check the fields of the form.")]
        return None
    return saved


@bp.route("/trainings/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_training():
    """Create a training."""
    form = TrainingForm()
    if form.validate_on_submit():
        saved = _save(form)
        if saved is not None:
            flash(_("The training is saved. Add its attendees now."), "success")
            return redirect(url_for("analytics.attendees", training_id=saved.id))
    return render_template("analytics/training_form.html", form=form, training=None)


@bp.route("/trainings/<int:training_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_training(training_id: int):
    """Change a training's title, audience, date or notes."""
    row = trainings.get_training(db(), training_id)
    form = TrainingForm(obj=row)
    if form.validate_on_submit():
        saved = _save(form, row)
        if saved is not None:
            flash(_("The training is saved."), "success")
            return redirect(url_for("analytics.training", training_id=row.id))
    return render_template("analytics/training_form.html", form=form, training=row)


@bp.route("/trainings/<int:training_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def delete_training(training_id: int):
    """Delete a training and its list of attendees."""
    with transaction() as uow:
        trainings.delete_training(uow, training_id)
    flash(_("The training is deleted."), "success")
    return redirect(url_for("analytics.trainings_list"))


@bp.route("/trainings/<int:training_id>/attendees")
@roles_required(*READERS)
def attendees(training_id: int):
    """The attendees of a training; admins add and remove them here."""
    row = trainings.get_training(db(), training_id)
    return _attendees_page(row, AttendeesForm(formdata=None))


def _attendees_page(row, form, result=None):
    people = trainings.attendees(db(), row.id)
    suggestions = trainings.staff_emails(db()) if current_user.has_role(Role.ADMIN) else []
    return render_template(
        "analytics/attendees.html",
        training=row,
        people=people,
        form=form,
        result=result,
        suggestions=suggestions,
        audience=AUDIENCE_LABELS.get(row.audience, row.audience),
    )


@bp.route("/trainings/<int:training_id>/attendees", methods=["POST"])
@roles_required(Role.ADMIN)
def add_attendees(training_id: int):
    """Add attendees by e-mail: one, or a pasted list."""
    row = trainings.get_training(db(), training_id)
    form = AttendeesForm()
    if not form.validate_on_submit():
        return _attendees_page(row, form), 400
    try:
        text = f"{form.emails.data or ''}\n{form.email.data or ''}"
        with transaction() as uow:
            result = trainings.add_attendees(uow, row.id, text)
    except InvalidInput:
        form.emails.errors = [_("Enter at least one e-mail address (at most 2,000 at once).")]
        return _attendees_page(row, form), 400
    if result.added:
        flash(
            ngettext("%(num)s attendee added.", "%(num)s attendees added.", len(result.added)),
            "success",
        )
    if result.unknown or result.invalid:
        # Keep what was not understood in the box, so it can be corrected.
        form.emails.data = "\n".join(result.unknown + result.invalid)
        form.email.data = ""
        return _attendees_page(row, form, result)
    return redirect(url_for("analytics.attendees", training_id=row.id))


@bp.route("/trainings/<int:training_id>/attendees/<int:user_id>/remove", methods=["POST"])
@roles_required(Role.ADMIN)
def remove_attendee(training_id: int, user_id: int):
    """Remove one attendee from a training."""
    try:
        with transaction() as uow:
            trainings.remove_attendee(uow, training_id, user_id)
    except NotFound:
        abort(404)
    flash(_("The attendee is removed."), "success")
    return redirect(url_for("analytics.attendees", training_id=training_id))
