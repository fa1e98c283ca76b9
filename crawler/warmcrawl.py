"""The daemon's warm crawl process: one long-lived process that runs every scheduled crawl.

A crawl started from scratch pays seconds before its first page: the interpreter and Scrapy's
imports, the reactor, the cleaning workers' start (each imports trafilatura and cleans its first
pages). Every scheduled run paid them again, even a run where every feed answers 304. Here one
process keeps all of it across runs: the reactor runs until the daemon stops, each run is one more
crawler in it (Scrapy's CrawlerProcess with `stop_after_crawl=False`: runs of several sources go
side by side), and the cleaning pool outlives the crawl that started it (`WarmCleanPipeline`).

The daemon (crawler/daemon.py; its side of the pipe is crawler/warmclient.py) keeps isolation and
time limits: it talks to this process through its stdin and a copy of its stdout, one JSON object
a line, and when a run outlives its time limit and the grace after being told to stop, or the
process dies, it kills and restarts the process.

Requests (stdin): `{"crawl": RUN, "source": NAME}`, `{"stop": RUN}` (stop that crawl cleanly, as
SIGTERM would). Replies: `{"run": RUN, "figures": {...}, "status": EXIT, "message": WHY}` (the
figures of `--report`, and `cpu_seconds`: this process's CPU while the run lasted; the status and
why as `wiredesk crawl` would exit) or `{"run": RUN, "error": MESSAGE}`. SIGTERM stops every
crawl cleanly (their replies say `"finish_reason": "shutdown"`), then the process; so does the end
of stdin (the daemon went away).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any, ClassVar, TextIO

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.reactor import install_reactor
from twisted.python.failure import Failure

from crawler.pipelines import CleanPipeline, clean_workers, worker_pool
from crawler.reclean import RecleanReport
from crawler.report import CrawlReport
from crawler.run import (
    EXIT_ALL_SOURCES_FAILED,
    EXIT_ARTICLES_LOST,
    crawl_settings,
    exit_status,
    finished_report,
    reclean_after,
)
from crawler.sources import Source, load_sources, select_sources
from crawler.spiders.news import NewsSpider
from crawler.workers import WorkerPool
from storage.engine import one_line, release_shared_engine, shared_engine

_CLEAN_PIPELINE = "crawler.pipelines.CleanPipeline"
# Why a run whose crawl would have exited non-zero failed (crawler/run.py's exit statuses).
_STATUS_MESSAGES = {
    EXIT_ALL_SOURCES_FAILED: "nothing could be fetched (every start URL failed)",
    EXIT_ARTICLES_LOST: "articles were lost to errors (see the run's errors), or the spool failed",
}


class WarmCleanPipeline(CleanPipeline):
    """CleanPipeline whose worker pool is the process's, kept for the next crawl instead of shut down."""

    kept: ClassVar[dict[tuple[int, int, float], WorkerPool]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._pool is not None:
            self._pool = self.keep(self._pool)

    @classmethod
    def keep(cls, pool: WorkerPool) -> WorkerPool:
        """The process's pool of the same shape as `pool` (`pool` itself when it is the first): a
        pool starts no worker before its first call, so the one not kept costs nothing."""
        return cls.kept.setdefault((pool.size, pool.memory_limit_mb, pool.stuck_after), pool)

    def close_spider(self) -> None:
        self._pool = None  # kept in `kept`: the next crawl cleans with the same, warm, workers
        super().close_spider()

    @classmethod
    def shut_down_kept(cls) -> None:
        """When the process ends: stop the workers (they would die with it anyway, PR_SET_PDEATHSIG)."""
        for pool in cls.kept.values():
            pool.shutdown()
        cls.kept.clear()


class WarmCrawls:
    """The crawls running in this process's reactor, by run id; answers the daemon's requests."""

    def __init__(self, process: CrawlerProcess, sources_file: str | None, replies: TextIO) -> None:
        self.process = process
        self.sources_file = sources_file
        self.replies = replies
        self.running: dict[int, Crawler] = {}

    def handle(self, line: str) -> None:
        """One request from the daemon (in the reactor thread)."""
        request = json.loads(line)
        if "stop" in request:
            crawler = self.running.get(int(request["stop"]))
            if crawler is not None:
                deferred_from_coro(crawler.stop_async())
            return
        run_id = int(request["crawl"])
        try:
            self.start(run_id, select_sources(load_sources(self.sources_file), [str(request["source"])]))
        except Exception as error:  # e.g. a sources file edited into a bad state: this run's failure
            self.running.pop(run_id, None)
            self.reply({"run": run_id, "error": one_line(error)})

    def start(self, run_id: int, sources: list[Source]) -> None:
        """Start the crawl of `sources` next to any other running; it replies when it ends."""
        crawler = self.process.create_crawler(NewsSpider)
        slots = {host: slot for source in sources for host, slot in source.download_slots().items()}
        if slots:
            crawler.settings.set(
                "DOWNLOAD_SLOTS", {**crawler.settings.getdict("DOWNLOAD_SLOTS"), **slots}, priority="cmdline"
            )
        self.running[run_id] = crawler
        started = _Clock()
        done = self.process.crawl(crawler, sources=sources, worker=False)
        done.addBoth(self._finished, run_id, crawler, sources, started)

    def _finished(
        self, result: Any, run_id: int, crawler: Crawler, sources: list[Source], started: _Clock
    ) -> None:
        self.running.pop(run_id, None)
        report = None if isinstance(result, Failure) else finished_report(crawler, [s.name for s in sources])
        if report is None:
            why = one_line(result.value) if isinstance(result, Failure) else "it did not start"
            self.reply({"run": run_id, "error": f"the crawl did not run to its end: {why}"})
            return
        stopped = report.finish_reason == "shutdown"  # told to stop: `wiredesk reclean` catches up
        if crawler.settings.getbool("WIREDESK_RECLEAN_AFTER_CRAWL") and not stopped:
            # Off the reactor thread: other crawls of this process go on meanwhile.
            from twisted.internet.threads import deferToThread

            names = [source.name for source in sources]
            reclean = deferToThread(reclean_after, crawler.settings, started.at, names)
            reclean.addBoth(lambda recleaned: self._report(run_id, _with(report, recleaned), started))
            return
        self._report(run_id, report, started)

    def _report(self, run_id: int, report: CrawlReport, started: _Clock) -> None:
        report.elapsed = time.monotonic() - started.monotonic
        status = exit_status(report)
        self.reply(
            {
                "run": run_id,
                # This process's CPU while the run lasted (other runs beside it included).
                "figures": {
                    **report.figures(),
                    "cpu_seconds": round(time.process_time() - started.cpu, 3),
                },
                "status": status,
                "message": _STATUS_MESSAGES.get(status),
            }
        )

    def reply(self, message: dict[str, Any]) -> None:
        self.replies.write(json.dumps(message, default=str) + "\n")
        self.replies.flush()


def _with(report: CrawlReport, recleaned: RecleanReport | Failure | None) -> CrawlReport:
    """The report with the re-cleaning's; none when it failed (the crawl's run is reported all the same)."""
    report.recleaned = recleaned if isinstance(recleaned, RecleanReport) else None
    return report


class _Clock:
    """When a crawl started: wall clock (for re-cleaning), monotonic and this process's CPU time."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)
        self.monotonic = time.monotonic()
        self.cpu = time.process_time()


def warm_settings(db_url: str, overrides: list[str]) -> Settings:
    """The crawl settings of every run: the daemon's, the cleaning pool kept across crawls, no progress."""
    pairs = dict(pair.partition("=")[::2] for pair in overrides)
    settings = crawl_settings(db_url, None, {"WIREDESK_PROGRESS": False, **pairs})
    pipelines = settings.getdict("ITEM_PIPELINES")
    if _CLEAN_PIPELINE in pipelines:
        pipelines["crawler.warmcrawl.WarmCleanPipeline"] = pipelines.pop(_CLEAN_PIPELINE)
        settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
    return settings


def serve(db_url: str, sources_file: str | None, overrides: list[str]) -> None:
    """Run crawls as the daemon asks until SIGTERM or the end of stdin."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not garble a reply
    settings = warm_settings(db_url, overrides)
    # The process's one engine for its database, migrated once: every run's components share it.
    shared_engine(settings.get("WIREDESK_DB"), migrate=True)
    install_reactor(settings["TWISTED_REACTOR"], settings["ASYNCIO_EVENT_LOOP"])
    process = CrawlerProcess(settings)
    from twisted.internet import reactor

    reactor.callWhenRunning(_start_workers, settings)  # type: ignore[attr-defined]
    crawls = WarmCrawls(process, sources_file, replies)
    threading.Thread(target=_read_requests, args=(crawls,), name="wiredesk-requests", daemon=True).start()
    try:
        process.start(stop_after_crawl=False)
    finally:
        WarmCleanPipeline.shut_down_kept()
        release_shared_engine(settings.get("WIREDESK_DB"))


def _start_workers(settings: Settings) -> None:
    """Start the cleaning workers now, so that the first run's pages do not wait for them to import
    trafilatura (seconds); the pool is the one `WarmCleanPipeline` then finds (same size, as
    CleanPipeline sizes it)."""
    pool = worker_pool(
        clean_workers(settings),
        settings.getint("WIREDESK_CLEAN_MEMORY_LIMIT"),
        settings.getfloat("WIREDESK_CLEAN_TIME_LIMIT"),
    )
    if pool is None:
        return
    pool = WarmCleanPipeline.keep(pool)
    for _ in range(pool.size):
        deferred_from_coro(pool.run(os.getpid, name="warm-up"))


def _read_requests(crawls: WarmCrawls) -> None:
    """Hand each line of stdin to the reactor; at its end (the daemon is gone) stop as on SIGTERM."""
    from twisted.internet import reactor

    for line in sys.stdin:
        if line.strip():
            reactor.callFromThread(crawls.handle, line)  # type: ignore[attr-defined]
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="warmcrawl", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--sources")
    parser.add_argument("-s", "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    serve(args.db, args.sources, args.overrides)
