"""mypy on matching/ and referral/: no error beyond the baseline, and the baseline only shrinks.

``tests/mypy_baseline.txt`` lists the errors known today (file, message and code, without line
numbers, which move). A new error fails; so does a baseline entry that no longer occurs: delete
its line, so that it cannot come back unnoticed. Regenerate with
``python tests/test_types.py > tests/mypy_baseline.txt`` only to remove lines.
"""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = Path(__file__).with_name("mypy_baseline.txt")
LINE = re.compile(r"^(?P<path>[^:]+):\d+: error: (?P<message>.*)$")


def current_errors() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr or result.stdout
    errors = []
    for line in result.stdout.splitlines():
        match = LINE.match(line)
        if match:
            errors.append(f"{match['path']}: {match['message']}")
    return sorted(errors)


def test_no_type_error_beyond_the_baseline_and_the_baseline_only_shrinks():
    baseline = Counter(line for line in BASELINE.read_text().splitlines() if line.strip())
    current = Counter(current_errors())
    new = current - baseline
    fixed = baseline - current
    assert not new, "new type errors:\n" + "\n".join(sorted(new.elements()))
    assert not fixed, "fixed, delete from tests/mypy_baseline.txt:\n" + "\n".join(
        sorted(fixed.elements())
    )


def test_the_line_parser_reads_mypy_errors():
    match = LINE.match("referral/x.py:12: error: Bad thing  [operator]")
    assert match and match["path"] == "referral/x.py"
    assert LINE.match("referral/x.py:12: note: a note") is None


if __name__ == "__main__":
    print("\n".join(current_errors()))
