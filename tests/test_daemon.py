"""The scheduled daemon: schedules, the run record, and the real daemon in a subprocess."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from conftest import COMMAND_DEADLINE, FAST, REPO, WIREDESK, run_wiredesk

from crawler.newsroom import Newsroom, pages
from crawler.newsroom.stories import FERRY_TALKS, Story
from crawler.schedules import ScheduleError, trigger_for
from storage import make_engine
from storage.runs import RunFigures, abandon_running, finish_run, last_runs, list_runs, start_run
from storage.schema import upgrade


def test_schedules() -> None:
    every = trigger_for("every 90s", jitter=5)
    assert (
        isinstance(every, IntervalTrigger) and every.interval == timedelta(seconds=90) and every.jitter == 5
    )
    assert trigger_for("every 2h").interval == timedelta(hours=2)
    assert isinstance(trigger_for("*/15 6-22 * * mon-fri"), CronTrigger)
    assert trigger_for(None).interval == timedelta(minutes=30)
    with pytest.raises(ScheduleError, match="every 30m"):
        trigger_for("twice a day")


def test_run_record(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    first = start_run(engine, "ap")
    finish_run(engine, first, "finished", RunFigures(fetched=12, new=3, duplicates=2, errors={"dns": 1}))
    second = start_run(engine, "ap")
    start_run(engine, "upi")
    assert abandon_running(engine) == 2
    runs = list_runs(engine, source="ap")
    assert [(r.id, r.outcome) for r in runs] == [(second, "interrupted"), (first, "finished")]
    assert runs[1].pages_fetched == 12 and runs[1].errors == {"dns": 1}
    assert [r.id for r in list_runs(engine, failed=True)] != [] and first not in [
        r.id for r in list_runs(engine, failed=True)
    ]
    assert last_runs(engine)["ap"].id == second


def _counts(db: Path) -> tuple[int, int, int]:
    """Articles, raw pages, revisions; zeros while the daemon's first crawl is still creating the schema."""
    try:
        with sqlite3.connect(db) as connection:
            return connection.execute(
                "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM pages), "
                "(SELECT count(*) FROM revisions)"
            ).fetchone()
    except sqlite3.OperationalError:
        return 0, 0, 0


def _wait(predicate: Callable[[], bool], seconds: float) -> None:
    """Poll until `predicate` holds; the deadline is generous because the machine may be loaded."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"waited {seconds} s in vain"
        time.sleep(0.2)


def _finished_runs(log: Path, source: str) -> int:
    """How many runs of `source` the daemon's JSON log reports finished."""
    return sum(
        1
        for line in log.read_text().splitlines()
        if line.startswith("{")
        and (event := json.loads(line))["event"] == "run_end"
        and event["source"] == source
        and event["outcome"] == "finished"
    )


def test_daemon_runs_on_schedule_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    db, sources = tmp_path / "c.db", tmp_path / "sources.toml"
    command = [
        WIREDESK,
        "daemon",
        "portal",
        "bulk",
        "--sources",
        str(sources),
        "--db",
        f"sqlite:///{db}",
        "--log-format",
        "json",
        "--grace",
        "10",
        *FAST,
        "-s",
        "WIREDESK_STORE_BATCH=2",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    ]
    # 400 bulk pages at 0.5 s each: still being crawled when SIGTERM comes, however slow the machine.
    with Newsroom(bulk_articles=400, bulk_delay=0.5) as newsroom:
        toml = newsroom.sources_toml().replace("[sources.portal]", '[sources.portal]\nschedule = "every 2s"')
        sources.write_text(toml.replace("[sources.bulk]", '[sources.bulk]\nschedule = "every 1h"'), "utf-8")
        daemon = subprocess.Popen(command, cwd=REPO, stderr=(tmp_path / "d1.log").open("w"))
        _wait(lambda: db.exists() and _counts(db)[0] >= 1, 120)
        story = Story(
            "ferry-talks-day-two-follow-up",
            "Ferry talks resume in Gdansk",
            "By Global Wire",
            "AP",
            "",
            "2024-12-06T09:00:00+00:00",
            FERRY_TALKS.paragraphs[::-1],
        )
        path = f"/news/{story.slug}-999.html"
        newsroom.portal.add(path, pages.portal_article(story, newsroom.portal.url(path)))
        feed = newsroom.portal.routes["/atom.xml"]
        feed.body = feed.body.replace(
            b"</feed>", f"<entry><link href='{newsroom.portal.url(path)}'/></entry></feed>".encode()
        )
        _wait(lambda: any(p == path for _, p in newsroom.requests), 120)
        finished = _finished_runs(tmp_path / "d1.log", "portal")
        _wait(lambda: _finished_runs(tmp_path / "d1.log", "portal") > finished, 120)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=COMMAND_DEADLINE) == 0
        articles, raw_pages, revisions = _counts(db)
        assert articles == raw_pages == revisions, "a half-written article"
        assert articles < 400 + 2, "the bulk crawl should have been stopped in the middle"
        events = [
            json.loads(line)
            for line in (tmp_path / "d1.log").read_text().splitlines()
            if line.startswith("{")
        ]
        assert {e["event"] for e in events} >= {"daemon_start", "run_start", "run_end", "daemon_stop"}
        outcomes = {(e["source"], e["outcome"]) for e in events if e["event"] == "run_end"}
        assert ("portal", "finished") in outcomes and ("bulk", "interrupted") in outcomes
        with sqlite3.connect(db) as connection:
            next_bulk = connection.execute(
                "SELECT next_run_time FROM apscheduler_jobs WHERE id = 'crawl:bulk'"
            ).fetchone()
        assert next_bulk is not None and next_bulk[0] > time.time() + 3000, "restart must not rerun at once"
        status = run_wiredesk("status", "--db", f"sqlite:///{db}", "--format", "json")
        assert {row["source"] for row in json.loads(status.stdout)} == {"portal", "bulk"}
        restarted = subprocess.Popen(command, cwd=REPO, stderr=(tmp_path / "d2.log").open("w"))
        before = _counts(db)[0]
        _wait(lambda: "run_end" in (tmp_path / "d2.log").read_text(), 120)
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=COMMAND_DEADLINE) == 0
    second = [
        json.loads(line) for line in (tmp_path / "d2.log").read_text().splitlines() if line.startswith("{")
    ]
    assert {e["source"] for e in second if e["event"] == "run_start"} == {"portal"}
    assert _counts(db)[0] >= before
    runs = json.loads(run_wiredesk("runs", "--db", f"sqlite:///{db}", "--format", "json").stdout)
    assert all(run["outcome"] in ("finished", "interrupted") for run in runs)


def test_a_crawl_past_its_time_limit_is_killed_and_recorded(tmp_path: Path) -> None:
    db, sources = tmp_path / "c.db", tmp_path / "sources.toml"
    with Newsroom(bulk_articles=40, bulk_delay=1.0) as newsroom:
        sources.write_text(newsroom.sources_toml(), "utf-8")
        result = run_wiredesk(
            "daemon",
            "bulk",
            "--once",
            "--sources",
            str(sources),
            "--db",
            f"sqlite:///{db}",
            "--crawl-timeout",
            "4",
            "--grace",
            "2",
            *FAST,
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            check=False,
            timeout=COMMAND_DEADLINE,
        )
    assert result.returncode == 1
    (run,) = json.loads(run_wiredesk("runs", "--db", f"sqlite:///{db}", "--format", "json").stdout)
    assert run["outcome"] == "killed" and "time limit" in run["message"]
    articles, raw_pages, revisions = _counts(db)
    assert articles == raw_pages == revisions < 40
