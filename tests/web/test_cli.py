"""The ``relais`` command line: import-staff, and bad configuration stopping with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from referral.models import Direction, User

ROOT = Path(__file__).resolve().parents[2]
CSV = (
    "matricule;courriel;prénom;nom;fonction;code direction;rôles\n"
    "A1;claire.martin@region.example;Claire;Martin;Cheffe de projet SI;DSI;manager\n"
    "A2;hugo.bernard@region.example;Hugo;Bernard;Gestionnaire paie;DSI;\n"
)


@pytest.fixture
def dsi(session):
    session.add(Direction(name="Direction du numérique", code="DSI"))
    session.commit()


def _count(session):
    session.expire_all()
    return session.scalar(select(func.count(User.id)))


def test_import_staff_dry_run_then_for_real(runner, session, dsi, tmp_path):
    path = tmp_path / "annuaire.csv"
    path.write_text(CSV, encoding="utf-8")
    dry = runner.invoke(["import-staff", "--dry-run", str(path)])
    assert dry.exit_code == 0, dry.output
    assert "2 accounts would be created" in dry.output
    assert _count(session) == 0
    real = runner.invoke(["import-staff", str(path)])
    assert real.exit_code == 0, real.output
    assert "2 accounts were created" in real.output
    assert _count(session) == 2
    again = runner.invoke(["import-staff", str(path)])
    assert "0 accounts were created, 0 were updated, 2 unchanged" in again.output


def test_import_staff_reports_bad_lines_and_imports_nothing(runner, session, dsi, tmp_path):
    path = tmp_path / "annuaire.csv"
    path.write_text(CSV + "A3;;Sans;Courriel;;DSI;\nA4;x@region.example;X;Y;;ZZZ;\n", "utf-8")
    result = runner.invoke(["import-staff", str(path)])
    assert result.exit_code == 1
    assert "annuaire.csv: line 4: The e-mail address is missing." in result.output
    assert "annuaire.csv: line 5: Unknown direction code ZZZ." in result.output
    assert "nothing imported" in result.output
    assert "Traceback" not in result.output
    assert _count(session) == 0


def _one_clear_line(result, variable: str) -> None:
    assert result.exit_code not in (0, None), result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert variable in lines[0] and lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", ["demo", "run"])
def test_unreachable_database_stops_with_one_line(runner, app_config, command):
    env = {k: str(v) for k, v in app_config.items() if k.startswith("RELAIS_")}
    env["RELAIS_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/x"
    result = runner.invoke([command], env=env)
    _one_clear_line(result, "RELAIS_DATABASE_URL")
    assert "cannot reach the database" in result.output


@pytest.mark.parametrize("command", ["demo", "run"])
def test_unwritable_instance_folder_stops_with_one_line(runner, app_config, tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {k: str(v) for k, v in app_config.items() if k.startswith("RELAIS_")}
    env["RELAIS_INSTANCE_PATH"] = str(blocker / "instance")
    result = runner.invoke([command], env=env)
    _one_clear_line(result, "RELAIS_INSTANCE_PATH")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RELAIS_SMTP_PORT", "twenty-five"),
        ("RELAIS_MAX_UPLOAD_MB", "-1"),
        ("RELAIS_WORKER_ENABLED", "perhaps"),
        ("RELAIS_DATABASE_URL", "not a database url"),
        ("RELAIS_ATTRIBUTION_MODEL", "middle"),
    ],
)
@pytest.mark.parametrize("command", ["demo", "run"])
def test_malformed_variable_stops_with_one_line(runner, app_config, command, variable, value):
    env = {k: str(v) for k, v in app_config.items() if k.startswith("RELAIS_")}
    env[variable] = value
    result = runner.invoke([command], env=env)
    _one_clear_line(result, variable)


def test_the_real_command_prints_no_traceback(app_config, tmp_path):
    """The installed entry point, in a process of its own, with an unreachable database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env.update(
        RELAIS_INSTANCE_PATH=str(tmp_path / "instance"),
        RELAIS_DATABASE_URL="postgresql://nobody@127.0.0.1:1/x",
        RELAIS_SECRET_KEY="x" * 32,
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert result.stderr.startswith("Error: RELAIS_DATABASE_URL")


def test_import_staff_dry_run_prints_each_change_and_flags_role_removals(
    runner, session, dsi, make_user, tmp_path
):
    make_user("recruiter", email="rh@region.example", first_name="Rose", last_name="Blanc")
    path = tmp_path / "annuaire.csv"
    path.write_text(
        "email;first_name;last_name;roles\nrh@region.example;Rose;Blanc;\n", encoding="utf-8"
    )
    dry = runner.invoke(["import-staff", "--dry-run", str(path)])
    assert dry.exit_code == 0, dry.output
    assert "update rh@region.example (Rose Blanc): ROLES REMOVED: recruiter" in dry.output
    assert "1 account(s) would lose roles" in dry.output
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "rh@region.example")).has_role(
        "recruiter"
    )
