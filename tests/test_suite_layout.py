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


MAX_MODULE_LINES = 400
PACKAGES = ("cleaner", "storage", "crawler", "benchmarks")


def package_modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (REPO / package).rglob("*.py"))


def test_no_module_is_longer_than_about_400_lines() -> None:
    """A module holds one concern: past some 400 lines it holds several (issue 19). Test and
    helper modules too."""
    long_modules = {
        str(path.relative_to(REPO)): lines
        for path in [*package_modules(), *TESTS.rglob("*.py")]
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long_modules == {}


def private_imports(path: Path) -> list[str]:
    """Private names (`_name`) of the project's packages that `path` uses: imported
    (`from a.b import _c`) or reached through what it imported (`from a import b`, then `b._c`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found, imported = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            found += [f"{node.module}.{alias.name}" for alias in node.names if alias.name.startswith("_")]
            imported |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            ours = [alias for alias in node.names if alias.name.split(".")[0] in PACKAGES]
            imported |= {alias.asname or alias.name for alias in ours}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and ast.unparse(node.value) in imported:
            found.append(ast.unparse(node))
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_benchmarks_use_public_names_only() -> None:
    """A benchmark measures what the code offers: a private name may change under it unseen."""
    benchmarks = sorted((REPO / "benchmarks").glob("*.py"))
    offenders = {path.name: names for path in benchmarks if (names := private_imports(path))}
    assert offenders == {}


def test_benchmarks_and_tests_leave_sys_path_alone() -> None:
    """Benchmarks run as `python -m benchmarks.NAME` from the repository; tests import shared input
    from a benchmarks module (benchmarks/hostile_input.py), never from another test file."""
    editing = sorted(
        str(path.relative_to(REPO))
        for path in [*(REPO / "benchmarks").glob("*.py"), *TESTS.rglob("*.py")]
        if edits_sys_path(path)
    )
    assert editing == []


def edits_sys_path(path: Path) -> bool:
    """`path` calls a method of `sys.path` (insert, append, extend...)."""
    return any(
        isinstance(node, ast.Call) and ast.unparse(node.func).startswith("sys.path.")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    )


