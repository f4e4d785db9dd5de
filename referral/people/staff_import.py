"""Import of staff from a CSV export of an HR directory: all or nothing.

Columns (header names are case-insensitive; French names are accepted)::

    employee_number;email;first_name;last_name;job_title;direction_code;roles

- ``employee_number`` (matricule), ``job_title`` (fonction, intitulé de poste),
  ``direction_code`` (code direction) and ``roles`` (rôles) are optional columns;
  ``email`` (courriel), ``first_name`` (prénom) and ``last_name`` (nom) are required.
- Separator ``;`` or ``,`` (detected; a tab too); encoding UTF-8 with or without BOM,
  Windows-1252, or UTF-16 with its BOM.
- ``roles``: any of admin, recruiter, manager (also administrateur, recruteur, encadrant),
  separated by ``|``, ``+``, ``/``, spaces or commas; empty means agent only (every member of
  staff is an agent). When the column is present, the roles of an imported account are set to
  exactly those listed, except that the importing admin always keeps their own admin role:
  an empty cell therefore *removes* the roles of an existing account. Without the column,
  roles are left as they are. The report (a dry run's too) lists every account that changes,
  field by field, with the roles added and removed, so that removals are seen before they
  happen.

Existing accounts are matched by employee number, then by e-mail, and updated; the others
are created without a password (they choose one with "forgot password"). Every bad line is
reported with its line number in the file (the header is line 1), and then nothing of the
file is imported.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral import audit
from referral.errors import InvalidInput
from referral.messages import N_
from referral.models import Direction, Role, User
from referral.people import users

COLUMNS = (
    "employee_number",
    "email",
    "first_name",
    "last_name",
    "job_title",
    "direction_code",
    "roles",
)
REQUIRED = ("email", "first_name", "last_name")
MAX_ROWS = 20_000
MAX_COLUMNS = 100  # a staff file has about fifteen

# Header names as found in HR exports, after folding (lower case, no accents, no _ or -).
ALIASES = {
    "employee number": "employee_number",
    "employee no": "employee_number",
    "matricule": "employee_number",
    "numero agent": "employee_number",
    "email": "email",
    "e mail": "email",
    "mail": "email",
    "courriel": "email",
    "adresse email": "email",
    "adresse mail": "email",
    "first name": "first_name",
    "firstname": "first_name",
    "prenom": "first_name",
    "last name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "nom": "last_name",
    "nom de famille": "last_name",
    "job title": "job_title",
    "title": "job_title",
    "fonction": "job_title",
    "intitule de poste": "job_title",
    "poste": "job_title",
    "direction code": "direction_code",
    "code direction": "direction_code",
    "direction": "direction_code",
    "roles": "roles",
    "role": "roles",
}
ROLE_ALIASES = {
    "admin": Role.ADMIN,
    "administrator": Role.ADMIN,
    "administrateur": Role.ADMIN,
    "administratrice": Role.ADMIN,
    "recruiter": Role.RECRUITER,
    "recruteur": Role.RECRUITER,
    "recruteuse": Role.RECRUITER,
    "rh": Role.RECRUITER,
    "manager": Role.MANAGER,
    "encadrant": Role.MANAGER,
    "encadrante": Role.MANAGER,
    "agent": Role.AGENT,
}


@dataclass(frozen=True)
class Problem:
    """What is wrong with one line of the file (line 0: the file as a whole)."""

    line: int
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class StaffImportError(InvalidInput):
    """The file was refused; ``problems`` lists every bad line. Nothing was imported."""

    def __init__(self, problems: list[Problem]):
        super().__init__(
            "; ".join(str(p) for p in problems[:5]) + ("…" if len(problems) > 5 else "")
        )
        self.problems = problems


@dataclass
class StaffRow:
    line: int
    email: str
    first_name: str
    last_name: str
    employee_number: str | None = None
    job_title: str | None = None
    direction_code: str | None = None
    roles: set[Role] | None = None


@dataclass(frozen=True)
class AccountChange:
    """What the import changes (or would change) in one account.

    ``fields`` holds (column, before, after) for each changed column; roles are role values,
    agent excluded (everyone is an agent). A new account has ``created`` and no ``before``.
    """

    line: int
    email: str
    name: str
    created: bool = False
    fields: tuple[tuple[str, str, str], ...] = ()
    roles_added: tuple[str, ...] = ()
    roles_removed: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line in English, for the command line."""
        parts = [f"{name}: {before!r} -> {after!r}" for name, before, after in self.fields]
        if self.roles_added:
            parts.append("roles added: " + ", ".join(self.roles_added))
        if self.roles_removed:
            parts.append("ROLES REMOVED: " + ", ".join(self.roles_removed))
        verb = "create" if self.created else "update"
        return f"line {self.line}: {verb} {self.email} ({self.name})" + (
            ": " + "; ".join(parts) if parts else ""
        )


