"""Reading LinkedIn archives: what real archives vary in is read, what is unsafe is refused."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from referral.linkedin.archive import ArchiveRefused, parse_date, read_archive
from tests.linkedin_factories import activity_csv, connections_csv, shares_csv, zip_bytes

DAY = date(2025, 3, 4)


def test_a_complete_archive_in_a_folder_with_notes_before_the_header():
    data = zip_bytes(
        {
            "Connections.csv": connections_csv(
                [("Anne", "Durand", "https://www.linkedin.com/in/adurand", DAY)]
            ),
            "Shares.csv": shares_csv([(DAY, "Une offre https://relais.example/r/abc")]),
            "Reactions.csv": activity_csv(
                "reactions",
                [(DAY, "https://www.linkedin.com/feed/update/urn:li:activity:123456789")],
            ),
            "Comments.csv": activity_csv("comments", [(DAY, "https://x")]),
            "Profile.csv": "First Name,Last Name\nA,B\n",
        },
        folder="Basic_LinkedInDataExport_03-04-2025/",
    )
    archive = read_archive(data)
    assert archive.files == ["Comments.csv", "Connections.csv", "Reactions.csv", "Shares.csv"]
    assert archive.connections[0].last_name == "Durand"
    assert archive.connections[0].on == DAY
    assert archive.shares[0].on == DAY and "relais.example/r/abc" in archive.shares[0].text
    assert len(archive.reactions) == 1 and len(archive.comments) == 1


def test_reordered_extra_columns_cp1252_and_quoted_commas():
    text = (
        "Connected On;x\n"  # a Notes-like line that is not the header
        "Position,Connected On,Extra,Last Name,First Name,URL\n"
        '"Chef, service",04 Mar 2025,z,Lefèvre,Hélène,\n'
    ).encode("cp1252")
    archive = read_archive(zip_bytes({"Connections.csv": text}))
    (c,) = archive.connections
    assert (c.first_name, c.last_name, c.on) == ("Hélène", "Lefèvre", DAY)


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-04 10:22:33",
        "2025-03-04 10:22:33 UTC",
        "04 Mar 2025",
        "04-Mar-25",
        "03/04/25",
        "2025-03-04",
    ],
)
def test_date_formats(text):
    assert parse_date(text) == DAY


def test_unreadable_dates_are_skipped_and_counted():
    archive = read_archive(
        zip_bytes({"Reactions.csv": "Date,Type,Link\nnot a date,LIKE,x\n2025-03-04,LIKE,y\n"})
    )
    assert len(archive.reactions) == 1 and archive.skipped_rows == 1


def _refused(data: bytes) -> str:
    with pytest.raises(ArchiveRefused) as caught:
        read_archive(data)
    return str(caught.value)


def test_refusals_say_why():
    assert "not a ZIP" in _refused(b"%PDF-1.4 hello")
    assert "not a ZIP" in _refused(b"PK\x03\x04 truncated")
    assert "none of" in _refused(zip_bytes({"Profile.csv": "a,b\n"}))
    assert "not a text file" in _refused(zip_bytes({"Shares.csv": b"\x00\x01\x02PNG\x00"}))
    assert "truncated" in _refused(
        zip_bytes({"Shares.csv": 'Date,ShareLink,ShareCommentary\n2025-03-04,x,"unfinished'})
    )
    assert "larger than 40 MB" in _refused(b"PK" + b"\0" * (50 * 1024 * 1024))


def test_paths_climbing_out_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("../../etc/Connections.csv", "First Name,Connected On\n")
    assert "leaves its folder" in _refused(out.getvalue())


def test_a_zip_bomb_is_refused_without_expanding_it():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Shares.csv", b"Date\n" + b"0" * (80 * 1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024
    assert "ZIP bomb" in _refused(out.getvalue())


def test_a_post_is_the_same_whichever_address_linkedin_gives():
    from referral.linkedin.activity import post_key, profile_key

    number = "7123456789012345678"
    assert (
        post_key(f"https://www.linkedin.com/feed/update/urn:li:activity:{number}/")
        == post_key(f"https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A{number}")
        == post_key(f"https://www.linkedin.com/posts/jdupont_recrutement-activity-{number}-Ab3d")
        == number
    )
    assert profile_key("https://fr.linkedin.com/in/Jean-Dupont/?trk=x") == "jean-dupont"
    assert profile_key("https://example.com/in/jean") is None
