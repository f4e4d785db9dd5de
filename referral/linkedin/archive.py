"""Reading an agent's own LinkedIn data archive ("Get a copy of your data"), safely.

Only four CSV files are read, wherever they sit in the ZIP: ``Connections.csv``, ``Shares.csv``,
``Comments.csv`` and ``Reactions.csv``. Everything else is ignored. The archive is read in memory
and never written anywhere; what comes out is a plain, short-lived :class:`Archive` from which
:mod:`referral.linkedin.activity` keeps weekly counts only.

Real archives vary: the "basic" one has no ``Comments.csv``, columns come in another order or
with extra ones, ``Connections.csv`` starts with a few "Notes" lines before its header, dates
come as ``2024-01-15 10:22:33``, ``15 Jan 2024`` or ``01/15/24``, files may be UTF-8 with or
without a BOM or Windows-1252. What cannot be read safely is refused as a whole with
:class:`ArchiveRefused` before anything is changed: not a ZIP, too big, a ZIP bomb, a member
whose path climbs out of the folder, a CSV that is binary or truncated, none of the four files.
"""

from __future__ import annotations

import csv
import functools
import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from referral.errors import InvalidInput

# A complete archive's CSVs are a few megabytes; the media the complete archive may carry are
# never read, but they count against the upload.
MAX_ARCHIVE_BYTES = 40 * 1024 * 1024
# What may be decompressed, all four CSVs together (a 10-year archive is well under this).
MAX_CSV_BYTES = 60 * 1024 * 1024
# A CSV compresses about 5 to 10 times; a member compressed 200 times is a bomb.
MAX_RATIO = 200

FILES = ("connections.csv", "shares.csv", "comments.csv", "reactions.csv")

_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%d %b %Y",
    "%d-%b-%y",
    "%d %B %Y",
    "%m/%d/%y",
    "%m/%d/%Y",
    "%m/%d/%y, %I:%M %p",
    "%m/%d/%Y %H:%M",
)


class ArchiveRefused(InvalidInput):
    """The file is not an archive Relais can read safely; nothing was changed."""

    def __init__(self, template: str, **params: str):
        self.template = template
        self.params = params
        message = template % params if params else template
        super().__init__(message, {"archive": message})


@dataclass(frozen=True)
class Connection:
    on: date
    url: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class Share:
    on: date
    link: str
    text: str  # commentary and shared URL, only to look for a Relais link; never kept


@dataclass(frozen=True)
class Activity:
    """A reaction or a comment the agent gave, on the post at ``link``."""

    on: date
    link: str


@dataclass
class Archive:
    files: list[str] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    shares: list[Share] = field(default_factory=list)
    comments: list[Activity] = field(default_factory=list)
    reactions: list[Activity] = field(default_factory=list)
    skipped_rows: int = 0


@functools.lru_cache(maxsize=8192)
def parse_date(text: str) -> date | None:
    """The date of a LinkedIn archive cell, whatever of its usual formats; None if unreadable.

    Timestamps are UTC in the archive; the day is taken in UTC (a post at 23:30 UTC may land on
    the neighbouring local day, which moves at most one count across a week boundary).
    """
    text = text.strip().removesuffix(" UTC")
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw:
        raise ArchiveRefused("%(file)s is not a text file.", file=name)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ArchiveRefused("%(file)s is not a text file.", file=name)