@dataclass
class ImportReport:
    """What the import did (or, in a dry run, would do)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = False
    # One entry per created or updated account, in the order of the file.
    changes: list[AccountChange] = field(default_factory=list)

    @property
    def roles_removed(self) -> list[AccountChange]:
        """The accounts that lose (or would lose) a role."""
        return [c for c in self.changes if c.roles_removed]

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + self.unchanged

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.total} rows: {len(self.created)} accounts {verb} created, "
            f"{len(self.updated)} {verb} updated, {self.unchanged} unchanged."
        )


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.replace("_", " ").replace("-", " ").replace(".", " ").split())


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), else Windows-1252 or what it looks like."""
    if not data or not data.strip():
        raise StaffImportError([Problem(0, N_("The file is empty."))])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode text" exports of spreadsheets
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise StaffImportError(
                [Problem(0, N_("The file's encoding is not recognised: save it as UTF-8."))]
            ) from None
    sample = data[:8192]
    if b"\x00" in sample or sample.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        raise StaffImportError(
            [
                Problem(
                    0,
                    N_(
                        "This is not a CSV text file (it looks binary, e.g. a spreadsheet): "
                        "export the sheet as CSV first."
                    ),
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp1252", "latin_1"]).best()
    if best is None:
        raise StaffImportError(
            [Problem(0, N_("The file's encoding is not recognised: save it as UTF-8."))]
        )
    return str(best)


def _dialect(text: str) -> str:
    """The separator: ``;`` or ``,`` (or a tab, as in "Unicode text" exports)."""
    first = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=";,\t").delimiter
    except csv.Error:
        return max(";,\t", key=first.count)


def is_workbook(data: bytes) -> bool:
    """Whether ``data`` is a zip container, as XLSX workbooks are."""
    return data.startswith(b"PK\x03\x04")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an employee number typed as a number: 1024, not 1024.0
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def workbook_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """The rows of the first sheet of an XLSX workbook, numbered as the spreadsheet shows
    them; StaffImportError when it is not a workbook that can be read."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise StaffImportError(
            [
                Problem(
                    0,
                    N_(
                        "This file cannot be read as an XLSX workbook: send the HR export "
                        "as .xlsx or as .csv."
                    ),
                )
            ]
        ) from None
    try:
        sheet = book.worksheets[0]
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, [_cell(v) for v in values]))
            if len(rows) > MAX_ROWS + 1:
                raise StaffImportError(
                    [Problem(0, N_("The file has more than %(max)s rows."), {"max": MAX_ROWS})]
                )
        return rows
    finally:
        book.close()


def parse(session: Session, data: bytes) -> list[StaffRow]:
    """Read and check every line (of a CSV file, or of the first sheet of an XLSX workbook);
    raise StaffImportError listing every problem found."""
    if is_workbook(data):
        return _check_rows(session, workbook_rows(data))
    text = decode(data)
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=_dialect(text),
        quotechar='"',
        doublequote=True,
        skipinitialspace=True,
        strict=True,
    )
    raw_rows: list[tuple[int, list[str]]] = []
    try:
        line = reader.line_num + 1
        for record in reader:
            if len(record) > MAX_COLUMNS:
                # Refused at once: every later step would work per cell (and per unknown column).
                raise StaffImportError(
                    [
                        Problem(
                            line,
                            N_("The line has more than %(max)s columns."),
                            {"max": MAX_COLUMNS},
                        )
                    ]
                )
            raw_rows.append((line, record))
            line = reader.line_num + 1
            if len(raw_rows) > MAX_ROWS + 1:
                raise StaffImportError(
                    [Problem(0, N_("The file has more than %(max)s rows."), {"max": MAX_ROWS})]
                )
    except csv.Error as exc:
        where = reader.line_num or 1
        if "unexpected end of data" in str(exc):
            problem = Problem(
                where, N_("The file is damaged or truncated here: a quoted field is never closed.")
            )
        else:
            problem = Problem(
                where,
                N_("The file is damaged or truncated here: a quote is misplaced (%(reason)s)."),
                {"reason": str(exc)},
            )
        raise StaffImportError([problem]) from None
    return _check_rows(session, raw_rows)


def _check_rows(session: Session, raw_rows: list[tuple[int, list[str]]]) -> list[StaffRow]:
    problems: list[Problem] = []
    raw_rows = [(n, r) for n, r in raw_rows if any(cell.strip() for cell in r)]
    if not raw_rows:
        raise StaffImportError([Problem(0, N_("The file is empty."))])

    header_line, header = raw_rows[0]
    header = list(header)
    while header and not header[-1].strip():  # spreadsheets often end lines with a separator
        header.pop()
    columns: list[str] = []
    for name in header:
        key = ALIASES.get(_fold(name))
        if key is None:
            problems.append(
                Problem(header_line, N_("Unknown column %(name)s."), {"name": name.strip()})
            )
        elif key in columns:
            problems.append(
                Problem(header_line, N_("The column %(name)s appears twice."), {"name": key})
            )
        columns.append(key or "")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(
            Problem(
                header_line,
                N_("Required columns are missing: %(names)s."),
                {"names": ", ".join(missing)},
            )
        )
    if problems:
        raise StaffImportError(problems)
    if len(raw_rows) == 1:
        raise StaffImportError([Problem(0, N_("The file has a header but no rows."))])

    directions = {d.code.upper(): d for d in session.scalars(select(Direction))}
    rows: list[StaffRow] = []
    seen_emails: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    for line, record in raw_rows[1:]:
        if len(record) > len(columns) and not any(c.strip() for c in record[len(columns) :]):
            record = record[: len(columns)]
        if len(record) != len(columns):
            problems.append(
                Problem(
                    line,
                    N_("Expected %(expected)s columns, found %(found)s."),
                    {"expected": len(columns), "found": len(record)},
                )
            )
            continue
        values = {col: cell.strip() for col, cell in zip(columns, record, strict=True)}
        before = len(problems)
        email = values.get("email", "")
        if not email:
            problems.append(Problem(line, N_("The e-mail address is missing.")))
        else:
            try:
                email = users.normalise_email(email)
            except InvalidInput:
                problems.append(
                    Problem(line, N_("Invalid e-mail address: %(email)s."), {"email": email})
                )
            else:
                if email in seen_emails:
                    problems.append(
                        Problem(
                            line,
                            N_("The e-mail address %(email)s is already on line %(other)s."),
                            {"email": email, "other": seen_emails[email]},
                        )
                    )
                else:
                    seen_emails[email] = line
        for name in ("first_name", "last_name"):
            if not values.get(name):
                problems.append(Problem(line, N_("The column %(name)s is empty."), {"name": name}))
        number = values.get("employee_number") or None
        if number:
            if number in seen_numbers:
                problems.append(
                    Problem(
                        line,
                        N_("The employee number %(number)s is already on line %(other)s."),
                        {"number": number, "other": seen_numbers[number]},
                    )
                )
            else:
                seen_numbers[number] = line
        code = values.get("direction_code") or None
        if code and code.upper() not in directions:
            problems.append(Problem(line, N_("Unknown direction code %(code)s."), {"code": code}))
        roles: set[Role] | None = None
        if "roles" in columns:
            roles = set()
            cell = values["roles"]
            for sep in "|+/,;":
                cell = cell.replace(sep, " ")
            for word in cell.split():
                role = ROLE_ALIASES.get(_fold(word))
                if role is None:
                    problems.append(Problem(line, N_("Unknown role %(role)s."), {"role": word}))
                else:
                    roles.add(role)
        for name in ("first_name", "last_name", "job_title"):
            if len(values.get(name) or "") > (200 if name == "job_title" else 100):
                problems.append(
                    Problem(line, N_("The column %(name)s is too long."), {"name": name})
                )
        if number and len(number) > 40:
            problems.append(Problem(line, N_("The employee number is too long.")))
        if len(problems) == before:
            rows.append(
                StaffRow(
                    line=line,
                    email=email,
                    first_name=values["first_name"],
                    last_name=values["last_name"],
                    employee_number=number,
                    job_title=values.get("job_title") if "job_title" in columns else None,
                    direction_code=code.upper() if code else None,
                    roles=roles,
                )
            )
    if problems:
        raise StaffImportError(problems)
    return rows


def import_staff(
    session: Session, data: bytes, *, actor: User | None, dry_run: bool = False
) -> ImportReport:
    """Create or update the accounts of the file, all or nothing.

    Raises StaffImportError (nothing changed) when any line is bad. With ``dry_run`` nothing
    is written: the report says what would happen. The caller commits.
    """
    rows = parse(session, data)
    directions = {d.code.upper(): d for d in session.scalars(select(Direction))}
    codes = {d.id: d.code for d in directions.values()}
    report = ImportReport(dry_run=dry_run)
    problems: list[Problem] = []
    plan: list[tuple[StaffRow, User | None]] = []
    claimed: dict[int, int] = {}
    for row in rows:
        by_number = users.find_by_employee_number(session, row.employee_number or "")
        by_email = users.find_by_email(session, row.email)
        if by_number is not None and by_email is not None and by_number.id != by_email.id:
            problems.append(
                Problem(
                    row.line,
                    N_(
                        "The employee number %(number)s and the e-mail %(email)s belong to "
                        "two different accounts."
                    ),
                    {"number": row.employee_number, "email": row.email},
                )
            )
            continue
        existing = by_number or by_email
        if (
            existing is not None
            and by_number is None
            and row.employee_number
            and existing.employee_number
            and existing.employee_number != row.employee_number
        ):
            problems.append(
                Problem(
                    row.line,
                    N_("The account of %(email)s has another employee number (%(number)s)."),
                    {"email": row.email, "number": existing.employee_number},
                )
            )
            continue
        if existing is not None:
            if existing.id in claimed:
                problems.append(
                    Problem(
                        row.line,
                        N_("This line and line %(other)s update the same account."),
                        {"other": claimed[existing.id]},
                    )
                )
                continue
            claimed[existing.id] = row.line
        plan.append((row, existing))
    if problems:
        raise StaffImportError(problems)

    for row, existing in plan:
        direction_id = directions[row.direction_code].id if row.direction_code else None
        roles = row.roles
        if existing is None:
            report.created.append(row.email)
            report.changes.append(
                AccountChange(
                    line=row.line,
                    email=row.email,
                    name=f"{row.first_name} {row.last_name}",
                    created=True,
                    roles_added=tuple(sorted(r.value for r in (roles or set()) - {Role.AGENT})),
                )
            )
            if not dry_run:
                users.create_user(
                    session,
                    email=row.email,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    password=None,
                    roles=roles or set(),
                    direction_id=direction_id,
                    job_title=row.job_title or "",
                    employee_number=row.employee_number,
                    actor=actor,
                )
            continue
        if roles is not None and actor is not None and existing.id == actor.id:
            roles = roles | ({Role.ADMIN} & existing.roles)
        changes = _changes(existing, row, direction_id, roles)
        if not changes:
            report.unchanged += 1
            continue
        report.updated.append(row.email)
        report.changes.append(_account_change(row, existing, changes, codes))
        if not dry_run:
            _apply(existing, row, direction_id, roles)
            audit.record(session, actor, "user.import_update", "user", existing.id, changes=changes)
    if not dry_run:
        session.flush()
        audit.record(
            session,
            actor,
            "staff.import",
            "user",
            None,
            created=len(report.created),
            updated=len(report.updated),
            unchanged=report.unchanged,
        )
    return report


def _changes(
    user: User, row: StaffRow, direction_id: int | None, roles: set[Role] | None
) -> dict[str, list]:
    wanted: dict[str, Any] = {
        "email": row.email,
        "first_name": row.first_name,
        "last_name": row.last_name,
    }
    if row.employee_number:
        wanted["employee_number"] = row.employee_number
    if row.job_title is not None:
        wanted["job_title"] = row.job_title
    if row.direction_code is not None:
        wanted["direction_id"] = direction_id
    changes = {k: [getattr(user, k), v] for k, v in wanted.items() if getattr(user, k) != v}
    if roles is not None:
        have = sorted(r.value for r in user.roles)
        want = sorted(r.value for r in roles | {Role.AGENT})
        if have != want:
            changes["roles"] = [have, want]
    return changes


def _account_change(
    row: StaffRow, user: User, changes: dict[str, list], codes: dict[int, str]
) -> AccountChange:
    fields = []
    for name, (before, after) in changes.items():
        if name == "roles":
            continue
        if name == "direction_id":
            name, before, after = "direction_code", codes.get(before), codes.get(after)
        fields.append((name, before or "", after or ""))
    have, want = (set(v) - {Role.AGENT.value} for v in changes.get("roles", [[], []]))
    return AccountChange(
        line=row.line,
        email=user.email,
        name=user.full_name,
        fields=tuple(fields),
        roles_added=tuple(sorted(want - have)),
        roles_removed=tuple(sorted(have - want)),
    )


def _apply(user: User, row: StaffRow, direction_id: int | None, roles: set[Role] | None) -> None:
    user.email = row.email
    user.first_name = row.first_name
    user.last_name = row.last_name
    if row.employee_number:
        user.employee_number = row.employee_number
    if row.job_title is not None:
        user.job_title = row.job_title
    if row.direction_code is not None:
        user.direction_id = direction_id
    if roles is not None:
        user.set_roles(roles)
