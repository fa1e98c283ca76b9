"""Run one crawl in this process and report what it did; shared by the CLI, the demo and the daemon."""

from __future__ import annotations

import logging
import signal
import time
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from cleaner import CleanOptions
from crawler.cleaning import site_rules
from crawler.distributed import redis_settings, worker_id
from crawler.jobqueue import JobDirBusy, hold_jobdir
from crawler.reclean import RecleanReport, reclean_after_crawl
from crawler.report import CrawlReport, LossKind, crawl_report
from crawler.settings_registry import user_agent
from crawler.sources import Source
from crawler.spiders.news import NewsSpider
from storage.engine import database_url, one_line, release_shared_engine, shared_engine


class CrawlFailed(RuntimeError):
    """The crawl could not start or stopped abnormally (not: some pages failed, which the report counts)."""


# Exit statuses of `wiredesk crawl` (docs/reliability.md).
EXIT_OK = 0
EXIT_ALL_SOURCES_FAILED = 1
"""Nothing could be fetched from any source (DNS, refused, every start URL failed)."""
EXIT_ARTICLES_LOST = 3
"""Articles were fetched but lost to an error (each counted with its reason), or the crawl stopped
because the spool could not be written."""


def exit_status(report: CrawlReport) -> int:
    """Non-zero when an article was lost to an error, or when no source could be fetched at all.

    Pages skipped on purpose (no article in them, listings, robots.txt) and failed fetches of some
    pages (a 404, a timeout: the site's, counted) keep it zero; spooled articles are not lost.
    """
    if report.articles_lost or report.finish_reason == LossKind.SPOOL_FAILED:
        return EXIT_ARTICLES_LOST
    if report.sources and all(source.failed for source in report.sources.values()):
        return EXIT_ALL_SOURCES_FAILED
    return EXIT_OK


def crawl_settings(
    db_url: str | None = None,
    max_articles: int | None = None,
    overrides: dict[str, Any] | None = None,
    verbose: bool = False,
) -> Settings:
    """wiredesk's Scrapy settings with the run's choices on top."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("WIREDESK_DB", database_url(db_url), priority="cmdline")
    if max_articles is not None:
        settings.set("WIREDESK_MAX_ARTICLES", max_articles, priority="cmdline")
    if verbose:
        settings.set("LOG_LEVEL", "INFO", priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    redis_url = settings.get("WIREDESK_REDIS")
    if redis_url:
        for key, value in redis_settings(redis_url, settings.get("WIREDESK_REDIS_PREFIX")).items():
            settings.set(key, value, priority="cmdline")
        settings.set("WIREDESK_WORKER_ID", worker_id(), priority="cmdline")
    site_rules(settings.get("WIREDESK_CLEAN_RULES"))  # a bad rules file fails here, before any fetch
    if "WIREDESK_CONTACT" in (overrides or {}) and "USER_AGENT" not in (overrides or {}):
        settings.set("USER_AGENT", user_agent(settings["WIREDESK_CONTACT"]), "cmdline")
    return settings


def run_crawl(sources: list[Source], settings: Settings, worker: bool = False) -> CrawlReport:
    """Crawl `sources` to the end (Twisted's reactor: once per process) and report.

    `worker`: join the shared crawl of settings' WIREDESK_REDIS instead of starting from sources.
    """
    started = time.monotonic()
    slots = {host: slot for source in sources for host, slot in source.download_slots().items()}
    if slots:
        settings.set("DOWNLOAD_SLOTS", {**settings.getdict("DOWNLOAD_SLOTS"), **slots}, priority="cmdline")
    db_url = settings.get("WIREDESK_DB")
    try:
        with hold_jobdir(settings.get("JOBDIR")):
            shared_engine(db_url, migrate=True)  # the one engine of this process's crawl, migrated once
            report = _crawl(settings, sources, worker)
    except JobDirBusy as error:
        raise CrawlFailed(str(error)) from None
    finally:
        release_shared_engine(db_url)
    report.elapsed = time.monotonic() - started
    return report


def _crawl(settings: Settings, sources: list[Source], worker: bool) -> CrawlReport:
    """Run Scrapy's crawl, then the re-cleaning it calls for; the crawl's report."""
    process = CrawlerProcess(settings)
    if logging.getLevelName(settings.get("LOG_LEVEL")) >= logging.WARNING:
        _quiet_logs()
    crawler = process.create_crawler(NewsSpider)
    started_at = datetime.now(UTC)
    process.crawl(crawler, sources=sources, worker=worker)
    process.start()
    report = finished_report(crawler, [source.name for source in sources])
    if report is None:
        raise CrawlFailed("the crawl did not run to its end; run again with -v to see why")
    reclean_unless_interrupted(settings, started_at, [source.name for source in sources], report)
    return report


def finished_report(crawler: Any, names: list[str]) -> CrawlReport | None:
    """The report of a crawl that ran (each of `names` with a row), with Scrapy's finish reason;
    None when it did not start."""
    finish_reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if finish_reason in (None, "start_error"):
        return None
    report = crawl_report(crawler)
    report.finish_reason = str(finish_reason)
    report.name_sources(names)
    return report


def reclean_unless_interrupted(
    settings: Settings, started_at: datetime, sources: list[str], report: CrawlReport
) -> None:
    """The re-cleaning a finished crawl calls for, its figures into `report`; Ctrl-C stops it.

    A crawl told to stop (a signal, the daemon stopping) does not start it, and Ctrl-C during it
    ends it as a stopped crawl (`finish_reason` "shutdown"): `wiredesk reclean` catches up later.
    Scrapy's SIGINT handler is still installed after its reactor stopped, and it would wait for the
    reactor, so the re-cleaning runs under Python's own handler.
    """
    if not settings.getbool("WIREDESK_RECLEAN_AFTER_CRAWL") or report.finish_reason == "shutdown":
        return
    scrapy_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        report.recleaned = reclean_after(settings, started_at, sources)
    except KeyboardInterrupt:
        logging.getLogger(__name__).warning("re-cleaning interrupted: `wiredesk reclean` goes on from there")
        report.finish_reason = "shutdown"
    finally:
        signal.signal(signal.SIGINT, scrapy_handler)


def reclean_after(settings: Settings, started_at: datetime, sources: list[str]) -> RecleanReport | None:
    """Re-clean the crawl's sites' articles stored before their memory knew some furniture.

    A failure here costs the re-cleaning (`wiredesk reclean` does it later), never the crawl.
    """
    try:
        report = reclean_after_crawl(
            shared_engine(settings.get("WIREDESK_DB")),
            started_at,
            sources,
            CleanOptions(site_rules=site_rules(settings.get("WIREDESK_CLEAN_RULES"))),
            settings.getfloat("WIREDESK_CLEAN_TIME_LIMIT"),
        )
    except Exception as error:
        logging.getLogger(__name__).warning("re-cleaning after the crawl failed: %s", one_line(error))
        return None
    if report.examined:
        logging.getLogger(__name__).info("re-cleaned after the crawl: %s", report.line())
    return report


# Loggers whose failures the spider's errback already counts and reports per source.
_DUPLICATE_ERROR_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry")


class _NoTracebacks(logging.Filter):
    """Keep the message of a logged error, drop its traceback: a crawl's log is read by people."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


def _quiet_logs() -> None:
    for name in _DUPLICATE_ERROR_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_NoTracebacks())
