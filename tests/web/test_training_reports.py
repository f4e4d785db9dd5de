"""The one-page reports (a training, the whole programme): printable page and PDF, whose
text is read back with pdftotext, in English and in French."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from referral.models import Role
from tests.referral.analytics_fixtures import build_training


@pytest.fixture
def login(auth, make_user, session):
    def as_role(*roles, locale="en"):
        user = make_user(*roles)
        user.locale = locale
        session.commit()
        auth.login(user)
        return user

    return as_role


def pdf_text(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(out.stdout.split())


def test_training_report_page_and_pdf_in_english(
    client, login, session, make_user, make_offer, tmp_path
):
    login(Role.RECRUITER)
    case = build_training(session, make_user, make_offer)
    url = f"/analytics/trainings/{case.training.id}/report?weeks=2"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Training report: Ambassadeurs LinkedIn" in html and "format=pdf" in html
    assert "Comparison group: 6 agents." in html and "No measurable effect" in html
    pdf = client.get(f"{url}&format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data, tmp_path)
    assert "Training report: Ambassadeurs LinkedIn" in text
    assert "Attendees: 5 agents still in post" in text
    assert "2 whole weeks observed." in text
    assert "Share links created" in text and "No measurable effect" in text
    assert "+0.37" in text  # the links' difference in differences, as on the page
    # Nobody was hired on either side: nothing to compare, not an effect measured to be 0.
    assert "None in either group, before or after: nothing to compare" in text
    assert "0 … 0" not in text and "[0 … 0]" not in html


def test_small_signed_figures_keep_a_digit_and_never_read_minus_zero(app):
    from web.views.analytics.tables import format_cell

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert format_cell(0.48, "signed") == "+0.48"
        assert format_cell(-0.0043, "signed") == "-0.004"
        assert format_cell(0.0027, "signed") == "+0.003"
        assert format_cell(-0.0004, "signed") == "0"
        assert format_cell(0.0, "signed") == "0"
        assert format_cell(-1.5, "signed") == "-1.5"


def test_programme_report_pdf_in_french(client, login, session, make_user, make_offer, tmp_path):
    login(Role.MANAGER, locale="fr")
    build_training(session, make_user, make_offer)
    page = client.get("/analytics/trainings/report")
    assert page.status_code == 200
    assert "Le programme ambassadeurs : effet des formations" in page.get_data(as_text=True)
    pdf = client.get("/analytics/trainings/report?format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data, tmp_path)
    assert "Le programme ambassadeurs : effet des formations" in text
    assert "Ambassadeurs LinkedIn" in text
    # A manager without a direction sees nobody: no group, nothing claimed.
    assert "Pas assez d'agents pour comparer" in text or "Trop tôt" in text


def test_programme_report_draws_each_trainings_interval(
    client, login, session, make_user, make_offer, tmp_path
):
    login(Role.RECRUITER)
    case = build_training(session, make_user, make_offer)
    html = client.get("/analytics/trainings/report").get_data(as_text=True)
    assert "effect and its interval</h2>" in html
    # One chart per measure, each with its title and description for screen readers.
    assert html.count('role="img"') == 4 and html.count('class="chart-zero"') == 4
    assert html.count('class="chart-interval"') >= 3  # links, people, applications
    assert "nothing to compare" in html  # nobody hired on either side
    assert case.training.held_on.strftime("%Y") in html
    pdf = client.get("/analytics/trainings/report?format=pdf")
    text = pdf_text(pdf.data, tmp_path)
    assert "Each training's effect and its interval" in text and "nothing to compare" in text


def test_reports_are_for_analytics_readers(client, login, session, make_user, make_offer):
    case = build_training(session, make_user, make_offer)
    login()
    assert client.get("/analytics/trainings/report").status_code == 403
    assert client.get(f"/analytics/trainings/{case.training.id}/report").status_code == 403
