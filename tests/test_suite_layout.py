"""The test suite's own rules (issue 19): no test module imports another (shared helpers live in
conftest.py or a helper module), and `make test` prints the slowest tests."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def imported_modules(path: Path) -> set[str]:
    """The top-level names of every module `path` imports (`import a.b`, `from a.b import c`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_test_module_imports_another() -> None:
    test_modules = {path.stem for path in TESTS.rglob("test_*.py")}
    offenders = {
        path.name: sorted(imported_modules(path) & test_modules)
        for path in sorted(TESTS.rglob("*.py"))
        if imported_modules(path) & test_modules
    }
    assert offenders == {}


def test_make_test_prints_the_ten_slowest_tests() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    default = re.search(r"^PYTEST_ARGS \?=(.*)$", makefile, re.MULTILINE)
    assert default is not None and "--durations=10" in default.group(1).split()
