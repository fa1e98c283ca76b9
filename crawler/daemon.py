"""`wiredesk daemon`: crawl each source on its own schedule, for months.

- APScheduler 3 with its jobs in the corpus database (`SQLAlchemyJobStore`, table
  `apscheduler_jobs`): a restart keeps each job's next run time instead of running everything at
  once. A job whose schedule is unchanged keeps its next run; a changed one is replaced.
- One job per source (`crawl:<name>`): `max_instances=1` (a slow crawl is never doubled),
  `coalesce=True` (missed runs collapse into one), a misfire grace time.
- Each crawl runs in the daemon's warm crawl process (crawler/warmcrawl.py), one long-lived child
  that keeps its imports, reactor, cleaning workers and database connections between runs: a run
  where every feed answers 304 costs a fraction of a second of CPU instead of seconds. Isolation
  and time limits stay the daemon's: a run past its time limit is told to stop, and after the grace
  period the process is killed; a process that dies (crash, kill -9, a hang killed) fails the runs
  it held, never the daemon, and the next run starts a new one. Every run is a row in `crawl_runs`.
- One daemon per database: it holds the database's daemon lock (storage/daemonlock.py) while it
  runs, `--once` too. A second one says who holds it and exits 1, or with `--wait` waits for it;
  only then are runs left `running` by a dead daemon marked `interrupted`, so a live daemon's
  runs are never taken for a dead one's.
- SIGTERM/SIGINT: no new runs; the crawl process gets SIGTERM (Scrapy stops every crawl cleanly,
  finishing the items in hand), then SIGKILL after the grace period; runs are recorded honestly; exit 0.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
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


_stopping = threading.Event()
_warm: WarmCrawler | None = None
_warm_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_SIGNALLED = {0, EXIT_INTERRUPTED, -signal.SIGTERM, -signal.SIGINT}
"""Exit statuses of a crawl process told to stop (SIGTERM from an operator or systemd, which Scrapy
turns into a clean exit 0, or SIGINT): the runs it still held are interrupted, not failed."""


def run_source(name: str, config: dict[str, Any]) -> str:
    """One scheduled crawl of one source, in the warm crawl process; returns and records its outcome."""
    settings = DaemonConfig(**config)
    engine = _engine(settings.db_url)
    run_id = start_run(engine, name)
    log_event(settings.log_format, "run_start", source=name, run=run_id)
    outcome, message, figures = _run_warm(run_id, name, settings)
    if outcome == "finished" and figures.get("finish_reason") not in (None, "finished"):
        outcome = "interrupted" if figures["finish_reason"] == "shutdown" else "failed"
    finish_run(engine, run_id, outcome, figures, message)
    log_event(
        settings.log_format,
        "run_end",
        source=name,
        run=run_id,
        outcome=outcome,
        **{k: v for k, v in figures.items() if k != "finish_reason"},
    )
    return outcome


def _engine(db_url: str) -> Engine:
    """The daemon's one engine per database: its runs reuse the pooled connection."""
    with _warm_lock:
        return _engines.setdefault(db_url, make_engine(db_url))


def warm_crawler(settings: DaemonConfig) -> WarmCrawler:
    """The daemon's warm crawl process (started on first use)."""
    global _warm
    with _warm_lock:
        if _warm is None:
            _warm = WarmCrawler(settings)
        return _warm


def _run_warm(run_id: int, name: str, settings: DaemonConfig) -> tuple[str, str | None, dict[str, Any]]:
    """Outcome, message and figures of one run; past its time limit it is stopped, then killed."""
    warm = warm_crawler(settings)
    answer = warm.crawl(run_id, name)
    try:
        reply = answer.result(timeout=settings.crawl_timeout)
    except TimeoutError:
        warm.stop(run_id)
        try:
            reply = answer.result(timeout=settings.grace)
        except TimeoutError:
            warm.kill()  # the other crawls in it go too (recorded as failed); the next run starts anew
            reply = answer.result()
        return "killed", f"time limit of {settings.crawl_timeout:.0f} s reached", reply.get("figures", {})
    return (*_outcome(reply), reply.get("figures", {}))


def _outcome(reply: dict[str, Any]) -> tuple[str, str | None]:
    """The run's outcome (finished, interrupted, failed) and why, from the warm process's reply."""
    if _stopping.is_set():
        return "interrupted", "the daemon was stopped during the run"
    if "died" in reply:
        if reply["died"] in _SIGNALLED:
            return "interrupted", "the crawl was stopped by a signal"
        return "failed", _died(reply["died"], reply.get("error"))
    if "error" in reply:
        return "failed", reply["error"]
    if reply.get("status"):
        return "failed", reply.get("message")
    return "finished", None


def _died(returncode: int, last_words: str | None) -> str:
    """Why the crawl process holding the run is gone, with the last line it wrote on stderr."""
    how = f"killed by signal {-returncode}" if returncode < 0 else f"exit status {returncode}"
    return f"the crawl process died ({how})" + (f": {last_words}" if last_words else "")