def _rows(text: str, name: str, *, header_needs: set[str]) -> tuple[list[str], list[list[str]]]:
    """The header (lowercased) and the rows of a CSV, skipping lines before the header."""
    lines = text.splitlines(keepends=True)
    start = 0
    for i, line in enumerate(lines[:50]):
        lowered = line.lower()
        if all(column in lowered for column in header_needs):
            start = i
            break
    else:
        raise ArchiveRefused("%(file)s has none of the expected columns.", file=name)
    reader = csv.reader(io.StringIO("".join(lines[start:])), strict=True)
    try:
        rows = list(reader)
    except csv.Error:
        raise ArchiveRefused("%(file)s is truncated or damaged.", file=name) from None
    header = [h.strip().lower() for h in rows[0]]
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    if body and len(body[-1]) < len(header) and not text.endswith(("\n", "\r")):
        raise ArchiveRefused("%(file)s is truncated or damaged.", file=name)
    return header, body


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _column(header: list[str], *names: str) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _check_members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The four files by lowercased name; refuses climbing paths and bombs."""
    found: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in archive.infolist():
        name = info.filename.replace("\\", "/")
        parts = name.split("/")
        if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
            raise ArchiveRefused("The archive holds a file whose path leaves its folder.")
        base = posixpath.basename(name).lower()
        if base not in FILES or info.is_dir():
            continue
        if base in found:
            raise ArchiveRefused("The archive holds the same file twice.")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
            raise ArchiveRefused("The archive expands to far more than it weighs (a ZIP bomb).")
        total += info.file_size
        if total > MAX_CSV_BYTES:
            raise ArchiveRefused("The archive expands to far more than it weighs (a ZIP bomb).")
        found[base] = info
    return found


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, never more than it declared (the header of a bomb may lie)."""
    try:
        with archive.open(info) as member:
            raw = member.read(info.file_size + 1)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
        raise ArchiveRefused("%(file)s is truncated or damaged.", file=info.filename) from None
    if len(raw) > info.file_size:
        raise ArchiveRefused("The archive expands to far more than it weighs (a ZIP bomb).")
    return raw


def read_archive(data: bytes) -> Archive:
    """What an archive holds for Relais. Raises :class:`ArchiveRefused`."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ArchiveRefused("The archive is larger than 40 MB; ask LinkedIn for the basic one.")
    if not data.startswith(b"PK"):
        raise ArchiveRefused("This is not a ZIP file: upload the archive LinkedIn sent you.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError):
        raise ArchiveRefused(
            "This is not a ZIP file: upload the archive LinkedIn sent you."
        ) from None
    with archive:
        members = _check_members(archive)
        if not members:
            raise ArchiveRefused(
                "The archive holds none of Connections.csv, Shares.csv, Comments.csv or "
                "Reactions.csv."
            )
        result = Archive(files=sorted(posixpath.basename(m.filename) for m in members.values()))
        texts = {
            base: _decode(_read(archive, info), info.filename) for base, info in members.items()
        }
    if "connections.csv" in texts:
        _connections(texts["connections.csv"], result)
    if "shares.csv" in texts:
        _shares(texts["shares.csv"], result)
    for base, target in (("comments.csv", result.comments), ("reactions.csv", result.reactions)):
        if base in texts:
            _activities(texts[base], base, target, result)
    return result


def _connections(text: str, result: Archive) -> None:
    header, rows = _rows(text, "Connections.csv", header_needs={"first name", "connected on"})
    first, last = _column(header, "first name"), _column(header, "last name")
    url, on = _column(header, "url", "profile url"), _column(header, "connected on")
    for row in rows:
        day = parse_date(_cell(row, on))
        if day is None:
            result.skipped_rows += 1
            continue
        result.connections.append(
            Connection(day, _cell(row, url), _cell(row, first), _cell(row, last))
        )


def _shares(text: str, result: Archive) -> None:
    header, rows = _rows(text, "Shares.csv", header_needs={"date"})
    on, link = _column(header, "date"), _column(header, "sharelink", "share link")
    texts = [_column(header, "sharecommentary"), _column(header, "sharedurl")]
    for row in rows:
        day = parse_date(_cell(row, on))
        if day is None:
            result.skipped_rows += 1
            continue
        result.shares.append(Share(day, _cell(row, link), " ".join(_cell(row, i) for i in texts)))


def _activities(text: str, name: str, target: list[Activity], result: Archive) -> None:
    header, rows = _rows(text, name, header_needs={"date", "link"})
    on, link = _column(header, "date"), _column(header, "link")
    for row in rows:
        day = parse_date(_cell(row, on))
        if day is None:
            result.skipped_rows += 1
            continue
        target.append(Activity(day, _cell(row, link)))
