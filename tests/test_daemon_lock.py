"""One daemon per database: the lock itself, and real daemons in subprocesses, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import COMMAND_DEADLINE, FAST, PG_URL, REPO, WIREDESK
from sqlalchemy import create_engine, text, update

from crawler.newsroom import Newsroom
from storage import make_engine
from storage.daemonlock import STALE_SECONDS, DaemonLock
from storage.models import DaemonLock as LockRow
from storage.runs import list_runs
from storage.schema import upgrade


def _lock(db_url: str) -> DaemonLock:
    engine = make_engine(db_url)
    upgrade(engine)
    return DaemonLock(engine)


def test_a_second_lock_is_refused_and_told_who_holds_it(db_url: str) -> None:
    first, second = _lock(db_url), _lock(db_url)
    assert first.acquire()
    assert not second.acquire()
    holder = second.holder()
    assert holder is not None and holder.pid == os.getpid() and holder.host == socket.gethostname()
    assert f"pid {os.getpid()}" in holder.describe() and "since" in holder.describe()
    assert first.heartbeat()
    first.release()
    assert second.acquire()
    second.release()


def test_sqlite_takes_over_a_lock_whose_heartbeat_stopped(sqlite_url: str) -> None:
    first, second = _lock(sqlite_url), _lock(sqlite_url)
    assert first.acquire()
    long_ago = datetime.now(UTC) - timedelta(seconds=STALE_SECONDS + 5)
    with first.engine.begin() as connection:
        connection.execute(update(LockRow).values(heartbeat_at=long_ago))
    assert second.acquire()
    assert not first.heartbeat(), "the first daemon must learn that its lock was taken over"


def test_sqlite_takes_over_the_lock_of_a_dead_process_on_this_host_sooner(sqlite_url: str) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    first, second = _lock(sqlite_url), _lock(sqlite_url)
    assert first.acquire()
    with first.engine.begin() as connection:
        connection.execute(
            update(LockRow).values(
                pid=int(dead.stdout), heartbeat_at=datetime.now(UTC) - timedelta(seconds=STALE_SECONDS / 3)
            )
        )
    assert second.acquire()


def test_postgresql_releases_the_lock_with_its_holders_connection(pg_url: str) -> None:
    first, second = _lock(pg_url), _lock(pg_url)
    assert first.acquire()
    assert not second.acquire()
    assert first._session is not None
    backend = first._session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        # With a timeout, pg_terminate_backend waits until the backend is gone (and its locks with it).
        connection.execute(text("SELECT pg_terminate_backend(:pid, 60000)"), {"pid": backend})
    admin.dispose()
    assert second.acquire()
    assert not first.heartbeat(), "the first daemon must learn that its lock is gone"
    second.release()


def test_the_lock_is_per_schema_on_postgresql(pg_url: str) -> None:
    """Two corpora in two schemas of one database have a daemon each."""
    schema = f"wd_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        mine, theirs = _lock(pg_url), _lock(f"{PG_URL}?options=-csearch_path%3D{schema}")
        assert mine.acquire() and theirs.acquire()
        mine.release()
        theirs.release()
        theirs.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


# --- real daemons ---------------------------------------------------------------------------------


def _wait(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def _events(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def _has_event(log: Path, event: str) -> Callable[[], bool]:
    return lambda: log.exists() and any(e["event"] == event for e in _events(log))


def test_one_daemon_per_database(db_url: str, tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    # Bulk pages at 0.5 s each: the first daemon's crawl is still running while the others start.
    with Newsroom(bulk_articles=400, bulk_delay=0.5) as newsroom:
        sources.write_text(
            newsroom.sources_toml().replace("[sources.bulk]", '[sources.bulk]\nschedule = "every 1h"')
        )

        started: list[subprocess.Popen[bytes]] = []

        def daemon(log: str, *extra: str) -> subprocess.Popen[bytes]:
            command = [WIREDESK, "daemon", "bulk", "--sources", str(sources), "--db", db_url]
            command += [
                "--log-format",
                "json",
                "--grace",
                "5",
                *FAST,
                "-s",
                "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            ]
            started.append(subprocess.Popen([*command, *extra], cwd=REPO, stderr=(tmp_path / log).open("w")))
            return started[-1]

        first = daemon("first.log")
        try:
            engine = make_engine(db_url)
            _wait(_has_event(tmp_path / "first.log", "run_start"), COMMAND_DEADLINE, "the first daemon's run")
            _wait(
                lambda: any(r.outcome == "running" for r in list_runs(engine)),
                COMMAND_DEADLINE,
                "a running run",
            )

            second = daemon("second.log")
            assert second.wait(timeout=COMMAND_DEADLINE) == 1
            refusal = (tmp_path / "second.log").read_text()
            assert "another wiredesk daemon runs on this database" in refusal
            assert f"pid {first.pid}" in refusal and socket.gethostname() in refusal and "--wait" in refusal
            assert "Traceback" not in refusal
            assert [r.outcome for r in list_runs(engine)] == ["running"], "the live run was marked"

            third = daemon("third.log", "--wait")
            _wait(
                _has_event(tmp_path / "third.log", "daemon_waiting"),
                COMMAND_DEADLINE,
                "the third daemon to wait",
            )
            assert not _has_event(tmp_path / "third.log", "daemon_start")()
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=COMMAND_DEADLINE) == 0
            _wait(
                _has_event(tmp_path / "third.log", "daemon_start"),
                COMMAND_DEADLINE,
                "the third daemon to take over",
            )
            third.send_signal(signal.SIGTERM)
            assert third.wait(timeout=COMMAND_DEADLINE) == 0
        finally:
            for process in started:
                if process.poll() is None:
                    process.kill()
                    process.wait()
    outcomes = [r.outcome for r in list_runs(engine)]
    assert "running" not in outcomes and outcomes.count("interrupted") >= 1
    engine.dispose()