WARM_LAUNCH = "from crawler.warmcrawl import main; main()"
"""What `python -c` runs to start the warm crawl process. Not `-m crawler.warmcrawl`: its cleaning
workers are spawned, and a spawned process first imports its parent's main module when it has
one: Scrapy and all of the crawler, seconds of CPU per worker before its first page."""
RECYCLE_AFTER_RUNS = 1000
"""A crawl process that has been given this many runs is replaced once it holds none: a
long-lived Scrapy process grows by some 50 KB a run (docs/performance.md), a new one costs seconds."""


class WarmCrawler:
    """The daemon's side of its warm crawl process (crawler/warmcrawl.py): one at a time, restarted
    when it dies, replaced after `recycle_after` runs; each run is a request on its stdin and a
    reply on its stdout."""

    def __init__(self, settings: DaemonConfig, recycle_after: int = RECYCLE_AFTER_RUNS) -> None:
        self.settings = settings
        self.recycle_after = recycle_after
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._runs = 0
        """Runs given to the current process."""
        self._pending: dict[int, tuple[subprocess.Popen[str], Future[dict[str, Any]]]] = {}

    def start(self) -> None:
        """Start the process now, so the first run finds it warm."""
        with self._lock:
            self._alive()

    def crawl(self, run_id: int, name: str) -> Future[dict[str, Any]]:
        """Ask for a crawl of `name`; the future holds the process's reply (or how it died)."""
        answer: Future[dict[str, Any]] = Future()
        with self._lock:
            process = self._alive()
            self._runs += 1
            self._pending[run_id] = (process, answer)
            self._send(process, {"crawl": run_id, "source": name})
        return answer

    def stop(self, run_id: int) -> None:
        """Ask for a clean stop of one crawl (it replies with finish_reason "shutdown")."""
        with self._lock:
            if run_id in self._pending:
                self._send(self._pending[run_id][0], {"stop": run_id})

    def kill(self) -> None:
        """SIGKILL the process: its runs' futures say it died; the next run starts a new one."""
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def shutdown(self, grace: float) -> None:
        """SIGTERM (every crawl stops cleanly and replies), then SIGKILL after `grace` seconds."""
        with self._lock:
            process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _alive(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._process, self._runs = self._spawn(), 0
        return self._process

    def _retire_if_due(self, process: subprocess.Popen[str]) -> None:
        """With the lock held: past its share of runs and idle, the process is let go (the end of its
        stdin stops it cleanly); the next run starts a new one."""
        if process is not self._process or self._runs < self.recycle_after:
            return
        if any(owner is process for owner, _ in self._pending.values()):
            return
        self._process = None
        assert process.stdin is not None
        process.stdin.close()

    def _spawn(self) -> subprocess.Popen[str]:
        command = [sys.executable, "-c", WARM_LAUNCH, "--db", self.settings.db_url]
        if self.settings.sources_file:
            command += ["--sources", self.settings.sources_file]
        for override in self.settings.overrides:
            command += ["-s", override]
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        threading.Thread(
            target=self._read, args=(process,), name="wiredesk-warm-replies", daemon=True
        ).start()
        log_event(self.settings.log_format, "crawl_process_start", pid=process.pid)
        return process

    @staticmethod
    def _send(process: subprocess.Popen[str], request: dict[str, Any]) -> None:
        """Write one request; a process that just died is noticed by its reader, not here."""
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
        except OSError:
            pass

    def _read(self, process: subprocess.Popen[str]) -> None:
        """Hand each reply to its run; when the process ends, its runs still waiting learn how."""
        assert process.stdout is not None and process.stderr is not None
        last_words: list[str] = []
        drain = threading.Thread(target=_last_line, args=(process.stderr, last_words), daemon=True)
        drain.start()
        for line in process.stdout:
            reply = json.loads(line)
            with self._lock:
                _, answer = self._pending.pop(int(reply["run"]), (None, None))
                self._retire_if_due(process)
            if answer is not None:
                answer.set_result(reply)
        returncode = process.wait()
        drain.join(timeout=5)
        with self._lock:
            orphans = [run for run, (owner, _) in self._pending.items() if owner is process]
            answers = [self._pending.pop(run)[1] for run in orphans]
        for answer in answers:
            answer.set_result({"died": returncode, **({"error": last_words[-1]} if last_words else {})})


def _last_line(stream: Any, last_words: list[str]) -> None:
    """Read a crawl process's stderr to its end (a full pipe would block it), keeping the last line."""
    for line in stream:
        if line.strip():
            last_words[:] = [line.strip()]


def _stop_warm(grace: float) -> None:
    """Stop the warm crawl process, if any: crawls stop cleanly within `grace` seconds."""
    global _warm
    with _warm_lock:
        warm, _warm = _warm, None
    if warm is not None:
        warm.shutdown(grace)


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
        warm_crawler(config).start()
        scheduler.resume()
        while not _stopping.wait(0.5):
            pass
        _shut_down(scheduler, config)
    if _lock_lost.is_set():
        raise LockLost(_LOCK_LOST_MESSAGE)


def _shut_down(scheduler: BackgroundScheduler, config: DaemonConfig) -> None:
    scheduler.pause()
    _stop_warm(config.grace)
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
        try:
            finished = all(run_source(source.name, config.__dict__) == "finished" for source in sources)
        finally:
            _stop_warm(config.grace)
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
