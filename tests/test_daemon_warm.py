"""The daemon's warm crawl process: kept across runs, restarted when it dies, its runs recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import COMMAND_DEADLINE, FAST, REPO, WIREDESK, run_wiredesk

from crawler.daemonconfig import DaemonConfig
from crawler.newsroom import Newsroom
from crawler.warmclient import WarmCrawler


def _events(log: Path, event: str) -> list[dict[str, object]]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [
        e for e in map(json.loads, (line for line in lines if line.startswith("{"))) if e["event"] == event
    ]


def _wait(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def _children(pid: int) -> set[int]:
    """The process's descendants: its children (the cleaning workers' template, multiprocessing's
    resource tracker) and theirs (the cleaning workers, crawler/forkserver.py)."""
    children = {
        int(child)
        for task in Path(f"/proc/{pid}/task").glob("*/children")
        for child in task.read_text().split()
    }
    return children.union(*map(_children, children))


def _daemon(tmp_path: Path, sources: Path, *names: str) -> subprocess.Popen[bytes]:
    command = [
        WIREDESK,
        "daemon",
        *names,
        "--sources",
        str(sources),
        "--db",
        f"sqlite:///{tmp_path / 'c.db'}",
    ]
    command += ["--log-format", "json", "--grace", "10", *FAST, "-s", "WIREDESK_CLEAN_WORKERS=1"]
    return subprocess.Popen(command, cwd=REPO, stderr=(tmp_path / "d.log").open("w"))


def _finished_runs(log: Path, source: str) -> int:
    return sum(1 for e in _events(log, "run_end") if e["source"] == source and e["outcome"] == "finished")


def test_one_crawl_process_and_its_cleaning_worker_serve_every_run(tmp_path: Path) -> None:
    sources, log = tmp_path / "sources.toml", tmp_path / "d.log"
    with Newsroom() as newsroom:
        sources.write_text(
            newsroom.sources_toml().replace("[sources.portal]", '[sources.portal]\nschedule = "every 1s"')
        )
        daemon = _daemon(tmp_path, sources, "portal")
        try:
            _wait(lambda: _finished_runs(log, "portal") >= 2, 120, "two runs")
            (started,) = _events(log, "crawl_process_start")
            workers = _children(int(started["pid"]))  # type: ignore[call-overload]
            runs = _finished_runs(log, "portal")
            _wait(lambda: _finished_runs(log, "portal") >= runs + 2, 120, "two more runs")
            # The cleaning worker (and multiprocessing's resource tracker): the same processes.
            assert workers and _children(int(started["pid"])) == workers  # type: ignore[call-overload]
            assert len(_events(log, "crawl_process_start")) == 1, "each run started a new crawl process"
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=COMMAND_DEADLINE) == 0
    assert _events(log, "daemon_stop")


def test_a_crawl_process_that_dies_fails_its_run_and_the_next_run_gets_a_new_one(tmp_path: Path) -> None:
    sources, log = tmp_path / "sources.toml", tmp_path / "d.log"
    # Bulk pages at 0.5 s each: still being crawled when its process is killed.
    with Newsroom(bulk_articles=400, bulk_delay=0.5) as newsroom:
        toml = newsroom.sources_toml().replace("[sources.portal]", '[sources.portal]\nschedule = "every 2s"')
        sources.write_text(toml.replace("[sources.bulk]", '[sources.bulk]\nschedule = "every 1h"'))
        daemon = _daemon(tmp_path, sources, "portal", "bulk")
        try:
            _wait(lambda: any(site == "bulk" for site, _ in newsroom.requests), 120, "the bulk crawl")
            (first,) = _events(log, "crawl_process_start")
            os.kill(int(first["pid"]), signal.SIGKILL)  # type: ignore[call-overload]
            _wait(lambda: len(_events(log, "crawl_process_start")) == 2, 60, "a new crawl process")
            runs = _finished_runs(log, "portal")
            _wait(lambda: _finished_runs(log, "portal") > runs, 120, "a portal run in the new process")
            assert daemon.poll() is None, "the daemon died with its crawl process"
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=COMMAND_DEADLINE) == 0
    (bulk,) = [e for e in _events(log, "run_end") if e["source"] == "bulk"]
    assert bulk["outcome"] == "failed"
    runs = json.loads(
        run_wiredesk("runs", "--db", f"sqlite:///{tmp_path / 'c.db'}", "--format", "json").stdout
    )
    (recorded,) = [run for run in runs if run["source"] == "bulk"]
    assert "the crawl process died (killed by signal 9)" in recorded["message"]


def test_a_run_that_fetches_nothing_is_failed_with_why(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[sources.gone]\nstart_urls = ["http://127.0.0.9:9/rss.xml"]\n')
    result = run_wiredesk(
        "daemon", "gone", "--once", "--sources", str(sources), "--db", f"sqlite:///{tmp_path / 'c.db'}",
        *FAST, check=False, timeout=COMMAND_DEADLINE,
    )  # fmt: skip
    assert result.returncode == 1
    (run,) = json.loads(
        run_wiredesk("runs", "--db", f"sqlite:///{tmp_path / 'c.db'}", "--format", "json").stdout
    )
    assert run["outcome"] == "failed" and "nothing could be fetched" in run["message"]


@pytest.mark.slow
def test_the_crawl_process_is_replaced_after_its_share_of_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources.toml"
    with Newsroom() as newsroom:
        sources.write_text(newsroom.sources_toml())
        config = DaemonConfig(f"sqlite:///{tmp_path / 'c.db'}", str(sources), overrides=FAST[1::2])
        warm = WarmCrawler(config, recycle_after=2)
        try:
            replies = [warm.crawl(run, "portal").result(timeout=COMMAND_DEADLINE) for run in (1, 2, 3)]
        finally:
            warm.shutdown(10)
    assert [reply["figures"]["finish_reason"] for reply in replies] == ["finished"] * 3
    assert capsys.readouterr().err.count("crawl_process_start") == 2
