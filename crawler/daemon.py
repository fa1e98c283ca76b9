"""`wiredesk daemon`: crawl each source on its own schedule, for months.

- APScheduler 3 with its jobs in the corpus database (`SQLAlchemyJobStore`, table
  `apscheduler_jobs`): a restart keeps each job's next run time instead of running everything at
  once. A job whose schedule is unchanged keeps its next run; a changed one is replaced.
- One job per source (`crawl:<name>`): `max_instances=1` (a slow crawl is never doubled),
  `coalesce=True` (missed runs collapse into one), a misfire grace time.
- Each crawl is a child process (`wiredesk crawl NAME --report FILE`): Twisted's reactor cannot
  restart in one process, and a crawl that hangs is killed at its time limit without the daemon
  noticing anything but the outcome. Every run is a row in `crawl_runs`.
- One daemon per database: it holds the database's daemon lock (storage/daemonlock.py) while it
  runs, `--once` too. A second one says who holds it and exits 1, or with `--wait` waits for it;
  only then are runs left `running` by a dead daemon marked `interrupted`, so a live daemon's
  runs are never taken for a dead one's.
- SIGTERM/SIGINT: no new runs; running crawls get SIGTERM (Scrapy stops cleanly, finishing the
  items in hand), then SIGKILL after the grace period; runs are recorded honestly; exit 0.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, MetaData, Table, inspect, select

from crawler.cli import EXIT_INTERRUPTED
from crawler.sources import Source
from storage import make_engine
from storage.daemonlock import HEARTBEAT_SECONDS, DaemonLock, LockHeld
from storage.engine import DB_UNAVAILABLE
from storage.runs import abandon_running, finish_run, start_run

logger = logging.getLogger("wiredesk.daemon")
DEFAULT_SCHEDULE = "every 30m"
MISFIRE_GRACE_SECONDS = 600
JOBS_TABLE = "apscheduler_jobs"
# Seconds between two tries at the daemon lock with --wait.
LOCK_WAIT_POLL_SECONDS = 2.0
_EVERY = re.compile(r"^every\s+(\d+(?:\.\d+)?)\s*([smhd])$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ScheduleError(ValueError):
    """A source's schedule is neither "every N<unit>" nor a five-field cron line."""


class LockLost(RuntimeError):
    """Another daemon took the lock over while this one ran (its heartbeats had stopped)."""


def trigger_for(schedule: str | None, jitter: int = 0) -> BaseTrigger:
    """The APScheduler trigger of a schedule string."""
    text = (schedule or DEFAULT_SCHEDULE).strip()
    every = _EVERY.match(text)
    if every:
        seconds = float(every.group(1)) * _UNIT_SECONDS[every.group(2).lower()]
        return IntervalTrigger(seconds=seconds, jitter=jitter or None, timezone=UTC)
    try:
        return CronTrigger.from_crontab(text, timezone=UTC)
    except ValueError as error:
        raise ScheduleError(
            f"schedule {text!r}: use 'every 30m' (s, m, h, d) or a cron line ({error})"
        ) from error


@dataclass
class DaemonConfig:
    """What every scheduled crawl needs; plain values, so APScheduler can store them with the jobs."""

    db_url: str
    sources_file: str | None
    crawl_timeout: float = 3600.0
    grace: float = 30.0
    overrides: list[str] = field(default_factory=list)
    log_format: str = "text"


_children: dict[str, subprocess.Popen[bytes]] = {}
_children_lock = threading.Lock()
_stopping = threading.Event()


