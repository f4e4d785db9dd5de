"""Views end their transaction through the unit of work, never on the session themselves.

A view parses the request and calls one use case inside ``with transaction() as uow``, which
commits or rolls back through the unit of work, so that the hooks of that outcome run (files of an
erasure removed after the commit, a CV file removed after a rollback). This checks that no view
ends a session's transaction; tests/test_architecture.py checks the stricter rule that no view
calls ``commit``/``rollback`` at all, not even on the unit of work.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VIEWS = Path(__file__).resolve().parents[2] / "web" / "views"
ON_THE_UNIT_OF_WORK = (
    "agent",
    "apply",
    "inbox",
    "interviews",
    "linkedin",
    "manager",
    "offers",
    "public",
    "recruiter",
    "referrals",
    "share",
    "status",
)


def transaction_calls(source: str) -> list[tuple[int, str]]:
    """``x.commit()`` / ``x.rollback()`` calls whose receiver is not the name ``uow``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("commit", "rollback")
            and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "uow")
        ):
            found.append((node.lineno, ast.unparse(node)))
    return found


@pytest.mark.parametrize("module", ON_THE_UNIT_OF_WORK)
def test_the_view_module_commits_only_through_the_unit_of_work(module):
    assert transaction_calls((VIEWS / f"{module}.py").read_text()) == []


def test_the_check_sees_a_session_commit():
    source = "def view():\n    db().commit()\n    session.rollback()\n    uow.commit()\n"
    assert transaction_calls(source) == [(2, "db().commit()"), (3, "session.rollback()")]
