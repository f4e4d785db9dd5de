"""The layers of DESIGN.md, enforced: web → referral → matching, no Flask in referral."""

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