def run_source(name: str, config: dict[str, Any]) -> str:
    """One scheduled crawl of one source, in a child process; returns and records its outcome."""
    settings = DaemonConfig(**config)
    engine = make_engine(settings.db_url)
    run_id = start_run(engine, name)
    log_event(settings.log_format, "run_start", source=name, run=run_id)
    with tempfile.TemporaryDirectory(prefix="wiredesk-run-") as tmp:
        report = Path(tmp) / "report.json"
        outcome, message = _run_child(name, settings, report)
        figures = json.loads(report.read_text()) if report.exists() else {}
    if outcome == "finished" and figures.get("finish_reason") not in (None, "finished"):
        outcome = "interrupted" if figures["finish_reason"] == "shutdown" else "failed"
    finish_run(engine, run_id, outcome, figures, message)
    engine.dispose()
    log_event(
        settings.log_format,
        "run_end",
        source=name,
        run=run_id,
        outcome=outcome,
        **{k: v for k, v in figures.items() if k != "finish_reason"},
    )
    return outcome


def _run_child(name: str, settings: DaemonConfig, report: Path) -> tuple[str, str | None]:
    command = [
        str(Path(sys.executable).parent / "wiredesk"),
        "crawl",
        name,
        "--db",
        settings.db_url,
        "--report",
        str(report),
        "-s",
        "WIREDESK_PROGRESS=False",
    ]
    if settings.sources_file:
        command += ["--sources", settings.sources_file]
    for override in settings.overrides:
        command += ["-s", override]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with _children_lock:
        _children[name] = child
    try:
        _, stderr = child.communicate(timeout=settings.crawl_timeout)
    except subprocess.TimeoutExpired:
        _stop_child(child, settings.grace)
        return "killed", f"time limit of {settings.crawl_timeout:.0f} s reached"
    finally:
        with _children_lock:
            _children.pop(name, None)
    if _stopping.is_set():
        return "interrupted", "the daemon was stopped during the run"
    if child.returncode == EXIT_INTERRUPTED:  # stopped by a signal from someone else (an operator, systemd)
        return "interrupted", "the crawl was stopped by a signal"
    if child.returncode != 0:
        return "failed", stderr.decode("utf-8", "replace").strip().splitlines()[-1:][
            0
        ] if stderr.strip() else None
    return "finished", None


