"""The layers of DESIGN.md, enforced: web → referral → matching, no Flask in referral."""

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), str(ROOT / "setup.cfg"), "--no-cache"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken" in result.stdout


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), "check", "--quiet", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def calls_that_end_the_transaction(source: str) -> list[tuple[int, str]]:
    """The ``x.commit(...)`` and ``x.rollback(...)`` calls of a module, whatever ``x`` is."""
    return sorted(
        (node.lineno, ast.unparse(node))
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"commit", "rollback"}
    )


def test_no_view_commits_or_rolls_back():
    """A view runs its use case in ``web.unit_of_work.transaction()``, which commits when the
    block ends and rolls back when a refusal leaves it: a view that decided itself could keep
    half of a refused change, or forget the after-rollback hooks (the CV file of a failed
    application)."""
    views = sorted((ROOT / "web" / "views").rglob("*.py"))
    assert len(views) > 10, "the view modules were not found"
    found = [
        f"{path.relative_to(ROOT)}:{line} {call}"
        for path in views
        for line, call in calls_that_end_the_transaction(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "views that end the transaction themselves:\n" + "\n".join(found)


def test_the_view_check_sees_every_receiver():
    source = (
        "def view():\n"
        "    with unit_of_work() as uow:\n"
        "        uow.commit()\n"
        "    db().rollback()\n"
        "    uow.after_commit(hook)\n"
    )
    assert calls_that_end_the_transaction(source) == [(3, "uow.commit()"), (4, "db().rollback()")]
