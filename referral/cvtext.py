"""Text out of an uploaded CV, with the type checked by content and every bad file refused
with a clear reason (never an exception that crashes a request).

PDF through pypdf, DOCX through python-docx, ODT by reading ``content.xml`` with defusedxml,
plain text with charset-normalizer. Archives are checked against a zip bomb before anything
is expanded.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from dataclasses import dataclass

from referral.errors import InvalidInput

MAX_EXPANDED_BYTES = 50 * 1024 * 1024  # what a DOCX/ODT may expand to
MAX_COMPRESSION_RATIO = 200
ODT_MIME = "application/vnd.oasis.opendocument.text"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class CVError(InvalidInput):
    """A CV that cannot be accepted; ``code`` says why, the message says it to a person."""

    def __init__(self, code: str, message: str):
        super().__init__(message, {"cv": message})
        self.code = code


@dataclass(frozen=True)
class ExtractedCV:
    text: str
    kind: str  # pdf, docx, odt, txt
    mime_type: str

    @property
    def has_text(self) -> bool:
        return bool(self.text.strip())


def extract(data: bytes, max_bytes: int) -> ExtractedCV:
    """The text of a CV file. Raises CVError for an empty, too large, wrong, corrupt,
    encrypted or oversized-when-expanded file, or text in an unknown encoding."""
    if not data:
        raise CVError("empty", "The file is empty.")
    if len(data) > max_bytes:
        raise CVError("too_large", f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    if data.startswith(b"%PDF-"):
        return ExtractedCV(_pdf_text(data), "pdf", "application/pdf")
    if data.startswith(b"PK\x03\x04"):
        return _office_text(data)
    return ExtractedCV(_plain_text(data), "txt", "text/plain")


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # An empty user password opens some "protected" PDFs; anything else is refused.
            try:
                if not reader.decrypt(""):
                    raise CVError("encrypted", "The PDF is password-protected.")
            except (FileNotDecryptedError, NotImplementedError):
                raise CVError("encrypted", "The PDF is password-protected.") from None
        pages = [page.extract_text() or "" for page in reader.pages]
    except CVError:
        raise
    except (PdfReadError, FileNotDecryptedError):
        raise CVError("encrypted_or_corrupt", "The PDF is damaged or protected.") from None
    except Exception:  # noqa: BLE001 - pypdf raises many types on broken input
        raise CVError("corrupt", "The PDF is damaged or incomplete and cannot be read.") from None
    if not pages:
        raise CVError("corrupt", "The PDF has no pages.")
    return "\n".join(pages).strip()


def _office_text(data: bytes) -> ExtractedCV:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise CVError("corrupt", "The document is damaged and cannot be opened.") from None
    expanded = sum(info.file_size for info in infos)
    compressed = max(1, sum(info.compress_size for info in infos))
    if expanded > MAX_EXPANDED_BYTES or expanded / compressed > MAX_COMPRESSION_RATIO:
        raise CVError("zip_bomb", "The document expands to an unreasonable size.")
    names = {info.filename for info in infos}
    try:
        if "word/document.xml" in names:
            return ExtractedCV(_docx_text(data), "docx", DOCX_MIME)
        if "content.xml" in names and archive.read("mimetype").strip() == ODT_MIME.encode():
            return ExtractedCV(_odt_text(archive.read("content.xml")), "odt", ODT_MIME)
    except CVError:
        raise
    except KeyError:
        pass
    except Exception:  # noqa: BLE001 - broken archives surface as many exception types
        raise CVError("corrupt", "The document is damaged and cannot be read.") from None
    raise CVError(
        "wrong_type", "This file type is not accepted: send a PDF, DOCX, ODT or text file."
    )


def _docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(p for p in parts if p.strip())


def _odt_text(xml: bytes) -> str:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(xml)
    except (DefusedXmlException, ElementTree.ParseError):
        raise CVError("corrupt", "The document is damaged and cannot be read.") from None
    text_ns = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    lines = []
    for element in root.iter():
        if element.tag in (f"{text_ns}p", f"{text_ns}h"):
            lines.append("".join(element.itertext()))
    return "\n".join(line for line in lines if line.strip())


def _plain_text(data: bytes) -> str:
    import puremagic
    from charset_normalizer import from_bytes

    if b"\x00" in data[:4096]:
        kind = ""
        with contextlib.suppress(puremagic.PureError):
            kind = puremagic.from_string(data, mime=True)
        detail = f" ({kind})" if kind else ""
        raise CVError(
            "wrong_type",
            f"This file type is not accepted{detail}: send a PDF, DOCX, ODT or text file.",
        )
    best = from_bytes(data).best()
    if best is None:
        raise CVError("encoding", "The text file's encoding could not be recognised.")
    return str(best).strip()
