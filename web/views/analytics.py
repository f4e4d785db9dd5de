"""Analytics of the ambassador programme: funnel, over time, trainings, leaderboards.

Recruiters and admins see everything; managers see the same pages restricted to their own
direction (the restriction is applied by ``referral.analytics``). Every table can be
downloaded as CSV (``?format=csv&table=<name>``). Trainings are administered here too.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from referral import analytics, training_effect
from referral.analytics import Filters, Period
from referral.errors import InvalidInput, NotFound
from referral.local_calendar import local_date
from referral.models import Channel, Role, TrainingAudience, utcnow
from referral.people import trainings
from web import charts
from web.auth_user import roles_required
from web.database import db, settings, writing_session

bp = Blueprint("analytics", __name__, url_prefix="/analytics")

VIEWERS = (Role.RECRUITER, Role.ADMIN, Role.MANAGER)
READERS = (Role.RECRUITER, Role.ADMIN)
PRESETS = {"30d": 30, "90d": 90, "12m": 365}
PRESET_LABELS = {"30d": _l("Last 30 days"), "90d": _l("Last 90 days"), "12m": _l("Last 12 months")}
DEFAULT_PRESET = "90d"
GROUP_LABELS = {
    "offer": _l("Offer"),
    "direction": _l("Direction"),
    "channel": _l("Channel"),
    "agent": _l("Agent"),
}
CHANNEL_LABELS = {
    "linkedin": "LinkedIn",
    "email": _l("E-mail"),
    "whatsapp": "WhatsApp",
    "x": "X",
    "facebook": "Facebook",
    "copy": _l("Copied link"),
    "qr": _l("QR code"),
    "share_link": _l("Share link"),
    "referral": _l("Direct referral"),
    "careers": _l("Careers site"),
    "internal": _l("Internal mobility"),
}
AUDIENCE_LABELS = {
    TrainingAudience.DGA.value: _l("Deputy directors-general (DGA)"),
    TrainingAudience.DIRECTORS.value: _l("Directors"),
    TrainingAudience.AGENTS.value: _l("Agents"),
}
SORT_LABELS = {
    "applications": _l("Applications"),
    "people": _l("People reached"),
    "hires": _l("Hires"),
    "points": _l("Points"),
    "links": _l("Share links created"),
}
METRIC_LABELS = {
    "links": _l("Share links created"),
    "people": _l("People reached"),
    "applications": _l("Applications brought in"),
}


class NotEnough:
    """A cell of a group too small to show a figure (fewer than five agents)."""

    def __str__(self) -> str:
        return _("Not enough data")


NOT_ENOUGH = NotEnough()


@bp.context_processor
def table_helpers():
    from flask_babel import format_date

    return {
        "format_cell": format_cell,
        "format_date": format_date,
        "not_enough": lambda value: isinstance(value, NotEnough),
    }


# --- tables and their CSV -------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: Any
    kind: str = "int"  # text, int, pct, days, ratio, signed, date


@dataclass
class Table:
    name: str
    caption: Any
    columns: list[Column]
    rows: list[dict]
    footer: dict | None = None
    links: dict[int, str] = field(default_factory=dict)  # row index -> URL of its first cell


def format_cell(value, kind: str, for_csv: bool = False) -> str:
    """A cell as text in the reader's language ("—" when undefined)."""
    if isinstance(value, NotEnough):
        return str(value)
    if value is None:
        return "" if for_csv else "—"
    if kind == "text":
        text = str(value)
        # A spreadsheet would run a cell starting like a formula: keep it text.
        return f"'{text}" if for_csv and text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
    if kind == "date":
        return value.isoformat()
    grouping = not for_csv
    if kind == "pct":
        if for_csv:
            return format_decimal(value * 100, format="0.0")
        return format_percent(value, format="0.0 %")
    if kind == "days":
        return format_decimal(value, format="#,##0.0" if grouping else "0.0")
    if kind == "ratio":
        return format_decimal(value, format="#,##0.0#" if grouping else "0.0#")
    if kind == "signed":
        text = format_decimal(value, format="#,##0.##" if grouping else "0.##")
        return f"+{text}" if value > 0 else text
    return format_decimal(value, format="#,##0" if grouping else "0")


