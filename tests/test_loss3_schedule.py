"""A scheduled run missed while the daemon was down is run once when it starts, not dropped.

The scheduler's jobs had `coalesce=True` ("missed runs collapse into one") and a misfire grace time
of 600 s: APScheduler drops a run missed by more than its grace time (one warning line), so a
daemon stopped for a deploy or a reboot over a due run skipped it until the next one. A daily
source (`0 6 * * *`) restarted at 06:15 went two days between reads; a news sitemap keeps two days.
Old code: the run missed by 20 minutes was dropped (EVENT_JOB_MISSED); now it runs once.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from conftest import COMMAND_DEADLINE

from crawler.schedules import make_scheduler, trigger_for


def crawl_stand_in(name: str) -> None:
    """The job's function, stored by its import path as the daemon's is."""


def test_a_run_missed_while_the_daemon_was_down_runs_once_at_start(tmp_path: Path) -> None:
    scheduler = make_scheduler(f"sqlite:///{tmp_path / 'corpus.db'}")
    happened: list[int] = []
    done = threading.Event()

    def seen(event: JobEvent) -> None:
        happened.append(event.code)
        done.set()

    scheduler.add_listener(seen, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    due = datetime.now(UTC) - timedelta(minutes=20)  # due while the daemon was stopped
    scheduler.add_job(
        crawl_stand_in,
        trigger_for("every 1d"),
        id="crawl:daily",
        kwargs={"name": "daily"},
        next_run_time=due,
    )
    scheduler.start()
    try:
        assert done.wait(COMMAND_DEADLINE)
    finally:
        scheduler.shutdown(wait=True)
    assert happened[0] == EVENT_JOB_EXECUTED, "the missed run was dropped"
