"""Item pipelines: clean each article page, then store it. Each drops what it cannot use, with a reason."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scrapy.exceptions import DropItem
from sqlalchemy import Engine

import cleaner
from cleaner.rules import PACKAGED_RULES, RulesError, SiteRules, parse_site_rules
from crawler.items import ArticlePage
from crawler.urls import canonical_url, looks_like_article
from storage import Corpus, FetchedPage, Outcome, StoreResult, make_engine
from storage.engine import DB_UNAVAILABLE, database_url
from storage.failures import record_failed_page
from storage.schema import upgrade
from storage.spool import replay, spool, spool_dir, spooled

logger = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.IGNORECASE)
# The error of a page given up by the cleaning time limit (its stats key is `time_limit`).
TIME_LIMIT = "time limit"
# og:type / JSON-LD types that say a page is a listing or a profile, not an article.
_NOT_ARTICLE_TYPES = frozenset(
    {"website", "collectionpage", "webpage", "profile", "profilepage", "searchresultspage"}
)


class CleanPipeline:
    """Turn the page into a `cleaner.CleanArticle`; drop pages that hold no article.

    Cleaning is CPU work, so it runs in a pool of WIREDESK_CLEAN_WORKERS processes (0: in the
    reactor thread). Back-pressure is Scrapy's own: while items wait here their responses count
    against SCRAPER_SLOT_MAX_ACTIVE_SIZE, and past it the engine stops starting downloads. A page
    still being cleaned after WIREDESK_CLEAN_TIME_LIMIT seconds is dropped as failed (`time_limit`).
    """

    def __init__(
        self,
        stats: Any,
        workers: int,
        time_limit: float = 20.0,
        options: cleaner.CleanOptions = cleaner.DEFAULT_OPTIONS,
        db_url: str | None = None,
    ) -> None:
        self.stats = stats
        self.workers = workers
        self.time_limit = time_limit
        self.options = options
        self.db_url = db_url
        self._failures: Engine | None = None
        self._pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CleanPipeline:
        settings = crawler.settings
        workers = settings.get("WIREDESK_CLEAN_WORKERS")
        return cls(
            crawler.stats,
            os.cpu_count() or 1 if workers in (None, "") else int(workers),
            settings.getfloat("WIREDESK_CLEAN_TIME_LIMIT", 20.0),
            cleaner.CleanOptions(site_rules=site_rules(settings.get("WIREDESK_CLEAN_RULES"))),
            settings.get("WIREDESK_DB"),
        )

    async def process_item(self, item: ArticlePage) -> ArticlePage:
        article = await self._clean(item)
        if not article.found:
            self.stats.inc_value(f"wiredesk/clean/{_slug(article.error or 'no text')}")
            if (article.error or "").startswith(TIME_LIMIT):
                await asyncio.to_thread(self._record_failure, item, article.error or TIME_LIMIT)
            raise DropItem(f"{item.final_url}: {article.error}")
        if (article.page_type or "") in _NOT_ARTICLE_TYPES and not looks_like_article(item.final_url):
            self.stats.inc_value("wiredesk/clean/not_article")
            raise DropItem(f"{item.final_url}: a {article.page_type} page, not an article")
        item.article = article
        return item

    async def _clean(self, item: ArticlePage) -> cleaner.CleanArticle:
        job = (item.body, item.final_url, _charset(item.content_type), self.time_limit, self.options)
        if self.workers == 0:
            return clean_in_time(*job)
        if self._pool is None:
            # spawn: workers start from a clean interpreter, not a fork of the reactor's threads, and
            # are the crawl's own children, so they can be told to die with it (even on kill -9).
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker,
                initargs=(os.getpid(),),
            )
        future = self._pool.submit(clean_in_time, *job)
        return await asyncio.wrap_future(future)

    def _record_failure(self, item: ArticlePage, reason: str) -> None:
        """Keep the raw page given up, so later crawls stop after a few tries (storage/failures.py)."""
        try:
            if self._failures is None:
                self._failures = make_engine(self.db_url)
            record_failed_page(self._failures, fetched_page(item), reason)
        except DB_UNAVAILABLE as error:
            logger.warning("%s: failure not recorded (%s)", item.final_url, _first_line(error))

    def close_spider(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class StorePipeline:
    """Write cleaned articles through `storage.Corpus` in batches, off the reactor thread.

    Items wait until their batch is written (WIREDESK_STORE_BATCH items, or WIREDESK_STORE_WAIT
    seconds after the first), so an item counts as processed only once it is committed. One batch
    is written at a time, by one thread: SQLite has one writer anyway. When the database cannot be
    reached, the batch goes to the local spool instead, and the spool is written back as soon as
    the database answers again (or later with `wiredesk replay`).
    """

    def __init__(
        self, corpus: Corpus, stats: Any, spool: Path, batch_size: int = 50, max_wait: float = 0.5
    ) -> None:
        self.corpus = corpus
        self.stats = stats
        self.spool = spool
        self.batch_size = batch_size
        self.max_wait = max_wait
        self._pending: list[tuple[FetchedPage, cleaner.CleanArticle, asyncio.Future[Outcome]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="wiredesk-store")
        self._writing: asyncio.Future[None] | None = None
        self._spooled = len(spooled(self.spool))

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        settings = crawler.settings
        engine = make_engine(settings.get("WIREDESK_DB"))
        upgrade(engine)
        return cls(
            Corpus(engine),
            crawler.stats,
            spool_dir(settings.get("WIREDESK_SPOOL"), database_url(settings.get("WIREDESK_DB"))),
            settings.getint("WIREDESK_STORE_BATCH", 50),
            settings.getfloat("WIREDESK_STORE_WAIT", 0.5),
        )

    async def process_item(self, item: ArticlePage) -> ArticlePage:
        page = fetched_page(item)
        done: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append((page, item.article, done))
        if len(self._pending) >= self.batch_size:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.max_wait, self._flush)
        outcome = await done
        self.stats.inc_value(f"wiredesk/store/{outcome.value}")
        self.stats.inc_value(f"wiredesk/source/{item.source}/{outcome.value}")
        return item

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            self._writing = asyncio.ensure_future(self._write(batch, self._writing))

    async def _write(self, batch: list[Any], previous: asyncio.Future[None] | None) -> None:
        if previous is not None:
            await asyncio.shield(previous)
        items = [(page, article) for page, article, _ in batch]
        try:
            outcomes = await asyncio.get_running_loop().run_in_executor(self._writer, self._store, items)
        except Exception as error:
            for _, _, done in batch:
                done.set_exception(error)
            return
        for (_, _, done), outcome in zip(batch, outcomes, strict=True):
            done.set_result(outcome)

    def _store(self, items: list[tuple[FetchedPage, cleaner.CleanArticle]]) -> list[Outcome]:
        """In the writer thread: write back what was spooled, then this batch; spool it if the DB is gone."""
        try:
            if self._spooled:
                self._replay()
            return [result.outcome for result in self._store_retrying(items)]
        except DB_UNAVAILABLE as error:
            logger.warning(
                "database unavailable (%s): spooling %d articles to %s",
                _first_line(error),
                len(items),
                self.spool,
            )
            for page, article in items:
                spool(self.spool, page, article)
            self._spooled += len(items)
            return [Outcome.SPOOLED] * len(items)

    def _store_retrying(self, items: list[tuple[FetchedPage, cleaner.CleanArticle]]) -> list[StoreResult]:
        """One retry: a connection killed under us (pg_terminate_backend) is replaced by the pool."""
        try:
            return self.corpus.store_many(items)
        except DB_UNAVAILABLE:
            time.sleep(1.0)
            return self.corpus.store_many(items)

    def _replay(self) -> None:
        results = replay(self.spool, self.corpus)
        self._spooled = len(spooled(self.spool))
        for result in results:
            self.stats.inc_value("wiredesk/store/replayed")
            self.stats.inc_value(f"wiredesk/store/{result.outcome.value}")
        logger.warning("database back: %d spooled articles written", len(results))

    async def close_spider(self) -> None:
        self._flush()
        if self._writing is not None:
            await asyncio.shield(self._writing)
        if self._spooled:
            try:
                await asyncio.get_running_loop().run_in_executor(self._writer, self._replay)
            except DB_UNAVAILABLE:
                logger.warning(
                    "%d articles wait in %s: run `wiredesk replay` when the database is back",
                    self._spooled,
                    self.spool,
                )
        self._writer.shutdown(wait=True)


def fetched_page(item: ArticlePage) -> FetchedPage:
    """What storage keeps of a fetched page; its identity is the article's canonical URL, if cleaned."""
    return FetchedPage(
        url=item.url,
        final_url=item.final_url,
        canonical_url=canonical_url(item.final_url, item.article.canonical_url if item.article else None),
        source=item.source,
        fetched_at=item.fetched_at,
        http_status=item.http_status,
        body=item.body,
        content_type=item.content_type,
        etag=item.etag,
        last_modified=item.last_modified,
    )


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def start_worker(parent: int) -> None:
    """In a new cleaning worker: die with the crawl, then clean a first page before any real one.

    trafilatura builds parts of itself on its first extraction; done here, that start-up cost is
    not charged to the first real page's time limit.
    """
    die_with_parent(parent)
    cleaner.clean(_WARM_UP_PAGE)


