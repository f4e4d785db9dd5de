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
    contracts = (ROOT / "setup.cfg").read_text().count("[importlinter:contract:")
    assert f"Contracts: {contracts} kept, 0 broken" in result.stdout


# The modules every area uses; the rest of the domain lives in its area's sub-package
# (ARCHITECTURE.md has the map). analytics, training_effect and linkedin_effect are the
# analytics area, on their way into a package of their own.
CROSS_CUTTING = {
    "__init__",
    "models",
    "db",
    "schema",
    "config",
    "errors",
    "messages",
    "i18n",
    "unit_of_work",
    "use_cases",
    "worker",
    "audit",
    "local_calendar",
    "labels",
    "analytics",
    "training_effect",
    "linkedin_effect",
}
AREAS = {"sharing", "offers", "applications", "notifications", "people", "linkedin", "privacy"}


def test_the_domain_is_grouped_by_area():
    referral = ROOT / "referral"
    flat = {p.stem for p in referral.glob("*.py")}
    assert flat <= CROSS_CUTTING, f"place these in an area: {sorted(flat - CROSS_CUTTING)}"
    for area in AREAS:
        assert (referral / area / "__init__.py").is_file(), area
        assert not (referral / f"{area}.py").exists(), f"referral/{area}.py hides the package"


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
