"""Shared fixtures: the loopback newsroom, database URLs for SQLite and PostgreSQL, Redis prefixes.

PostgreSQL is found through $WIREDESK_TEST_PG (default: the local server on 127.0.0.1:5432). Each
test gets its own schema there, named in the URL, so tests and the subprocesses they start never see
each other's rows. When the server cannot be reached the PostgreSQL cases skip with the reason,
except under CI=true, where they fail: CI must not pass by skipping. Redis ($WIREDESK_TEST_REDIS)
likewise; each test gets its own key prefix.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from forkedrun import FORKED, ForkedProcess, can_fork, run_forked
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from crawler.newsroom import Newsroom
from storage import make_engine
from storage.schema import upgrade

PG_URL = os.environ.get("WIREDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("WIREDESK_TEST_REDIS", "redis://127.0.0.1:6379/0")
REPO = Path(__file__).resolve().parent.parent
WIREDESK = str(Path(sys.executable).parent / "wiredesk")
# Loopback crawls need no politeness delay; everything else stays as shipped.
LOOPBACK = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=10"]
FAST = [*LOOPBACK, "-s", "WIREDESK_CLEAN_WORKERS=1"]
"""The settings of a test crawl: LOOPBACK, and one cleaning worker instead of the shipped one per CPU.

The suite's cost is CPU (docs/testing.md), and a crawl's second worker is one more process forked
for a dozen pages. A test whose claim is about several workers (tests/test_faults_hostile.py, the
pool's own tests) sets its number, and the end-to-end crawl of the whole newsroom
(tests/test_crawl_end_to_end.py) runs on the shipped default (LOOPBACK only). A later `-s` of the
same name wins, so a test may still ask for another number after FAST.
"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `slow` first, in their order, the rest after in theirs.

    `make test` (`--dist loadgroup`) hands tests out one at a time, or one `xdist_group` at a time
    (tests sharing a module-scoped crawl), to whichever of its three processes runs short, so the
    slow ones (half a minute each on a quiet machine) start at once, side by side, and the hundreds
    of short ones fill the gaps; in file order, one started last kept the suite waiting on one
    process while the other two had nothing left to do.

    A crawl that a group shares is a session-scoped fixture of its module, set up once per process:
    a module-scoped one is torn down whenever the process runs another module's test between two
    of the group's, which this order makes likely, and the next one crawls again (docs/testing.md).
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if getattr(config.option, "loadgroup", False):
        _name_groups(items)


def _name_groups(items: list[pytest.Item]) -> None:
    """In a worker of `--dist loadgroup`, end each grouped test's id with `@group`, as
    pytest-xdist means to: the scheduler sends the tests of one suffix to one worker.

    pytest-xdist 3.8 sets `item._nodeid`, which pytest 9 no longer reads (the id is `item._id`), so
    every `xdist_group` was split over the workers and each of them crawled the group's corpus
    again (docs/testing.md). This hook does what xdist's no longer does, on pytest's own field.
    """
    from _pytest.nodeid import NodeId

    for item in items:
        groups = sorted({str(mark.args[0]) for mark in item.iter_markers("xdist_group") if mark.args})
        if groups and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


def _cpu_seconds() -> float:
    """CPU time of this process and of its children reaped so far (crawls, workers, daemons)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[object]:
    """With $WIREDESK_TEST_CPU set to a file, append each test's CPU seconds (its own and its
    children's, set-up and tear-down included) and wall seconds: the suite's cost is CPU, and on a
    shared machine wall time mostly measures the neighbours (docs/testing.md)."""
    record = os.environ.get("WIREDESK_TEST_CPU")
    cpu, wall = _cpu_seconds(), time.monotonic()
    result = yield
    if record:
        line = {"test": item.nodeid, "cpu": _cpu_seconds() - cpu, "wall": time.monotonic() - wall}
        with open(record, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
    return result


def _pg_unreachable_reason() -> str | None:
    try:
        engine = create_engine(PG_URL)
        with engine.connect():
            pass
        engine.dispose()
    except OperationalError as error:
        first_line = str(error.orig).strip().splitlines()[0]
        return f"PostgreSQL at {PG_URL} unreachable ({first_line}); set WIREDESK_TEST_PG"
    return None


@pytest.fixture(scope="session")
def pg_available() -> None:
    """Skip (or, under CI=true, fail) when PostgreSQL is not reachable."""
    reason = _pg_unreachable_reason()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def pg_url(pg_available: None) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    schema = f"wd_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


Outage = tuple[str, Callable[[], None], Callable[[], None]]
"""A corpus's URL, what takes its database away, and what brings it back."""


@pytest.fixture
def pg_outage(pg_available: None) -> Iterator[Outage]:
    """A migrated PostgreSQL database of this test's own, away while closed to connections and its
    connections terminated (what a restart does to a crawl); dropped after the test."""
    name = f"wd_loss_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")

    def allow(allowed: bool) -> None:
        with admin.connect() as connection:
            connection.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {str(allowed).lower()}"))
            if not allowed:
                connection.execute(
                    text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
                )

    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    migrating = make_engine(url)
    upgrade(migrating)
    migrating.dispose()
    yield url, lambda: allow(False), lambda: allow(True)
    allow(False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name}"))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'corpus.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'corpus.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def newsroom() -> Iterator[Newsroom]:
    with Newsroom() as running:
        yield running


