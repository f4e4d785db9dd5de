"""PDF from our own HTML, with WeasyPrint (and the fonts the system has: Debian's DejaVu).

The HTML is the printable page itself, so the PDF and the browser's print agree. Its style
sheets are read from the static folder; WeasyPrint is never allowed to fetch a URL.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"not fetched: {url}")


def html_to_pdf(html: str, stylesheets: tuple[str, ...] = ("css/report.css",)) -> bytes:
    """The PDF of ``html``; ``stylesheets`` are paths under the static folder."""
    from weasyprint import CSS, HTML  # heavy import, only when a PDF is asked for

    static = Path(current_app.static_folder)
    sheets = [CSS(filename=str(static / name), url_fetcher=_no_fetch) for name in stylesheets]
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf(stylesheets=sheets)
