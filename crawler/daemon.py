"""`wiredesk daemon`: crawl each source on its own schedule, for months.

- The schedule: one APScheduler job per source, kept in the corpus database (crawler/schedules.py).
- Each crawl runs in the daemon's warm crawl process (crawler/warmclient.py talks to it,
  crawler/warmcrawl.py is it): isolation and time limits stay the daemon's: a run past its time
  limit is told to stop, and after the grace period the process is killed; a process that dies
  fails the runs it held, never the daemon. Every run is a row in `crawl_runs`, its figures the
  crawl's report (`CrawlReport.figures`, as `--report` writes them).
- One daemon per database: it holds the database's daemon lock (storage/daemonlock.py) while it
  runs, `--once` too. A second one says who holds it and exits 1, or with `--wait` waits for it;
  only then are runs left `running` by a dead daemon marked `interrupted`, so a live daemon's
  runs are never taken for a dead one's.
- SIGTERM/SIGINT: no new runs; the crawl process gets SIGTERM (Scrapy stops every crawl cleanly,
  finishing the items in hand), then SIGKILL after the grace period; runs are recorded honestly;
  exit 0 after SIGTERM (a service manager's stop), 130 after SIGINT (Ctrl-C), as a crawl does.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from crawler.cli import EXIT_INTERRUPTED, exit_interrupted
from crawler.daemonconfig import DaemonConfig, log_event
from crawler.schedules import make_scheduler, run_now, schedule_sources
from crawler.sources import Source
from crawler.warmclient import WarmCrawler
from storage import make_engine
from storage.daemonlock import HEARTBEAT_SECONDS, DaemonLock, LockHeld
from storage.engine import DB_UNAVAILABLE, one_line, shared_engine
from storage.runs import RunFigures, abandon_running, finish_run, running_sources, start_run

logger = logging.getLogger("wiredesk.daemon")
# Seconds between two tries at the daemon lock with --wait.
LOCK_WAIT_POLL_SECONDS = 2.0


class LockLost(RuntimeError):
    """Another daemon took the lock over while this one ran (its heartbeats had stopped)."""


_stopping = threading.Event()
_stopped_by: set[int] = set()
"""The signals that stopped the daemon: SIGINT makes its exit status 130."""
_warm: WarmCrawler | None = None
_warm_lock = threading.Lock()
_SIGNALLED = {0, EXIT_INTERRUPTED, -signal.SIGTERM, -signal.SIGINT}
"""Exit statuses of a crawl process told to stop (SIGTERM from an operator or systemd, which Scrapy
turns into a clean exit 0, or SIGINT): the runs it still held are interrupted, not failed."""


def run_source(name: str, config: dict[str, Any]) -> str:
    """One scheduled crawl of one source, in the warm crawl process; returns and records its outcome."""
    settings = DaemonConfig(**config)
    engine = shared_engine(settings.db_url)  # one per database: the runs reuse its pooled connection
    run_id = start_run(engine, name)
    log_event(settings.log_format, "run_start", source=name, run=run_id)
    outcome, message, figures = _run_warm(run_id, name, settings)
    if outcome == "finished" and figures.get("finish_reason") not in (None, "finished"):
        outcome = "interrupted" if figures["finish_reason"] == "shutdown" else "failed"
    finish_run(engine, run_id, outcome, RunFigures.of(figures), message)
    log_event(
        settings.log_format,
        "run_end",
        source=name,
        run=run_id,
        outcome=outcome,
        **{k: v for k, v in figures.items() if k != "finish_reason"},
    )
    return outcome


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


def _stop_warm(grace: float) -> None:
    """Stop the warm crawl process, if any: crawls stop cleanly within `grace` seconds."""
    global _warm
    with _warm_lock:
        warm, _warm = _warm, None
    if warm is not None:
        warm.shutdown(grace)


def serve(sources: list[Source], config: DaemonConfig, wait: bool = False) -> None:
    """Run the schedule until SIGTERM or SIGINT, then stop cleanly within the grace period."""
    # "skipped: maximum number of running instances" is the design (max_instances=1), not news.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    with daemon_lock(config, wait) as lock:
        if lock is not None:  # None: stopped while waiting for another daemon's lock (--wait)
            _run_schedule(sources, config)
    if _lock_lost.is_set():
        raise LockLost(_LOCK_LOST_MESSAGE)
    if signal.SIGINT in _stopped_by:
        exit_interrupted()


def _run_schedule(sources: list[Source], config: DaemonConfig) -> None:
    """Holding the lock: run every source on its schedule until the daemon is stopped."""
    died_in = running_sources(shared_engine(config.db_url))
    abandoned = abandon_running(shared_engine(config.db_url))
    scheduler = make_scheduler(config.db_url)
    scheduler.start(paused=True)
    schedule_sources(scheduler, sources, run_source, config.__dict__)
    run_now(scheduler, died_in)  # a run a dead daemon held, not one a stopped daemon interrupted
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


def _stop(signum: int, frame: Any) -> None:
    """SIGTERM or SIGINT: stop cleanly (the main loop sees `_stopping`), and remember which."""
    _stopped_by.add(signum)
    _stopping.set()


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
        abandon_running(shared_engine(config.db_url))
        try:
            # Every source, whatever the others' outcome: `all()` over a generator stopped at the first
            # run that did not finish, and the sources after it were not crawled at all.
            outcomes = [_run_once(source.name, config) for source in sources]
        finally:
            _stop_warm(config.grace)
    if _lock_lost.is_set():
        raise LockLost(_LOCK_LOST_MESSAGE)
    return all(outcome == "finished" for outcome in outcomes)


def _run_once(name: str, config: DaemonConfig) -> str:
    """One source's run for `run_once`; a run that raises (its database away when the run is
    recorded) is that source's failure, logged, and the next source still runs."""
    try:
        return run_source(name, config.__dict__)
    except Exception as error:
        log_event(config.log_format, "run_error", source=name, error=one_line(error))
        return "failed"