def csv_response(table: Table, period: Period | None) -> Response:
    """The table as CSV: UTF-8 with BOM, ``;`` in French and ``,`` in English."""
    french = str(get_locale() or "fr").startswith("fr")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if french else ",")
    headers = []
    for c in table.columns:
        headers.append(f"{c.label} (%)" if c.kind == "pct" else str(c.label))
    writer.writerow(headers)
    for row in [*table.rows, *([table.footer] if table.footer else [])]:
        writer.writerow([format_cell(row.get(c.key), c.kind, for_csv=True) for c in table.columns])
    suffix = f"-{period.start.isoformat()}-{period.end.isoformat()}" if period else ""
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="relais-{table.name}{suffix}.csv"'},
    )


def csv_url(table_name: str, **extra) -> str:
    args = request.args.to_dict()
    args.update(extra)
    args.update(format="csv", table=table_name)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def respond(template: str, tables: dict[str, Table], period: Period | None, **context):
    """The page, or one of its tables as CSV; keeps the visit roll-up the services updated."""
    db().commit()
    if request.args.get("format") == "csv":
        table = tables.get(request.args.get("table", ""))
        if table is None:
            abort(404)
        return csv_response(table, period)
    return render_template(template, tables=tables, period=period, csv_url=csv_url, **context)


# --- the period and filters -----------------------------------------------------------------


class DashboardForm(FlaskForm):
    """Period and filters of a dashboard (a GET form: bookmarkable, no CSRF)."""

    class Meta:
        csrf = False

    start = DateField(_l("From date"), validators=[Optional()])
    end = DateField(_l("To date"), validators=[Optional()])
    offer = SelectField(_l("Offer"), choices=[], validate_choice=False)
    direction = SelectField(_l("Direction"), choices=[], validate_choice=False)
    channel = SelectField(_l("Channel"), choices=[], validate_choice=False)
    group = SelectField(_l("Group by"), choices=[], validate_choice=False)
    sort = SelectField(_l("Rank by"), choices=[], validate_choice=False)


def _int_arg(value) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 10 else None


@dataclass
class Dashboard:
    form: DashboardForm
    period: Period
    filters: Filters
    preset: str | None
    agent_name: str | None
    presets: list[tuple[str, Any, str]]


def dashboard() -> Dashboard:
    """Parse the period and filters of the request; bad input falls back, with a message."""
    session = db()
    _refresh_visits()
    form = DashboardForm(formdata=request.args)
    choices = analytics.filter_choices(session, current_user)
    form.offer.choices = [("", _("All offers"))] + [
        (str(i), label) for i, label in choices["offers"]
    ]
    form.direction.choices = [("", _("All directions"))] + [
        (str(i), label) for i, label in choices["directions"]
    ]
    form.channel.choices = [("", _("All channels"))] + [
        (c.value, CHANNEL_LABELS[c.value]) for c in Channel
    ]
    form.group.choices = list(GROUP_LABELS.items())
    form.sort.choices = list(SORT_LABELS.items())
    if not form.group.data or form.group.data not in GROUP_LABELS:
        form.group.data = "offer"
    if not form.sort.data or form.sort.data not in SORT_LABELS:
        form.sort.data = "applications"
    form.validate()
    zone = settings().timezone
    today = local_date(utcnow(), zone)
    preset = request.args.get("preset")
    if preset not in PRESETS:
        preset = None if (form.start.data or form.end.data) else DEFAULT_PRESET
    if preset:
        period = Period.last(PRESETS[preset], today, zone)
    else:
        try:
            period = Period(form.start.data or today.replace(day=1), form.end.data or today, zone)
        except InvalidInput as exc:
            form.end.errors = [*form.end.errors, _translate_period_error(exc)]
            preset = DEFAULT_PRESET
            period = Period.last(PRESETS[preset], today, zone)
    form.start.data, form.end.data = period.start, period.end
    channel = form.channel.data if form.channel.data in {c.value for c in Channel} else None
    agent_id = _int_arg(request.args.get("agent"))
    name = analytics.agent_name(session, current_user, agent_id) if agent_id else None
    filters = Filters(
        offer_id=_int_arg(form.offer.data),
        direction_id=_int_arg(form.direction.data),
        channel=channel,
        agent_id=agent_id,
    )
    keep = {k: v for k, v in request.args.items() if k not in ("preset", "start", "end", "format")}
    presets = [
        (key, label, url_for(request.endpoint, preset=key, **keep))
        for key, label in PRESET_LABELS.items()
    ]
    return Dashboard(form, period, filters, preset, name, presets)


