"""Exports of a shortlist: CSV that opens in columns in a French or English spreadsheet, and XLSX.

French spreadsheets expect semicolons (the comma is the decimal separator) and recognise UTF-8
only with a byte order mark; English ones expect commas. Cells that a spreadsheet would run
as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import xlsxwriter
from sqlalchemy.orm import Session

from referral import audit
from referral.models import Application, Candidate, Offer, User
from referral.privacy import erasure as privacy

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _(message: str) -> str:
    """Mark a message for the catalogue; the caller passes the translating function."""
    return message


# (key, header) in the order of the page's columns
COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", _("Rank")),
    ("name", _("Name")),
    ("email", _("E-mail")),
    ("score", _("Score")),
    ("status", _("Stage")),
    ("source", _("Source")),
    ("agent", _("Referring agent")),
    ("date", _("Date")),
    ("matched", _("Required skills matched")),
    ("missing", _("Required skills missing")),
)


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[object]]


def _identity(candidate: Candidate, translate: Callable[[str], str]) -> tuple[str, str]:
    """Name and e-mail; an erased candidate is named as such, with no address."""
    email = "" if candidate.erased_at is not None else candidate.email
    return privacy.shown_name(candidate, translate), email


def table(
    ranked: Sequence[tuple[int, Application]],
    *,
    translate: Callable[[str], str] = str,
    label: Callable[[str, str], str] | None = None,
) -> Table:
    """The shortlist as rows of plain values, from ``(rank, application)`` pairs (the rank by
    score among all the offer's applications, as the page shows it); ``label(kind, value)``
    names statuses and sources."""
    label = label or (lambda _kind, value: value)
    rows: list[list[object]] = []
    for rank, application in ranked:
        explanation = application.score_explanation or {}
        agent = application.credited_agent
        rows.append(
            [
                rank,
                *_identity(application.candidate, translate),
                None if application.score is None else round(application.score, 1),
                label("status", application.status),
                label("source", application.source),
                agent.full_name if agent else "",
                application.created_at.date().isoformat(),
                ", ".join(m.get("skill", "") for m in explanation.get("required_matched", [])),
                ", ".join(explanation.get("required_missing", [])),
            ]
        )
    return Table([translate(header) for _key, header in COLUMNS], rows)


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def separator(locale: str) -> str:
    return ";" if str(locale).startswith("fr") else ","


def to_csv(data: Table, locale: str) -> bytes:
    """UTF-8 with a byte order mark; ``;`` for French, ``,`` for English; decimal comma in
    French."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator(locale), lineterminator="\r\n")
    writer.writerow(data.headers)
    french = separator(locale) == ";"
    for row in data.rows:
        cells = []
        for value in row:
            if isinstance(value, float) and french:
                value = f"{value:.1f}".replace(".", ",")
            cells.append("" if value is None else _safe(value))
        writer.writerow(cells)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def to_xlsx(data: Table, sheet_title: str) -> bytes:
    """One worksheet, a bold frozen header row, numbers as numbers."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet(_sheet_name(sheet_title))
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, data.headers, bold)
    for r, row in enumerate(data.rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                sheet.write_blank(r, c, None)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(1, len(data.rows)), len(data.headers) - 1)
    for c, width in enumerate((6, 28, 30, 8, 14, 16, 24, 12, 40, 40)):
        sheet.set_column(c, c, width)
    workbook.close()
    return out.getvalue()


def _sheet_name(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return cleaned[:31] or "Shortlist"


def filename(offer: Offer, extension: str) -> str:
    """``shortlist-<reference>.<ext>``, safe for a Content-Disposition header."""
    reference = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in offer.reference)
    return f"shortlist-{reference}.{extension}"


def record_export(session: Session, user: User, offer: Offer, kind: str, data: Table) -> None:
    """An export carries candidates' personal data out of the application: the audit trail
    says who took which rows (in the caller's transaction)."""
    audit.record(
        session, user, "shortlist.exported", "offer", offer.id, format=kind, rows=len(data.rows)
    )