def die_with_parent(parent: int) -> None:
    """In a cleaning worker: ask Linux to kill this process when the crawl that started it dies.

    A crawl killed while the worker was still starting has already gone: then leave at once.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)


# Seconds between alarms once the time limit has passed.
_ALARM_REPEAT = 0.05
_WARM_UP_PAGE = "<html><body><article><p>" + "A first page to clean. " * 20 + "</p></article></body></html>"


class CleaningTimeLimit(BaseException):
    """Raised by SIGALRM in the middle of a cleaning call.

    A BaseException, like KeyboardInterrupt, so that no `except Exception` inside the extractor
    swallows it and carries on spinning.
    """


def site_rules(path: str | None) -> SiteRules:
    """The packaged per-site rules, with those of the user's file (WIREDESK_CLEAN_RULES) on top."""
    if not path:
        return PACKAGED_RULES
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise RulesError(f"cannot read cleaning rules {path}: {error.strerror}") from error
    return PACKAGED_RULES.merged(parse_site_rules(text, path))


def clean_in_time(
    body: bytes,
    url: str,
    charset: str | None,
    limit: float,
    options: cleaner.CleanOptions = cleaner.DEFAULT_OPTIONS,
) -> cleaner.CleanArticle:
    """Clean one page, or give up after `limit` seconds (0: no limit) with a failed CleanArticle.

    Without it one page that makes the extractor spin would hold a worker, and the crawl, forever;
    with it the page is dropped as failed, like a page without an article, and not retried. It runs
    where SIGALRM can be handled, in a main thread: a cleaning worker's, or the reactor's with
    WIREDESK_CLEAN_WORKERS=0. The alarm interrupts Python code, so one long call into lxml finishes
    before the page is given up.
    """
    try:
        with _alarm(limit):
            return cleaner.clean(body, url, options, declared_charset=charset)
    except CleaningTimeLimit:
        return cleaner.CleanArticle(error=f"{TIME_LIMIT} (still cleaning after {limit:g} s)")


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise CleaningTimeLimit in this thread after `seconds`; put the previous SIGALRM handler back.

    The alarm repeats: raised while lxml is calling back into Python (its element class lookup),
    the exception is swallowed by lxml, and the next one lands in Python code.
    """
    previous = signal.signal(signal.SIGALRM, _time_up)
    signal.setitimer(signal.ITIMER_REAL, seconds, _ALARM_REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _time_up(signum: int, frame: object) -> None:
    raise CleaningTimeLimit


def _charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _slug(reason: str) -> str:
    """A stats key for a reason, without its details in brackets (sizes, seconds): one kind, one key."""
    return re.sub(r"[^a-z0-9]+", "_", reason.split("(")[0].lower()).strip("_")[:40]
