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
from referral.models import CvTextStatus

MAX_EXPANDED_BYTES = 50 * 1024 * 1024  # what a DOCX/ODT may expand to
MAX_COMPRESSION_RATIO = 200
MAX_ARCHIVE_MEMBERS = 2000
MAX_PDF_PAGES = 60  # a CV longer than this is read up to here
MAX_TEXT_CHARS = 200_000
# Single-byte encodings that charset detection confuses with each other on short French text;
# Windows-1252 (a superset of Latin-1 for printable text) is by far the most likely of them.
_LATIN_FAMILY = {"cp1250", "cp1252", "latin_1", "iso8859_15", "iso8859_2", "mac_roman", "cp850"}
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

    @property
    def text_status(self) -> CvTextStatus:
        """``ok``, or ``no_text`` for a file with nothing readable (a scanned PDF)."""
        return CvTextStatus.OK if self.has_text else CvTextStatus.NO_TEXT


def extract(data: bytes, max_bytes: int) -> ExtractedCV:
    """The text of a CV file. Raises CVError for an empty, too large, wrong, corrupt,
    encrypted or oversized-when-expanded file, or text in an unknown encoding."""
    if not data:
        raise CVError("empty", "The file is empty.")
    if len(data) > max_bytes:
        raise CVError("too_large", f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    if data.startswith(b"%PDF-"):
        cv = ExtractedCV(_pdf_text(data), "pdf", "application/pdf")
    elif data.startswith(b"PK\x03\x04"):
        cv = _office_text(data)
    else:
        cv = ExtractedCV(_plain_text(data), "txt", "text/plain")
    return ExtractedCV(cv.text[:MAX_TEXT_CHARS], cv.kind, cv.mime_type)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    # A complete PDF ends with %%EOF (a few bytes of trailing garbage are tolerated); pypdf
    # would otherwise "repair" a truncated file and silently return part of the text.
    if b"%%EOF" not in data[-2048:]:
        raise CVError("corrupt", "The PDF is damaged or incomplete and cannot be read.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # An empty user password opens some "protected" PDFs; anything else is refused.
            try:
                if not reader.decrypt(""):
                    raise CVError("encrypted", "The PDF is password-protected.")
            except (FileNotDecryptedError, NotImplementedError):
                raise CVError("encrypted", "The PDF is password-protected.") from None
        pages = [page.extract_text() or "" for page in list(reader.pages)[:MAX_PDF_PAGES]]
    except CVError:
        raise
    except FileNotDecryptedError:
        raise CVError("encrypted", "The PDF is password-protected.") from None
    except PdfReadError:
        raise CVError("corrupt", "The PDF is damaged or incomplete and cannot be read.") from None
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
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        raise CVError("zip_bomb", "The document expands to an unreasonable size.")
    # The sizes declared in the archive are safe to trust: zipfile never expands a member
    # beyond its declared size (and fails on the CRC when the data disagrees).
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


def _utf16_text(data: bytes) -> str | None:
    """``data`` read as UTF-16 (as Windows' Notepad saves "Unicode" text), with its byte order
    mark or recognised by its zero bytes; None if it is not UTF-16 text."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    else:
        sample = data[:4096]
        half = max(1, len(sample) // 2)
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > 0.3 * half and even < 0.02 * half:
            encoding = "utf-16-le"
        elif even > 0.3 * half and odd < 0.02 * half:
            encoding = "utf-16-be"
        else:
            return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return text if "\x00" not in text else None


def _plain_text(data: bytes) -> str:
    import puremagic
    from charset_normalizer import from_bytes

    utf16 = _utf16_text(data) if b"\x00" in data[:4096] else None
    if utf16 is not None:
        data = utf16.encode("utf-8")  # read as any other text below
    if b"\x00" in data[:4096]:
        kind = ""
        with contextlib.suppress(puremagic.PureError):
            kind = puremagic.from_string(data, mime=True)
        detail = f" ({kind})" if kind else ""
        raise CVError(
            "wrong_type",
            f"This file type is not accepted{detail}: send a PDF, DOCX, ODT or text file.",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise CVError("encoding", "The text file's encoding could not be recognised.") from None
        text = str(best)
        if best.encoding in _LATIN_FAMILY:
            with contextlib.suppress(UnicodeDecodeError):
                text = data.decode("cp1252")
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
    if printable < 0.95 * len(text):
        raise CVError("encoding", "The text file's encoding could not be recognised.")
    text = text.strip()
    if not text:
        raise CVError("empty", "The file is empty.")
    return text