def _refresh_visits() -> None:
    """Roll up new visits in a short writing transaction of its own (on SQLite the write lock
    is held for milliseconds, not for the whole dashboard), then read from a fresh snapshot
    (the services find nothing left to write)."""
    with writing_session() as writer, writer.begin():
        analytics.refresh_visit_days(writer, settings().timezone)
    db().commit()


def _translate_period_error(exc: InvalidInput) -> str:
    if "end" in exc.errors and exc.errors["end"] == "before":
        return _("The end of the period is before its start.")
    return _("The period is limited to three years.")


def _scope_note() -> str | None:
    if current_user.has_role(Role.ADMIN, Role.RECRUITER):
        return None
    if current_user.direction is None:
        return _("Your account has no direction: there is nothing to show yet.")
    return _(
        "You see the figures of your direction, %(direction)s, and of its sub-directions.",
        direction=current_user.direction.name,
    )


# --- funnel ---------------------------------------------------------------------------------


def _funnel_tables(funnel: analytics.Funnel, group_label) -> dict[str, Table]:
    t = funnel.total
    rates = t.rates
    stages = Table(
        "funnel",
        _("Funnel of the period"),
        [
            Column("stage", _("Stage"), "text"),
            Column("count", _("Count"), "int"),
            Column("rate", _("Conversion from the previous stage"), "pct"),
        ],
        [
            {"stage": _("Share links created"), "count": t.links, "rate": None},
            {"stage": _("People reached"), "count": t.people, "rate": None},
            {"stage": _("Applications"), "count": t.applications, "rate": None},
            {
                "stage": _("… of which through a share link"),
                "count": t.from_links,
                "rate": rates["people_to_application"],
            },
            {
                "stage": _("Shortlisted"),
                "count": t.shortlisted,
                "rate": rates["application_to_shortlist"],
            },
            {
                "stage": _("Interviews"),
                "count": t.interviews,
                "rate": rates["shortlist_to_interview"],
            },
            {"stage": _("Hires"), "count": t.hires, "rate": rates["interview_to_hire"]},
            {"stage": _("Bot previews (not counted as people)"), "count": t.bots, "rate": None},
        ],
    )
    columns = [
        Column("label", group_label, "text"),
        Column("links", _("Links"), "int"),
        Column("people", _("People reached"), "int"),
        Column("bots", _("Bot previews"), "int"),
        Column("applications", _("Applications"), "int"),
        Column("shortlisted", _("Shortlisted"), "int"),
        Column("interviews", _("Interviews"), "int"),
        Column("hires", _("Hires"), "int"),
        Column("people_to_application", _("People → application"), "pct"),
        Column("application_to_shortlist", _("Application → shortlist"), "pct"),
        Column("application_to_hire", _("Application → hire"), "pct"),
        Column("days_first", _("Days to first application"), "days"),
        Column("days_fill", _("Days to fill"), "days"),
    ]

    def as_dict(r: analytics.FunnelRow, label: str) -> dict:
        return {
            "label": label,
            "links": r.links,
            "people": r.people,
            "bots": r.bots,
            "applications": r.applications,
            "shortlisted": r.shortlisted,
            "interviews": r.interviews,
            "hires": r.hires,
            **r.rates,
            "days_first": r.days_to_first_application,
            "days_fill": r.days_to_fill,
        }

    rows, links = [], {}
    for i, r in enumerate(funnel.rows):
        rows.append(as_dict(r, _group_label(funnel.grouping, r)))
        if funnel.grouping == "agent" and r.key is not None:
            args = {k: v for k, v in request.args.items() if k not in ("format", "table")}
            args.update(agent=r.key, group="offer")
            links[i] = url_for("analytics.funnel", **args)
    groups = Table(
        "groups",
        _("By %(group)s", group=str(group_label).lower()),
        columns,
        rows,
        footer=as_dict(t, _("Total")),
        links=links,
    )
    return {"funnel": stages, "groups": groups}


def _group_label(grouping: str, row: analytics.FunnelRow) -> str:
    if grouping == "channel":
        return str(CHANNEL_LABELS.get(row.key, row.key))
    if row.key is None:
        return _("No agent (careers site)") if grouping == "agent" else _("None")
    return row.label or f"#{row.key}"


