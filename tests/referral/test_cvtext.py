"""CV text extraction: good files of each type, and every bad file refused with a reason."""

import io
import zipfile

import pytest

from referral.applications.cvtext import CVError, extract
from tests.applying import (
    docx_bytes,
    encrypted_pdf_bytes,
    odt_bytes,
    pdf_bytes,
    png_bytes,
    scanned_pdf_bytes,
    unknown_encoding_bytes,
    zip_bomb_bytes,
)

MB = 1024 * 1024


def test_pdf_docx_odt_and_text_are_read():
    assert "Chef de projet" in extract(pdf_bytes(), 5 * MB).text
    assert extract(pdf_bytes(), 5 * MB).kind == "pdf"
    assert "Juriste" in extract(docx_bytes(), 5 * MB).text
    odt = extract(odt_bytes(), 5 * MB)
    assert (odt.kind, odt.text) == ("odt", "Sophie Martin\nComptable, finances publiques")
    assert extract("Développeur à Lyon".encode(), 5 * MB).text == "Développeur à Lyon"


def test_windows_1252_text_is_read_as_french():
    text = "Expérience : développeur à Lyon, chargé de études, bâtiment".encode("cp1252")
    assert extract(text, 5 * MB).text.startswith("Expérience : développeur à Lyon")


def test_a_scanned_pdf_is_accepted_but_flagged_without_text():
    cv = extract(scanned_pdf_bytes(), 5 * MB)
    assert cv.kind == "pdf" and cv.text_status == "no_text"


def test_the_type_is_read_from_the_content_not_the_name():
    # A PDF is a PDF whatever its name; an image is refused whatever its name.
    assert extract(pdf_bytes(), 5 * MB).mime_type == "application/pdf"
    with pytest.raises(CVError) as info:
        extract(png_bytes(), 5 * MB)
    assert info.value.code == "wrong_type"


def _zip(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


BAD = {
    "empty": (b"", "empty"),
    "blank text": (b"  \n\t ", "empty"),
    "too large": (b"a" * (5 * MB + 1), "too_large"),
    "executable": (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "wrong_type"),
    "image": (png_bytes(), "wrong_type"),
    "zip that is no document": (_zip(**{"readme.txt": b"hello"}), "wrong_type"),
    "truncated pdf": (pdf_bytes()[:600], "corrupt"),
    "pdf cut before the end": (pdf_bytes()[:-8], "corrupt"),
    "garbage after a pdf header": (b"%PDF-1.7\n" + b"garbage " * 200 + b"\n%%EOF\n", "corrupt"),
    "encrypted pdf": (encrypted_pdf_bytes(), "encrypted"),
    "docx that is no archive": (b"PK\x03\x04" + b"not really a zip" * 50, "corrupt"),
    "truncated docx": (docx_bytes()[:2000], "corrupt"),
    "docx with broken xml": (
        _zip(**{"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document"}),
        "corrupt",
    ),
    "odt with broken xml": (
        _zip(mimetype=b"application/vnd.oasis.opendocument.text", **{"content.xml": b"<a><b>"}),
        "corrupt",
    ),
    "odt with an entity bomb": (
        _zip(
            mimetype=b"application/vnd.oasis.opendocument.text",
            **{
                "content.xml": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>'
            },
        ),
        "corrupt",
    ),
    "zip bomb": (zip_bomb_bytes(), "zip_bomb"),
    "docx zip bomb": (zip_bomb_bytes("word/document.xml"), "zip_bomb"),
    "unknown encoding": (unknown_encoding_bytes(), "encoding"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_are_refused_with_a_reason(case):
    data, code = BAD[case]
    with pytest.raises(CVError) as info:
        extract(data, 5 * MB)
    assert info.value.code == code
    assert info.value.errors == {"cv": str(info.value)}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_read(encoding):
    """Windows' Notepad saves "Unicode" text as UTF-16 (with a byte order mark; some tools
    write none)."""
    cv = extract("Développeuse à Lyon\r\nPython, SQL, marchés publics".encode(encoding), 5 * MB)
    assert (cv.kind, cv.text) == ("txt", "Développeuse à Lyon\r\nPython, SQL, marchés publics")
