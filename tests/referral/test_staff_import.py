"""Staff import from an HR directory CSV: matching, bad lines with their numbers, all or nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from referral.models import AuditEvent, Direction, Role, User
from referral.people import staff_import
from referral.people.staff_import import StaffImportError

HEADER = "employee_number;email;first_name;last_name;job_title;direction_code;roles\n"
GOOD = HEADER + (
    "A1;claire.martin@region.example;Claire;Martin;Cheffe de projet SI;DSI;manager\n"
    "A2;hugo.bernard@region.example;Hugo;Bernard;Gestionnaire paie;DRH;\n"
    "A3;lea.bonnet@region.example;Léa;Bonnet;Chargée de recrutement;DRH;recruiter|manager\n"
)


@pytest.fixture
def org(session):
    session.add_all([Direction(name="Numérique", code="DSI"), Direction(name="RH", code="DRH")])
    session.commit()


def _users(session):
    return {u.email: u for u in session.scalars(select(User))}


def _problems(session, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(StaffImportError) as info:
        staff_import.import_staff(session, data, actor=None)
    session.rollback()
    return [(p.line, p.message) for p in info.value.problems]


def test_good_file_creates_accounts_without_password(session, org):
    report = staff_import.import_staff(session, GOOD.encode(), actor=None)
    session.commit()
    assert (len(report.created), len(report.updated), report.unchanged) == (3, 0, 0)
    people = _users(session)
    lea = people["lea.bonnet@region.example"]
    assert lea.first_name == "Léa" and lea.password_hash is None
    assert lea.roles == {Role.AGENT, Role.RECRUITER, Role.MANAGER}
    assert people["hugo.bernard@region.example"].roles == {Role.AGENT}
    assert lea.direction.code == "DRH" and lea.employee_number == "A3"
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.import"))


def test_second_import_updates_by_employee_number_then_email(session, org, make_user):
    staff_import.import_staff(session, GOOD.encode(), actor=None)
    session.commit()
    legacy = make_user(email="paul.roy@region.example")  # no employee number yet
    changed = HEADER + (
        # same number, new e-mail and job title: the account of A1 is updated
        "A1;claire.martin-durand@region.example;Claire;Martin-Durand;DSI adjointe;DSI;manager\n"
        "A2;hugo.bernard@region.example;Hugo;Bernard;Gestionnaire paie;DRH;\n"
        # found by e-mail, gets its employee number
        "A9;paul.roy@region.example;Paul;Roy;Comptable;DRH;\n"
    )
    report = staff_import.import_staff(session, changed.encode(), actor=None)
    session.commit()
    assert sorted(report.updated) == [
        "claire.martin-durand@region.example",
        "paul.roy@region.example",
    ]
    assert report.unchanged == 1 and report.created == []
    people = _users(session)
    assert "claire.martin@region.example" not in people
    assert people["claire.martin-durand@region.example"].job_title == "DSI adjointe"
    session.refresh(legacy)
    assert legacy.employee_number == "A9" and legacy.last_name == "Roy"


def test_dry_run_writes_nothing(session, org):
    report = staff_import.import_staff(session, GOOD.encode(), actor=None, dry_run=True)
    assert len(report.created) == 3 and report.dry_run
    session.commit()
    assert session.scalar(select(func.count(User.id))) == 0


BAD_ROWS = [
    ("A4;;Sans;Courriel;Agent;DSI;\n", "e-mail address is missing"),
    ("A4;pas-une-adresse;Jean;Dupont;Agent;DSI;\n", "Invalid e-mail address"),
    ("A4;jean.dupont@region.example;Jean;Dupont;Agent;XYZ;\n", "Unknown direction code XYZ"),
    ("A4;jean.dupont@region.example;Jean;Dupont;Agent;DSI;superuser\n", "Unknown role superuser"),
    ("A4;claire.martin@region.example;Claire;Martin;Agent;DSI;\n", "already on line 2"),
    ("A4;jean.dupont@region.example;Jean;Dupont;Agent\n", "Expected 7 columns, found 5"),
    ("A4;jean.dupont@region.example;Jean;Dupont;Agent;DSI;;extra\n", "Expected 7 columns, found 8"),
    ("A1;jean.dupont@region.example;Jean;Dupont;Agent;DSI;\n", "employee number A1 is already"),
    ("A4;jean.dupont@region.example;;Dupont;Agent;DSI;\n", "first_name is empty"),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_each_bad_row_is_reported_with_its_line_and_nothing_is_imported(session, org, row, message):
    problems = _problems(session, GOOD + row)
    assert len(problems) == 1
    line, text = problems[0]
    assert line == 5, problems
    assert message in text
    assert session.scalar(select(func.count(User.id))) == 0


def test_every_bad_line_is_listed(session, org):
    text = HEADER + (
        ";;A;B;;;\n"
        "A1;ok@region.example;Ok;Ok;;DSI;\n"
        "A2;ko@region;Ko;Ko;;DSI;\n"
        "A3;ko2@region.example;Ko;Ko;;NOPE;admin\n"
    )
    problems = _problems(session, text)
    assert [line for line, _ in problems] == [2, 4, 5]


def test_line_numbers_count_physical_lines_with_quoted_newlines(session, org):
    text = HEADER + (
        'A1;a@region.example;Anne;Ha;"Cheffe de projet\nsur deux lignes";DSI;\n'
        "A2;;Sans;Courriel;;DSI;\n"
    )
    assert _problems(session, text)[0][0] == 4


def test_comma_separated_windows_1252_with_french_headers(session, org):
    text = (
        "Matricule,Courriel,Prénom,Nom,Intitulé de poste,Code direction,Rôles\n"
        "B1,helene.moreau@region.example,Hélène,Moreau,Cheffe du service recrutement,DRH,recruteur\n"
        'B2,francois.perrin@region.example,François,Perrin,"Directeur des lycées, adjoint",DSI,\n'
    )
    report = staff_import.import_staff(session, text.encode("cp1252"), actor=None)
    session.commit()
    assert len(report.created) == 2
    people = _users(session)
    assert people["helene.moreau@region.example"].first_name == "Hélène"
    assert people["helene.moreau@region.example"].roles == {Role.AGENT, Role.RECRUITER}
    assert people["francois.perrin@region.example"].job_title == "Directeur des lycées, adjoint"


def test_utf8_with_bom_and_only_required_columns(session, org):
    text = "\ufeffEmail;First_Name;LAST NAME\r\nzoe.lambert@region.example;Zoé;Lambert\r\n"
    report = staff_import.import_staff(session, text.encode("utf-8"), actor=None)
    assert report.created == ["zoe.lambert@region.example"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00broken spreadsheet", "cannot be read as an XLSX workbook"),
        (b"\x00\x01\x02\x03", "not a CSV"),
        (HEADER.encode(), "header but no rows"),
        (
            (HEADER + 'A1;a@region.example;Anne;"Ha;Cheffe;DSI;\n').encode(),
            "a quoted field is never closed",
        ),
        (
            (HEADER + 'A1;a@region.example;Anne;"Ha"x;Cheffe;DSI;\n').encode(),
            "a quote is misplaced",
        ),
        (b"nom;prenom;telephone\nA;B;0600\n", "Unknown column telephone"),
        (b"email;email;nom;prenom\n", "appears twice"),
        (b"matricule;nom\nA1;Dupont\n", "Required columns are missing: email, first_name"),
    ],
)
def test_corrupt_or_partial_files_get_a_clear_error(session, org, data, message):
    problems = _problems(session, data)
    assert any(message in text for _, text in problems), problems


def test_number_and_email_of_two_different_accounts_is_refused(session, org, make_user):
    make_user(email="a@region.example", employee_number="N1")
    make_user(email="b@region.example", employee_number="N2")
    problems = _problems(session, HEADER + "N1;b@region.example;B;B;;;\n")
    assert problems[0][0] == 2 and "two different accounts" in problems[0][1]


def test_importing_admin_keeps_their_own_admin_role(session, org, make_user):
    admin = make_user(Role.ADMIN, email="admin@region.example")
    staff_import.import_staff(
        session, (HEADER + "Z1;admin@region.example;Ad;Min;;DSI;recruiter\n").encode(), actor=admin
    )
    session.commit()
    session.refresh(admin)
    assert admin.roles == {Role.AGENT, Role.ADMIN, Role.RECRUITER}


def test_trailing_separators_of_a_spreadsheet_export_are_ignored(session, org):
    text = "email;first_name;last_name;;\nzoe.lambert@region.example;Zoé;Lambert;;\n"
    report = staff_import.import_staff(session, text.encode(), actor=None)
    assert report.created == ["zoe.lambert@region.example"]


def test_utf16_export_of_a_spreadsheet(session, org):
    text = "email\tfirst_name\tlast_name\nzoe.lambert@region.example\tZoé\tLambert\n"
    report = staff_import.import_staff(session, text.encode("utf-16"), actor=None)
    assert report.created == ["zoe.lambert@region.example"]


def test_dry_run_lists_each_change_and_the_roles_an_empty_cell_removes(session, org, make_user):
    recruiter = make_user(Role.RECRUITER, email="rh@region.example", first_name="Rose")
    manager = make_user(Role.MANAGER, email="chef@region.example", last_name="Avant")
    data = (
        "email;first_name;last_name;roles\n"
        f"rh@region.example;Rose;{recruiter.last_name};\n"
        "chef@region.example;Marc;Après;manager admin\n"
        "nouveau@region.example;Jean;Neuf;recruiter\n"
    ).encode()
    report = staff_import.import_staff(session, data, actor=None, dry_run=True)
    session.rollback()
    changes = {c.email: c for c in report.changes}
    assert changes["rh@region.example"].roles_removed == ("recruiter",)
    assert changes["rh@region.example"].fields == ()
    chef = changes["chef@region.example"]
    assert (chef.roles_added, chef.roles_removed) == (("admin",), ())
    assert ("last_name", "Avant", "Après") in chef.fields
    assert changes["nouveau@region.example"].created
    assert changes["nouveau@region.example"].roles_added == ("recruiter",)
    assert [c.email for c in report.roles_removed] == ["rh@region.example"]
    assert "ROLES REMOVED: recruiter" in changes["rh@region.example"].describe()
    # The dry run changed nothing; the real import applies exactly what it listed.
    session.refresh(recruiter)
    assert Role.RECRUITER in recruiter.roles
    report = staff_import.import_staff(session, data, actor=None)
    session.commit()
    assert [c.email for c in report.roles_removed] == ["rh@region.example"]
    session.refresh(recruiter)
    session.refresh(manager)
    assert recruiter.roles == {Role.AGENT}
    assert manager.roles == {Role.AGENT, Role.MANAGER, Role.ADMIN}


@pytest.mark.parametrize("where", ["header", "row"])
def test_a_line_with_thousands_of_columns_is_refused_at_once(session, org, where):
    wide = ";".join(f"x{i}" for i in range(100_000)) + "\n"
    text = wide + GOOD if where == "header" else GOOD + wide
    line = 1 if where == "header" else 5
    assert _problems(session, text) == [(line, "The line has more than 100 columns.")]


def test_an_xlsx_export_is_read_like_a_csv(session, org):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Matricule", "Courriel", "Prénom", "Nom", "Fonction", "Code direction"])
    sheet.append([1024, "claire.martin@region.example", "Claire", "Martin", "Cheffe", "DSI"])
    sheet.append([None, None, None, None, None, None])
    sheet.append([2051, "pas-un-courriel", "Hugo", "Bernard", None, "DSI"])
    out = io.BytesIO()
    book.save(out)
    problems = _problems(session, out.getvalue())
    assert [line for line, _ in problems] == [4]  # the spreadsheet's own row number
    sheet.delete_rows(4)
    out = io.BytesIO()
    book.save(out)
    report = staff_import.import_staff(session, out.getvalue(), actor=None)
    assert report.created == ["claire.martin@region.example"]
    user = session.scalar(select(User).where(User.email == "claire.martin@region.example"))
    assert user.employee_number == "1024"