@bp.route("/")
@roles_required(*VIEWERS)
def funnel():
    """Funnel: from share links to hires, grouped by offer, direction, channel or agent."""
    board = dashboard()
    grouping = board.form.group.data
    result = analytics.funnel(db(), current_user, board.period, board.filters, grouping)
    tables = _funnel_tables(result, GROUP_LABELS[grouping])
    t = result.total
    stage_chart = charts.bar_chart(
        [
            (str(row["stage"]), row["count"], format_cell(row["count"], "int"))
            for row in tables["funnel"].rows[:-1]
            if row["stage"] != _("… of which through a share link")
        ]
    )
    return respond(
        "analytics/funnel.html",
        tables,
        board.period,
        board=board,
        total=t,
        stage_chart=stage_chart,
        scope_note=_scope_note(),
        show_group=True,
    )


# --- over time ------------------------------------------------------------------------------


@bp.route("/over-time")
@roles_required(*VIEWERS)
def over_time():
    """Weekly series: agents who shared, people reached, applications by origin."""
    board = dashboard()
    weeks = analytics.weekly(db(), current_user, board.period, board.filters)
    table = Table(
        "weekly",
        _("Per week"),
        [
            Column("week", _("Week of"), "date"),
            Column("agents", _("Agents who shared"), "int"),
            Column("people", _("People reached"), "int"),
            Column("referral", _("Applications from referrals"), "int"),
            Column("careers", _("Applications from the careers site"), "int"),
            Column("internal", _("Internal applications"), "int"),
        ],
        [
            {
                "week": w.start,
                "agents": w.agents,
                "people": w.people,
                "referral": w.referral_applications,
                "careers": w.careers_applications,
                "internal": w.internal_applications,
            }
            for w in weeks
        ],
    )
    labels = [format_date_short(w.start) for w in weeks]
    today = local_date(utcnow(), settings().timezone)
    first_partial, last_partial = training_effect.partial_weeks(
        board.period.start, board.period.end, today
    )
    partial = [i for i, p in ((0, first_partial), (len(weeks) - 1, last_partial)) if p]
    marks = []
    if weeks:
        for monday, title in training_effect.training_marks(
            db(), board.period.start, board.period.end
        ):
            marks.append(((monday - weeks[0].start).days // 7, title))

    def number(v):
        return format_cell(v, "int")

    def line_chart(labels, series, number):
        return charts.line_chart(labels, series, number=number, marks=marks, partial=partial)

    figures = [
        (
            "chart-sharing",
            _("Agents who shared, per week"),
            line_chart(
                labels, [(_("Agents who shared"), [w.agents for w in weeks])], number=number
            ),
            ["week", "agents"],
        ),
        (
            "chart-people",
            _("People reached, per week"),
            line_chart(labels, [(_("People reached"), [w.people for w in weeks])], number=number),
            ["week", "people"],
        ),
        (
            "chart-applications",
            _("Applications per week: referrals against the careers site"),
            line_chart(
                labels,
                [
                    (_("Applications from referrals"), [w.referral_applications for w in weeks]),
                    (
                        _("Applications from the careers site"),
                        [w.careers_applications for w in weeks],
                    ),
                ],
                number=number,
            ),
            ["week", "referral", "careers"],
        ),
    ]
    return respond(
        "analytics/over_time.html",
        {"weekly": table},
        board.period,
        board=board,
        figures=figures,
        scope_note=_scope_note(),
    )


def format_date_short(day: date) -> str:
    from flask_babel import format_date

    return format_date(day, format="d MMM")


# --- leaderboards ---------------------------------------------------------------------------


@bp.route("/leaderboards")
@roles_required(*VIEWERS)
def leaderboards():
    """Leaderboards of agents and of directions over the period."""
    board = dashboard()
    sort = board.form.sort.data
    session = db()
    boards = analytics.leaderboards(session, current_user, board.period, board.filters, sort)
    agents, directions = boards.agents, boards.directions
    show_points = any(r.points for r in agents) or any(r.points for r in directions)
    figures = [
        Column("links", _("Links"), "int"),
        Column("people", _("People reached"), "int"),
        Column("applications", _("Applications"), "int"),
        Column("hires", _("Hires"), "int"),
        *([Column("points", _("Points"), "int")] if show_points else []),
    ]
    agent_table = Table(
        "agents",
        _("Agents"),
        [
            Column("rank", _("Rank"), "int"),
            Column("label", _("Agent"), "text"),
            Column("direction", _("Direction"), "text"),
            *figures,
        ],
        [{"rank": i + 1, **vars(r)} for i, r in enumerate(agents)],
    )
    direction_table = Table(
        "directions",
        _("Directions"),
        [
            Column("rank", _("Rank"), "int"),
            Column("label", _("Direction"), "text"),
            Column("agents", _("Agents who contributed"), "int"),
            *figures,
        ],
        [{"rank": i + 1, **vars(r)} for i, r in enumerate(directions)],
    )

    def top(rows):
        return charts.bar_chart(
            [(r.label, getattr(r, sort), format_cell(getattr(r, sort), "int")) for r in rows[:10]]
        )

    return respond(
        "analytics/leaderboards.html",
        {"agents": agent_table, "directions": direction_table},
        board.period,
        board=board,
        sort_label=SORT_LABELS[sort],
        agent_chart=top(agents),
        direction_chart=top(directions),
        scope_note=_scope_note(),
    )


# --- trainings: reports ---------------------------------------------------------------------


@bp.route("/trainings")
@roles_required(*VIEWERS)
def trainings_list():
    """Trainings, most recent first, with their number of attendees."""
    rows = analytics.list_trainings(db())
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


def _training_figures(row, weeks: int, comparison: str) -> TrainingFigures:
    """The design, the estimates, the tables and the chart of one training, for the viewer."""
    zone = settings().timezone
    design = training_effect.training_design(
        db(),
        row.id,
        today=local_date(utcnow(), zone),
        zone=zone,
        comparison=comparison,
        weeks=weeks,
        population=analytics.population_conditions(current_user),
    )
    effects = training_effect.training_effects(db(), design, zone)
    weekly = training_effect.weekly_links(db(), design, zone)
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
    _refresh_visits()
    figures = _training_figures(trainings.get_training(db(), training_id), weeks, comparison)
    return respond(
        "analytics/training.html",
        figures.tables,
        None,
        form=form,
        scope_note=_scope_note(),
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
        **context,
    )
    db().commit()
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
    _refresh_visits()
    figures = _training_figures(trainings.get_training(db(), training_id), weeks, comparison)
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
    _refresh_visits()
    items = []
    for row, _n in analytics.list_trainings(db()):
        figures = _training_figures(row, training_effect.DEFAULT_WEEKS, "never_trained")
        items.append(
            {"training": row, "design": figures.design, "rows": figures.tables["effect"].rows}
        )
    return _report(
        "analytics/report_programme.html",
        "trainings",
        items=items,
        weeks=training_effect.DEFAULT_WEEKS,
        measure_labels=[EFFECT_LABELS[m] for m in training_effect.MEASURES],
        back_url=url_for("analytics.trainings_list"),
    )


def _verdict(estimate: training_effect.EffectEstimate) -> str:
    if estimate.effect is None:
        return _("Not enough agents to compare")
    if estimate.measurable:
        return _("Measurable effect")
    return _("No measurable effect")


def _training_tables(design, effects, weekly) -> dict[str, Table]:
    rule = str(COMPARISON_LABELS[design.comparison_rule])
    rows = []
    for measure, estimate in effects.items():
        rows.append(
            {
                "measure": str(EFFECT_LABELS[measure]),
                "treated_before": estimate.treated_before,
                "treated_after": estimate.treated_after,
                "comparison_before": estimate.comparison_before,
                "comparison_after": estimate.comparison_after,
                "effect": NOT_ENOUGH if estimate.effect is None else estimate.effect,
                "low": NOT_ENOUGH if estimate.low is None else estimate.low,
                "high": NOT_ENOUGH if estimate.high is None else estimate.high,
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
        saved = trainings.save_training(
            db(),
            training_row,
            title=form.title.data or "",
            audience=form.audience.data or "",
            held_on=form.held_on.data,
            notes=form.notes.data or "",
        )
    except InvalidInput:
        db().rollback()
        form.title.errors = [*form.title.errors, _("Check the fields of the form.")]
        return None
    db().commit()
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
    trainings.delete_training(db(), training_id)
    db().commit()
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
        result = trainings.add_attendees(db(), row.id, text)
    except InvalidInput:
        db().rollback()
        form.emails.errors = [_("Enter at least one e-mail address (at most 2,000 at once).")]
        return _attendees_page(row, form), 400
    db().commit()
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
        trainings.remove_attendee(db(), training_id, user_id)
    except NotFound:
        abort(404)
    db().commit()
    flash(_("The attendee is removed."), "success")
    return redirect(url_for("analytics.attendees", training_id=training_id))
