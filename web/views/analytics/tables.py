"""Tables of the analytics pages: their cells in the reader's language, their CSV, and the
response every page shares (the page, or one of its tables as CSV)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from referral.analytics import rollup
from referral.analytics.scope import Period
from referral.models import Role
from web.database import db, settings

VIEWERS = (Role.RECRUITER, Role.ADMIN, Role.MANAGER)
READERS = (Role.RECRUITER, Role.ADMIN)


class NotEnough:
    """A cell of a group too small to show a figure (fewer than five agents)."""

    def __str__(self) -> str:
        return _("Not enough data")


NOT_ENOUGH = NotEnough()


def is_not_enough(value) -> bool:
    return isinstance(value, NotEnough)


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
        # Two decimals, three below 0.01 (a hire per agent per week is often 0.004): never a
        # "-0" or "+0" that hides a figure, and 0 only when the value rounds to it.
        decimals = "0.##" if abs(value) >= 0.01 else "0.###"
        text = format_decimal(value, format=f"#,##{decimals}" if grouping else decimals)
        if text.lstrip("-\u2212") == "0":
            return "0"
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
    """The page, or one of its tables as CSV. Reads only: the page says whether the visits
    are counted up to now (``freshness``, from the worker's roll-up)."""
    if request.args.get("format") == "csv":
        table = tables.get(request.args.get("table", ""))
        if table is None:
            abort(404)
        return csv_response(table, period)
    return render_template(
        template,
        tables=tables,
        period=period,
        csv_url=csv_url,
        freshness=freshness(),
        **context,
    )


def freshness() -> str | None:
    """A sentence when the people and bot figures miss visits the worker has not counted
    yet (None when they hold every visit recorded)."""
    state = rollup.status(db(), settings().timezone)
    if state.current:
        return None
    if state.rolled_up_at is None:
        return _(
            "Visits are being counted: people reached and bot previews will show once the "
            "background worker has run."
        )
    from flask_babel import format_datetime

    return _(
        "People reached and bot previews count the visits up to %(time)s; newer ones are "
        "added by the background worker.",
        time=format_datetime(state.rolled_up_at, format="short"),
    )


def scope_note() -> str | None:
    if current_user.has_role(Role.ADMIN, Role.RECRUITER):
        return None
    if current_user.direction is None:
        return _("Your account has no direction: there is nothing to show yet.")
    return _(
        "You see the figures of your direction, %(direction)s, and of its sub-directions.",
        direction=current_user.direction.name,
    )


def format_date_short(day: date) -> str:
    from flask_babel import format_date

    return format_date(day, format="d MMM")