@pytest.fixture
def sources_file(newsroom: Newsroom, tmp_path: Path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(newsroom.sources_toml(), encoding="utf-8")
    return path


# Commands that start no Twisted reactor and install no signal handler of their own: run_wiredesk
# runs them in the test's process (click's CliRunner), saving each the 1-3 s a new interpreter
# spends importing. Crawls, imports, daemons and workers get a real process.
IN_PROCESS = frozenset(
    {"sql", "search", "export", "runs", "status", "sources", "clean", "page", "db", "reclean", "replay"}
)


# A hang guard, not a speed check: a crawl that takes 20 s alone took over 120 s with load average 22
# on this 2-core machine, so the guard is far above what a slow machine needs.
COMMAND_DEADLINE = 600.0


def run_wiredesk(
    *args: str, check: bool = True, timeout: float = COMMAND_DEADLINE, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run the `wiredesk` command from the repository root: in a subprocess, or in this process when
    it starts no reactor (IN_PROCESS) and needs no environment or directory of its own."""
    if args and args[0] in IN_PROCESS and not kwargs:
        result = _run_in_process(list(args))
    elif args and args[0] in FORKED and not kwargs and can_fork(args):
        result = run_forked(WIREDESK, list(args), REPO, timeout)
    else:
        result = subprocess.run(
            [WIREDESK, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=kwargs.pop("cwd", REPO),
            **kwargs,
        )
    if check and result.returncode != 0:
        raise AssertionError(
            f"wiredesk {' '.join(args)} exited {result.returncode}:\n{result.stderr}\n{result.stdout}"
        )
    return result


Started = subprocess.Popen[str] | ForkedProcess
"""A `wiredesk` command running beside the test (start_wiredesk)."""


def start_wiredesk(
    *args: str, stdout: Any = None, stderr: Any = None, start_new_session: bool = False
) -> Started:
    """Start `wiredesk ARGS` from the repository root, beside the test: forked from this process
    (tests/forkedrun.py: a crawl without the seconds of a new interpreter's imports) where it can
    be, else a new process. stderr=subprocess.PIPE is read as text. For tests whose claim is about
    the command's work, not about the start of a new interpreter (those start `WIREDESK` themselves)."""
    if can_fork(args):
        return ForkedProcess(WIREDESK, list(args), REPO, stdout, stderr, start_new_session)
    return subprocess.Popen(
        [WIREDESK, *args],
        cwd=REPO,
        stdout=stdout,
        stderr=stderr,
        text=True,
        start_new_session=start_new_session,
    )


def one_source(path: Path, start_urls: list[str], options: str = "") -> list[str]:
    """Write a sources file of one source, `portal`, that starts from these URLs (and has the TOML
    lines `options`): the arguments that crawl it."""
    urls = ", ".join(f'"{url}"' for url in start_urls)
    path.write_text(f"[sources.portal]\nstart_urls = [{urls}]\n{options}", encoding="utf-8")
    return ["portal", "--sources", str(path)]


def crawl_report(db_url: str, report: Path, *args: str) -> dict[str, Any]:
    """Run `wiredesk crawl ARGS` into `db_url` at loopback speed (FAST): the figures of its --report."""
    run_wiredesk("crawl", *args, "--db", db_url, "--report", str(report), *FAST)
    return dict(json.loads(report.read_text(encoding="utf-8")))


def _run_in_process(args: list[str]) -> subprocess.CompletedProcess[str]:
    """What the process would have given: exit status, stdout, stderr (a bug's traceback included)."""
    from click.testing import CliRunner

    from crawler.cli import cli

    result = CliRunner().invoke(cli, args, prog_name="wiredesk")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        stderr += "".join(traceback.format_exception(*result.exc_info))
    stdout = result.stdout_bytes.decode("utf-8", "replace")
    return subprocess.CompletedProcess([WIREDESK, *args], result.exit_code, stdout, stderr)


def column_values(db: str | Path, sql: str, missing_ok: bool = False) -> list[Any]:
    """The first column of `sql`'s rows in the corpus at `db` (a database URL, or a SQLite file).

    `missing_ok`: no rows, rather than an error, while the database or its tables do not exist yet
    (a test polling a crawl that is still starting, or one killed before it migrated).
    """
    url = db if isinstance(db, str) else f"sqlite:///{db}"
    waits = {"timeout": 30} if url.startswith("sqlite") else {}
    engine = create_engine(url, poolclass=NullPool, connect_args=waits)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)).scalars())
    except DBAPIError:
        if missing_ok:
            return []
        raise
    finally:
        engine.dispose()


def row_count(db: str | Path, table: str, missing_ok: bool = False) -> int:
    """How many rows `table` holds (0 while it does not exist, with `missing_ok`)."""
    counted = column_values(db, f"SELECT count(*) FROM {table}", missing_ok)
    return int(counted[0]) if counted else 0


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of the test's own; skip (fail under CI=true) when Redis is unreachable."""
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.RedisError as error:
        reason = f"Redis at {REDIS_URL} unreachable ({error}); set WIREDESK_TEST_REDIS"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    prefix = f"wiredesk-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)


def expire_heartbeat(prefix: str, pid: int) -> None:
    """Make a killed worker's heartbeat key expire now: it would by itself within ALIVE_TTL_SECONDS
    (checked: it carries such a time to live), and what a test is about begins after that."""
    from crawler.distributed import ALIVE_TTL_SECONDS

    server = redis.Redis.from_url(REDIS_URL)
    for alive in server.keys(f"{prefix}:alive:*:{pid}:*"):
        left = server.pttl(alive)
        if left != -2:  # -2: it has just expired
            assert 0 < left <= ALIVE_TTL_SECONDS * 1000, f"{alive!r} would never expire ({left})"
            server.pexpire(alive, 1)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test's database (each backend of `db_url`), migrated to the head."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()
