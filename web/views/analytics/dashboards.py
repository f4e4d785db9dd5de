"""The dashboards: the funnel, over time and the leaderboards, over a period with filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from referral.analytics import funnel as funnels
from referral.analytics import leaderboards as boards
from referral.analytics import training_effect, weekly
from referral.analytics.scope import MIN_GROUP, Filters, Period, agent_name, filter_choices
from referral.errors import InvalidInput
from referral.local_calendar import local_date
from referral.models import Channel, utcnow
from web import charts
from web.auth_user import roles_required
from web.database import db, settings
from web.offer_labels import LABELS
from web.views.analytics import bp
from web.views.analytics.tables import (
    VIEWERS,
    Column,
    Table,
    format_cell,
    format_date_short,
    respond,
    scope_note,
)

PRESETS = {"30d": 30, "90d": 90, "12m": 365}
PRESET_LABELS = {"30d": _l("Last 30 days"), "90d": _l("Last 90 days"), "12m": _l("Last 12 months")}
DEFAULT_PRESET = "90d"
GROUP_LABELS = {
    "offer": _l("Offer"),
    "direction": _l("Direction"),
    "channel": _l("Channel"),
    "agent": _l("Agent"),
}
# Channels and, for applications without a link, their sources (referral/labels.py).
CHANNEL_LABELS = {**LABELS["channel"], **LABELS["source"]}
SORT_LABELS = {
    "applications": _l("Applications"),
    "people": _l("People reached"),
    "hires": _l("Hires"),
    "points": _l("Points"),
    "links": _l("Share links created"),
}


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
    form = DashboardForm(formdata=request.args)
    choices = filter_choices(session, current_user)
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
    name = agent_name(session, current_user, agent_id) if agent_id else None
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


def _translate_period_error(exc: InvalidInput) -> str:
    if "end" in exc.errors and exc.errors["end"] == "before":
        return _("The end of the period is before its start.")
    return _("The period is limited to three years.")


# --- funnel ---------------------------------------------------------------------------------


def _funnel_tables(funnel: funnels.Funnel, group_label) -> dict[str, Table]:
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

    def as_dict(r: funnels.FunnelRow, label: str) -> dict:
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


def _group_label(grouping: str, row: funnels.FunnelRow) -> str:
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
    result = funnels.funnel(db(), current_user, board.period, board.filters, grouping)
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
        scope_note=scope_note(),
        show_group=True,
    )


# --- over time ------------------------------------------------------------------------------


@bp.route("/over-time")
@roles_required(*VIEWERS)
def over_time():
    """Weekly series: agents who shared, people reached, applications by origin."""
    board = dashboard()
    weeks = weekly.weekly(db(), current_user, board.period, board.filters)
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
    sharing, small = _sharing_table(board, today)
    return respond(
        "analytics/over_time.html",
        {"weekly": table, "sharing": sharing},
        board.period,
        board=board,
        figures=figures,
        scope_note=scope_note(),
        min_group=MIN_GROUP,
        small_directions=small,
    )


def _sharing_table(board, today) -> tuple[Table, list[str]]:
    """The share of each direction's staff who shared at least once, month by month (a
    month cut by the period, or not over yet, says so in its heading), and the names of the
    directions too small to show (fewer than ``MIN_GROUP`` staff), left out of the table."""
    months, all_rows = weekly.monthly_sharing(
        db(), current_user, board.period, today, board.filters
    )
    rows = [row for row in all_rows if row.enough]
    small = [row.name or _("No direction") for row in all_rows if not row.enough]

    def heading(month) -> str:
        name = format_date(month.first, format="MMM yyyy")
        return _("%(month)s (partial)", month=name) if month.partial else name

    table = Table(
        "sharing",
        _("Share of the staff who shared at least once, per direction and month"),
        [
            Column("direction", _("Direction"), "text"),
            Column("staff", _("Staff in post"), "int"),
            *(Column(f"m{i}", heading(m), "pct") for i, m in enumerate(months)),
        ],
        [
            {
                "direction": row.name or _("No direction"),
                "staff": row.staff,
                **{f"m{i}": share for i, share in enumerate(row.shares())},
            }
            for row in rows
        ],
    )
    return table, small


# --- leaderboards ---------------------------------------------------------------------------


@bp.route("/leaderboards")
@roles_required(*VIEWERS)
def leaderboards():
    """Leaderboards of agents and of directions over the period."""
    board = dashboard()
    sort = board.form.sort.data
    session = db()
    ranked = boards.leaderboards(session, current_user, board.period, board.filters, sort)
    agents, directions = ranked.agents, ranked.directions
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
        scope_note=scope_note(),
    )
