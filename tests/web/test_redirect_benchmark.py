"""``benchmarks/redirect.py`` in miniature: both servers start, every request sent is a visit
recorded, with each load generator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "load",
    [
        "python",
        pytest.param(
            "wrk", marks=pytest.mark.skipif(not shutil.which("wrk"), reason="wrk not installed")
        ),
    ],
)
def test_the_redirect_benchmark_loses_no_visit(load):
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "redirect.py"),
        "--json",
        "--duration",
        "1",
        "--rounds",
        "1",
        "--warmup",
        "0.5",
        "--connections",
        "4",
    ]
    if load == "python":
        command.append("--python-load")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    out = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(result) == {
        "tracked_rps",
        "bare_rps",
        "ratio",
        "p50_ms",
        "p99_ms",
        "requests",
        "visits_recorded",
    }
    assert result["requests"] > 0 and result["visits_recorded"] == result["requests"]
    assert result["tracked_rps"] > 0 and result["bare_rps"] > 0
