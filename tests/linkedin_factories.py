"""LinkedIn data archives as LinkedIn writes them, for the tests and the benchmark."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

NOTES = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses '
    'are missing."\n\n'
)


def csv_text(header: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def connections_csv(people: list[tuple[str, str, str, date]], notes: bool = True) -> str:
    """``people``: (first name, last name, profile URL, connected on)."""
    header = [
        "First Name",
        "Last Name",
        "URL",
        "Email Address",
        "Company",
        "Position",
        "Connected On",
    ]
    rows = [[f, last, u, "", "Région", "Agent", d.strftime("%d %b %Y")] for f, last, u, d in people]
    return (NOTES if notes else "") + csv_text(header, rows)


def shares_csv(posts: list[tuple[date, str]]) -> str:
    """``posts``: (date, commentary)."""
    header = ["Date", "ShareLink", "ShareCommentary", "SharedUrl", "MediaUrl", "Visibility"]
    rows = [
        [
            f"{d.isoformat()} 10:22:33",
            f"https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A{7000000 + i}",
            text,
            "",
            "",
            "MEMBER_NETWORK",
        ]
        for i, (d, text) in enumerate(posts)
    ]
    return csv_text(header, rows)


def activity_csv(kind: str, items: list[tuple[date, str]]) -> str:
    """Reactions (``kind`` "reactions") or comments: (date, post link)."""
    if kind == "reactions":
        return csv_text(
            ["Date", "Type", "Link"], [[f"{d} 09:00:00", "LIKE", link] for d, link in items]
        )
    return csv_text(
        ["Date", "Link", "Message"], [[f"{d} 09:00:00", link, "Bravo !"] for d, link in items]
    )


def zip_bytes(files: dict[str, str | bytes], folder: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            archive.writestr(f"{folder}{name}", data)
    return out.getvalue()
