"""Builders of CV files (good, corrupt and malicious) and fixtures for the applications tests.

Import the fixtures into a test module with ``from tests.applying import *``.
"""

from __future__ import annotations

import io
import itertools
import random
import zipfile
from datetime import timedelta

import pytest

from referral.applications.applying import ApplicationInput
from referral.models import Channel, ShareLink, utcnow

__all__ = [
    "make_link",
    "apply_input",
    "pdf_bytes",
    "scanned_pdf_bytes",
    "encrypted_pdf_bytes",
    "docx_bytes",
    "odt_bytes",
    "zip_bomb_bytes",
    "unknown_encoding_bytes",
    "png_bytes",
]

_codes = itertools.count(1)


def pdf_bytes(
    text: str = "Marie Curie\nChef de projet numérique, Python, SQL, gestion de projet",
) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text.encode("latin-1", "replace").decode("latin-1"))
    return bytes(pdf.output())


def scanned_pdf_bytes() -> bytes:
    """A PDF with a drawing and no text layer, as a scanner would make."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())


def encrypted_pdf_bytes(password: str = "secret") -> bytes:  # noqa: S107
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(text: str = "Jean Dupont\nJuriste, droit public, marchés publics") -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


ODT_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
    "<text:h>{title}</text:h><text:p>{body}</text:p></office:text></office:body>"
    "</office:document-content>"
)


def odt_bytes(title: str = "Sophie Martin", body: str = "Comptable, finances publiques") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", ODT_CONTENT.format(title=title, body=body))
    return out.getvalue()


def zip_bomb_bytes(member: str = "content.xml", size_mb: int = 20) -> bytes:
    """An ODT-looking archive whose content expands to ``size_mb`` MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        with archive.open(member, "w", force_zip64=True) as handle:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size_mb):
                handle.write(chunk)
    return out.getvalue()


def unknown_encoding_bytes() -> bytes:
    """Bytes that are no text in any encoding (no NUL, so not sniffed as binary)."""
    rng = random.Random(4)
    return bytes(rng.randrange(1, 256) for _ in range(3000))


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


def apply_input(**fields) -> ApplicationInput:
    values = {
        "first_name": "Marie",
        "last_name": "Curie",
        "email": "marie.curie@example.org",
        "phone": "06 12 34 56 78",
        "city": "Lyon",
        "consent": True,
    }
    values.update(fields)
    return ApplicationInput(**values)


@pytest.fixture
def make_link(session, make_user, make_offer):
    """``make_link(offer=None, agent=None, channel="linkedin", revoked=False) -> ShareLink``."""

    def make(offer=None, agent=None, channel=Channel.LINKEDIN.value, revoked=False):
        offer = offer or make_offer()
        agent = agent or make_user()
        link = ShareLink(
            code=f"c{next(_codes):06d}",
            offer_id=offer.id,
            agent_id=agent.id,
            channel=channel,
            revoked_at=utcnow() - timedelta(days=1) if revoked else None,
        )
        session.add(link)
        session.commit()
        return link

    return make