def _stop_child(child: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM (Scrapy shuts down cleanly), then SIGKILL if it is still there after `grace` seconds."""
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def log_event(fmt: str, event: str, **fields: Any) -> None:
    """One line per event on stderr: JSON with --log-format json, else key=value."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    if fmt == "json":
        line = json.dumps({"time": stamp, "event": event, **fields}, default=str)
    else:
        line = f"{stamp} {event} " + " ".join(f"{key}={value}" for key, value in fields.items())
    print(line, file=sys.stderr, flush=True)


def make_scheduler(db_url: str) -> BackgroundScheduler:
    """A scheduler whose jobs live in the corpus database."""
    jobstore = SQLAlchemyJobStore(engine=make_engine(db_url), tablename=JOBS_TABLE)
    return BackgroundScheduler(
        jobstores={"default": jobstore},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        timezone=UTC,
    )


def schedule_sources(scheduler: BackgroundScheduler, sources: list[Source], config: DaemonConfig) -> None:
    """Add a job per source; keep the stored next run of jobs whose schedule did not change."""
    wanted = {f"crawl:{source.name}": source for source in sources}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    for job_id, source in wanted.items():
        trigger = trigger_for(source.schedule, source.jitter_seconds)
        existing = scheduler.get_job(job_id)
        kwargs = {"name": source.name, "config": config.__dict__}
        if existing is not None and str(existing.trigger) == str(trigger) and existing.kwargs == kwargs:
            continue
        scheduler.add_job(
            run_source,
            trigger,
            id=job_id,
            kwargs=kwargs,
            replace_existing=True,
            next_run_time=existing.next_run_time if existing else datetime.now(UTC),
        )


def serve(sources: list[Source], config: DaemonConfig, wait: bool = False) -> None:
    """Run the schedule until SIGTERM or SIGINT, then stop cleanly within the grace period."""
    # "skipped: maximum number of running instances" is the design (max_instances=1), not news.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: _stopping.set())
    with daemon_lock(config, wait) as lock:
        if lock is None:
            return
        engine = make_engine(config.db_url)
        abandoned = abandon_running(engine)
        engine.dispose()
        scheduler = make_scheduler(config.db_url)
        scheduler.start(paused=True)
        schedule_sources(scheduler, sources, config)
        log_event(
            config.log_format,
            "daemon_start",
            sources=len(sources),
            pid=os.getpid(),
            interrupted_runs_found=abandoned,
        )
        scheduler.resume()
        while not _stopping.wait(0.5):
            pass
        _shut_down(scheduler, config)
    if _lock_lost.is_set():
        raise LockLost(_LOCK_LOST_MESSAGE)


def _shut_down(scheduler: BackgroundScheduler, config: DaemonConfig) -> None:
    scheduler.pause()
    with _children_lock:
        running = list(_children.values())
    for child in running:
        child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + config.grace
    for child in running:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    # APScheduler 3 may still try to submit a due job while its executor shuts down; that is harmless.
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
    scheduler.shutdown(wait=True)
    log_event(config.log_format, "daemon_stop", pid=os.getpid())


_lock_lost = threading.Event()
_LOCK_LOST_MESSAGE = "another daemon took the daemon lock over (this one's heartbeats had stopped)"


@contextmanager
def daemon_lock(config: DaemonConfig, wait: bool) -> Iterator[DaemonLock | None]:
    """Hold the database's daemon lock, heartbeat included, while the body runs.

    Raises LockHeld when another daemon holds it, unless `wait`: then waits for it, and yields None
    if the daemon is stopped (SIGTERM) while waiting.
    """
    lock = DaemonLock(make_engine(config.db_url))
    if not lock.acquire():
        holder = lock.holder()
        if not wait:
            lock.engine.dispose()
            raise LockHeld(holder)
        log_event(config.log_format, "daemon_waiting", holder=holder.describe() if holder else None)
        while not lock.acquire():
            if _stopping.wait(LOCK_WAIT_POLL_SECONDS):
                lock.engine.dispose()
                yield None
                return
    done = threading.Event()
    keeper = threading.Thread(target=_keep_lock, args=(lock, done, config.log_format), daemon=True)
    keeper.start()
    try:
        yield lock
    finally:
        done.set()
        keeper.join()
        lock.release()
        lock.engine.dispose()


def _keep_lock(lock: DaemonLock, done: threading.Event, log_format: str) -> None:
    """Heartbeat until `done`; when the lock turns out to be another daemon's, stop this one."""
    while not done.wait(HEARTBEAT_SECONDS):
        try:
            if lock.heartbeat():
                continue
        except DB_UNAVAILABLE as error:
            log_event(log_format, "daemon_lock_heartbeat_failed", error=str(error).splitlines()[0])
            continue
        log_event(log_format, "daemon_lock_lost", pid=os.getpid())
        _lock_lost.set()
        _stopping.set()
        return


def run_once(sources: list[Source], config: DaemonConfig, wait: bool = False) -> bool:
    """Every source once, one after the other, holding the daemon lock; True when all finished."""
    with daemon_lock(config, wait) as lock:
        if lock is None:
            return False
        engine = make_engine(config.db_url)
        abandon_running(engine)
        engine.dispose()
        finished = all(run_source(source.name, config.__dict__) == "finished" for source in sources)
    if _lock_lost.is_set():
        raise LockLost(_LOCK_LOST_MESSAGE)
    return finished


def next_runs(engine: Engine) -> dict[str, datetime | None]:
    """Each scheduled source's next run time, read from the job store's table (no scheduler needed)."""
    if not inspect(engine).has_table(JOBS_TABLE):
        return {}
    jobs = Table(JOBS_TABLE, MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        rows = connection.execute(select(jobs.c.id, jobs.c.next_run_time)).all()
    return {
        job_id.removeprefix("crawl:"): datetime.fromtimestamp(when, UTC) if when is not None else None
        for job_id, when in rows
    }
