"""Hygiene that `make test` checks: ruff's linter and formatter, and the doctests.

The rules are in pyproject.toml ([tool.ruff.lint]); the notebooks' code cells are checked
for real errors only (undefined and unused names, syntax). To fix what these tests report:
`.venv/bin/ruff check --fix PATH` and `.venv/bin/ruff format PATH` (notebooks:
`tools/nbformat_course.py`, which also turns nbval markers into tags).
"""

import doctest
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils

ROOT = Path(__file__).resolve().parent.parent
#: Everything Python in the course: the package, the tools, the tests, the lessons' code.
PATHS = ["course_utils", "tools", "tests", "conftest.py", "notebooks"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", *PATHS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ruff_check_finds_nothing():
    done = ruff("check", "--output-format", "concise")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_would_change_nothing():
    done = ruff("format", "--check")
    assert done.returncode == 0, (
        "run `.venv/bin/ruff format` on these (notebooks: tools/nbformat_course.py):\n"
        + done.stdout
        + done.stderr
    )


MODULES = sorted(
    f"course_utils.{m.name}" for m in pkgutil.iter_modules(course_utils.__path__)
)


@pytest.mark.parametrize("name", ["course_utils", *MODULES])
def test_doctests_pass(name, capsys):
    """Every ``>>>`` example in course_utils runs and prints what its docstring shows."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    report = capsys.readouterr().out
    assert result.failed == 0, report
