"""Every command meets a broken database with one line that says what to do, a non-zero exit, no
traceback and no password: a damaged SQLite file, a read-only one, a PostgreSQL login refused."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import COMMAND_DEADLINE, REPO
from faultsite import SLOW_RULES, slow_to_clean
from scrapy.logformatter import LogFormatter

from crawler.cli import cli
from crawler.items import ArticlePage
from storage import make_engine
from storage.schema import upgrade

# Every command that opens the corpus, with the arguments it needs besides --db.
COMMANDS = {
    "status": ["status"],
    "runs": ["runs"],
    "export": ["export", "-o", "{tmp}/out.jsonl"],
    "crawl": ["crawl", "--url", "http://127.0.0.2:9/news/story-that-is-never-fetched"],
    "sql": ["sql", "SELECT count(*) FROM articles"],
    "search": ["search", "harbour"],
    "replay": ["replay", "--spool", "{tmp}/spool"],
    "db upgrade": ["db", "upgrade"],
}
PASSWORD = "s3cret-pw"


def _args(command: str, tmp_path: Path, db_url: str) -> list[str]:
    return [arg.format(tmp=tmp_path) for arg in COMMANDS[command]] + ["--db", db_url]


def _assert_one_line(exit_code: int, stderr: str, stdout: str, says: str) -> None:
    assert exit_code == 1, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    assert says in lines[0], lines[0]
    assert "Traceback" not in stderr + stdout and PASSWORD not in stderr + stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_a_damaged_sqlite_file(command: str, tmp_path: Path) -> None:
    damaged = tmp_path / "corpus.db"
    damaged.write_bytes(b"not a database, whatever its name says\n" * 200)
    result = CliRunner().invoke(cli, _args(command, tmp_path, f"sqlite:///{damaged}"))
    assert isinstance(result.exception, SystemExit), result.exception
    _assert_one_line(
        result.exit_code, result.stderr, result.stdout, "is not a SQLite database, or is damaged"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_postgresql_refuses_the_login(command: str, tmp_path: Path, pg_available: None) -> None:
    url = f"postgresql+psycopg://no_such_wiredesk_role:{PASSWORD}@127.0.0.1:5432/test"
    result = CliRunner().invoke(cli, _args(command, tmp_path, url))
    assert isinstance(result.exception, SystemExit), result.exception
    _assert_one_line(result.exit_code, result.stderr, result.stdout, "cannot log in to")
    assert "no_such_wiredesk_role:***@" in result.stderr


@pytest.fixture(scope="session")
def read_only_corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A corpus whose file and directory are read-only; writable again after the tests.

    SQLite needs to write beside even a read-only WAL database (its -shm index), so reading
    commands fail too, and must say so in one line.
    """
    directory = tmp_path_factory.mktemp("readonly")
    engine = make_engine(f"sqlite:///{directory / 'corpus.db'}")
    upgrade(engine)
    engine.dispose()  # closed, as a copied or archived corpus is: no -wal or -shm file beside it
    (directory / "corpus.db").chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    directory.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    yield directory / "corpus.db"
    directory.chmod(stat.S_IRWXU)
    (directory / "corpus.db").chmod(stat.S_IRUSR | stat.S_IWUSR)


def _unprivileged() -> list[str]:
    """A prefix that makes root honour file permissions (without CAP_DAC_OVERRIDE), as users do."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, and setpriv (util-linux) is missing to drop CAP_DAC_OVERRIDE")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]


# Runs each command line of argv[1] (JSON) through CliRunner; prints {name: [status, stdout, stderr]}.
_EACH_COMMAND = """
import json, sys, traceback
from click.testing import CliRunner
from crawler.cli import cli
results = {}
for name, args in json.loads(sys.argv[1]).items():
    result = CliRunner().invoke(cli, args)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info))
    results[name] = [result.exit_code, result.stdout, stderr]
print(json.dumps(results))
"""


@pytest.fixture(scope="session")
def read_only_results(read_only_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    """Every command on the read-only corpus, in one unprivileged process (not one each: 1-3 s of
    imports apiece), run as the `wiredesk` command runs them."""
    tmp_path = tmp_path_factory.mktemp("commands")
    commands = {name: _args(name, tmp_path, f"sqlite:///{read_only_corpus}") for name in COMMANDS}
    result = subprocess.run(
        [*_unprivileged(), sys.executable, "-c", _EACH_COMMAND, json.dumps(commands)],
        capture_output=True,
        text=True,
        timeout=COMMAND_DEADLINE,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.xdist_group("read_only_corpus")
def test_a_read_only_sqlite_file(command: str, read_only_results: dict[str, list]) -> None:
    exit_code, stdout, stderr = read_only_results[command]
    _assert_one_line(exit_code, stderr, stdout, "cannot write to")


def test_a_failing_item_is_logged_without_its_body() -> None:
    """Scrapy logs an item that fails in a pipeline by its repr: never the page's megabytes."""
    body = b"<html><body>" + b"<p>page text</p>" * 40_000
    item = ArticlePage.fetched(
        "http://x.example/a",
        "http://x.example/a",
        source="x",
        fetched_at=datetime.now(UTC),
        http_status=200,
        body=body,
    )
    for entry in (
        LogFormatter().item_error(item, ValueError("boom"), None, None),  # type: ignore[arg-type]
        {"msg": "%(item)s", "args": {"item": item}},
    ):
        logged = entry["msg"] % entry["args"]
        assert "http://x.example/a" in logged and len(logged) < 1000


def test_clean_gives_up_at_its_time_limit(tmp_path: Path) -> None:
    page = tmp_path / "slow.html"
    # No page is slow to clean by its own content any more (cleaner/bounds.py and the parse limits):
    # what is left is an operator's per-site rule that backtracks on one of its lines.
    page.write_bytes(slow_to_clean())
    rules = ["--rules", str(SLOW_RULES), "--url", "http://127.0.0.6/news/slow"]
    result = CliRunner().invoke(cli, ["clean", str(page), *rules, "--time-limit", "0.05"])
    _assert_one_line(
        result.exit_code, result.stderr, result.stdout, "gave up: time limit (still cleaning after 0.05 s)"
    )
    env = {"WIREDESK_CLEAN_TIME_LIMIT": "0.05"}
    from_env = CliRunner().invoke(cli, ["clean", str(page), *rules, "--json"], env=env)
    assert from_env.exit_code == 1 and "--time-limit" in from_env.stderr
