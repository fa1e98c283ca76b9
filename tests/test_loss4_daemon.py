"""A run the daemon died in is run again when the daemon restarts (crawler/daemon.py, schedules.py).

APScheduler moves a job's next run to its next slot when it starts the run. A daemon killed during
a run (kill -9, the OOM killer, a power cut), or between recording the run and starting the crawl,
left that run "running"; the next daemon marked it interrupted and waited for the next slot: a
daily source went two days between reads, its feed free to scroll off meanwhile. Old code: the
source was not crawled at start (0 of 1 articles within the deadline); now its run starts at once.
A run a stopped daemon interrupted (SIGTERM) still waits for its slot (tests/test_daemon.py).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import COMMAND_DEADLINE, FAST, REPO, WIREDESK, one_source
from feedsite import FEED, FeedSite
from sqlalchemy import func, select

from crawler.schedules import make_scheduler, trigger_for
from storage import make_engine
from storage.models import Article
from storage.runs import list_runs, start_run
from storage.schema import upgrade

SCHEDULE = "every 1d"


def _died_during_a_run(db_url: str) -> None:
    """The database as a daemon killed during a run of `portal` leaves it."""
    engine = make_engine(db_url)
    upgrade(engine)
    scheduler = make_scheduler(db_url)
    scheduler.start(paused=True)
    scheduler.add_job(
        "crawler.daemon:run_source",
        trigger_for(SCHEDULE),
        id="crawl:portal",
        kwargs={"name": "portal", "config": {}},
        next_run_time=datetime.now(UTC) + timedelta(days=1),  # moved on when the run began
    )
    scheduler.shutdown()
    start_run(engine, "portal")
    engine.dispose()


def _ended_runs(log: Path) -> list[dict[str, object]]:
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [event for event in events if event["event"] == "run_end"]


def test_a_run_the_daemon_died_in_runs_again_at_start(tmp_path: Path) -> None:
    db_url, log = f"sqlite:///{tmp_path / 'corpus.db'}", tmp_path / "daemon.log"
    _died_during_a_run(db_url)
    with FeedSite("127.0.0.63") as site:
        site.article(4401)
        site.feed((4401, "2026-12-03T08:00:00Z"))
        args = one_source(tmp_path / "sources.toml", [site.url(FEED)], f'schedule = "{SCHEDULE}"')
        command = [WIREDESK, "daemon", *args, "--db", db_url, "--log-format", "json", "--grace", "10", *FAST]
        daemon = subprocess.Popen(command, cwd=REPO, stderr=log.open("w"))
        try:
            deadline = time.monotonic() + 180  # a crawl of one page, on a loaded machine
            while not _ended_runs(log) and daemon.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=COMMAND_DEADLINE) == 0
    assert [(run["source"], run["outcome"]) for run in _ended_runs(log)] == [("portal", "finished")]
    engine = make_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Article)).scalar_one() == 1
    assert [run.outcome for run in list_runs(engine)] == ["finished", "interrupted"]
