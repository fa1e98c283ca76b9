"""Item pipelines: clean each article page, then store it. Each drops what it cannot use, with a reason.

A page is dropped either on purpose (no article in it, not an article: `CrawlReport.drop`) or
because it was lost to an error, one page at a time, never a batch or a crawl: counted under its
kind (`CrawlReport.lose`: time_limit, worker_died, cleaner_error, store_failed, spool_failed) and
kept raw in `pages` as failed when the database can take it. docs/reliability.md has the whole
failure model.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scrapy.exceptions import DropItem

import cleaner
from cleaner.fingerprint import TextPrint
from crawler.cleaning import TIME_LIMIT, FurnitureCache, clean_and_hash, declared_charset, site_rules
from crawler.items import ArticlePage, Loss
from crawler.report import CrawlReport, DropReason, LossKind, crawl_report
from crawler.settings import (
    WIREDESK_CLEAN_TIME_LIMIT,
    WIREDESK_SITE_MEMORY_REFRESH,
    WIREDESK_STORE_BATCH,
    WIREDESK_STORE_WAIT,
)
from crawler.urls import looks_like_article
from crawler.workers import WorkerDied, WorkerPool
from storage import Corpus, Outcome, StoreResult, open_corpus
from storage.engine import database_url, one_line
from storage.failures import record_failed_page
from storage.repository import StoreInterrupted
from storage.spool import replay, spool, spool_dir, spooled

logger = logging.getLogger(__name__)
# og:type / JSON-LD types that say a page is a listing or a profile, not an article.
_NOT_ARTICLE_TYPES = frozenset(
    {"website", "collectionpage", "webpage", "profile", "profilepage", "searchresultspage"}
)


class CleanPipeline:
    """Turn the page into a `cleaner.CleanArticle`; drop pages that hold no article.

    Cleaning is CPU work, so it runs in WIREDESK_CLEAN_WORKERS worker processes (0: in the reactor
    thread; crawler/workers.py). Back-pressure is Scrapy's own: while items wait here their
    responses count against SCRAPER_SLOT_MAX_ACTIVE_SIZE, and past it the engine stops starting
    downloads. A page without an article is skipped on purpose; a page lost to an error (still
    being cleaned after WIREDESK_CLEAN_TIME_LIMIT seconds, an exception from the cleaner, a worker
    that died on it twice) is counted as lost with its reason and goes on, marked with its `loss`,
    to the store pipeline, which keeps it raw as a failed page.
    """

    def __init__(
        self,
        report: CrawlReport,
        workers: int,
        time_limit: float = WIREDESK_CLEAN_TIME_LIMIT,
        options: cleaner.CleanOptions = cleaner.DEFAULT_OPTIONS,
        db_url: str | None = None,
        memory_limit_mb: int = 0,
        memory_refresh: float | None = WIREDESK_SITE_MEMORY_REFRESH,
    ) -> None:
        self.report = report
        self.time_limit = time_limit
        self.options = options
        self._pool = worker_pool(workers, memory_limit_mb, time_limit)
        self._memory = FurnitureCache(db_url, memory_refresh)
        self._slots: asyncio.Semaphore | None = None
        """One per worker: a page reads its site's memory once a worker is free for it, not while
        it waits, so it is cleaned with what the pages stored meanwhile taught."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> CleanPipeline:
        settings = crawler.settings
        return cls(
            crawl_report(crawler),
            clean_workers(settings),
            settings.getfloat("WIREDESK_CLEAN_TIME_LIMIT"),
            cleaner.CleanOptions(site_rules=site_rules(settings.get("WIREDESK_CLEAN_RULES"))),
            settings.get("WIREDESK_DB"),
            settings.getint("WIREDESK_CLEAN_MEMORY_LIMIT"),
            settings.getfloat("WIREDESK_SITE_MEMORY_REFRESH")
            if settings.getbool("WIREDESK_SITE_MEMORY")
            else None,
        )

    async def process_item(self, item: ArticlePage) -> ArticlePage:
        try:
            article, prints = await self._clean(item)
        except WorkerDied as error:
            return self._lose(item, LossKind.WORKER_DIED, str(error))
        except Exception as error:
            return self._lose(item, LossKind.CLEANER_ERROR, f"the cleaner raised {one_line(error)}")
        if (article.error or "").startswith(TIME_LIMIT):
            return self._lose(item, LossKind.TIME_LIMIT, article.error or TIME_LIMIT)
        if not article.found:
            self.report.drop(DropReason.of_error(article.error))
            raise DropItem(f"{item.final_url}: {article.error}", log_level="INFO")
        if not_an_article(item, article):
            self.report.drop(DropReason.NOT_ARTICLE)
            raise DropItem(f"{item.final_url}: a {article.page_type} page, not an article", log_level="INFO")
        return replace(item.claiming(article.canonical_url), article=article).printed(prints)

    async def _clean(self, item: ArticlePage) -> tuple[cleaner.CleanArticle, TextPrint | None]:
        """The clean article and what dedup needs of its text (`FetchedPage.printed`)."""
        if self._pool is None:
            furniture = await self._memory.furniture(item.final_url)
            return clean_and_hash(*self._job(item, furniture))
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._pool.size)
        async with self._slots:
            furniture = await self._memory.furniture(item.final_url)
            return await self._pool.run(clean_and_hash, *self._job(item, furniture), name=item.final_url)

    def _job(self, item: ArticlePage, furniture: frozenset[str]) -> tuple[Any, ...]:
        """The arguments of `clean_and_hash` for the page."""
        charset = declared_charset(item.content_type)
        return (item.body, item.final_url, charset, self.time_limit, self.options, furniture)

    def _lose(self, item: ArticlePage, kind: LossKind, reason: str) -> ArticlePage:
        """Count the page as lost; it goes on to be kept raw as failed (so later crawls stop trying)."""
        self.report.lose(item.source, kind)
        logger.warning("%s: lost: %s", item.final_url, reason)
        return replace(item, loss=Loss(kind, reason))

    def close_spider(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()


@dataclass(frozen=True)
class _Written:
    """What became of one page of a batch; `loss` is the kind of error when it was lost."""

    result: StoreResult
    loss: LossKind | None = None


class StorePipeline:
    """Write cleaned articles through `storage.Corpus` in batches, off the reactor thread.

    Items wait until their batch is written (WIREDESK_STORE_BATCH items, or WIREDESK_STORE_WAIT
    seconds after the first), so an item counts as processed only once it is committed. One batch
    is written at a time, by one thread: SQLite has one writer anyway. A page storage refuses is
    lost alone (`store_failed`), the batch goes on. When the database cannot be reached, the pages
    not written go to the local spool instead, and the spool is written back, entry by entry, as
    soon as the database answers again (or later with `wiredesk replay`). When the spool itself
    cannot be written (disk full...), the crawl stops: fetching more would only lose more.
    """

    def __init__(
        self,
        corpus: Corpus,
        report: CrawlReport,
        spool: Path,
        batch_size: int = WIREDESK_STORE_BATCH,
        max_wait: float = WIREDESK_STORE_WAIT,
        crawler: Any = None,
    ) -> None:
        self.corpus = corpus
        self.report = report
        self.spool = spool
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.crawler = crawler
        self._pending: list[tuple[ArticlePage, cleaner.CleanArticle, asyncio.Future[_Written]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="wiredesk-store")
        self._writing: asyncio.Future[None] | None = None
        self._spooled = len(spooled(self.spool))
        self._spool_error: str | None = None
        self._stopping: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        settings = crawler.settings
        return cls(
            open_corpus(settings.get("WIREDESK_DB"), migrate=True),
            crawl_report(crawler),
            spool_dir(settings.get("WIREDESK_SPOOL"), database_url(settings.get("WIREDESK_DB"))),
            settings.getint("WIREDESK_STORE_BATCH"),
            settings.getfloat("WIREDESK_STORE_WAIT"),
            crawler,
        )

    async def process_item(self, item: ArticlePage) -> ArticlePage:
        if item.loss is not None:
            await asyncio.get_running_loop().run_in_executor(self._writer, record_failure, self.corpus, item)
            raise DropItem(f"{item.final_url}: {item.loss.reason}", log_level="INFO")
        done: asyncio.Future[_Written] = asyncio.get_running_loop().create_future()
        self._pending.append((item, item.article, done))
        if len(self._pending) >= self.batch_size:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.max_wait, self._flush)
        written = await done
        if written.loss is not None:
            self.report.lose(item.source, written.loss)
            raise DropItem(f"{item.final_url}: {written.result.error}", log_level="INFO")
        self.report.store(item.source, written.result.outcome)
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
            written = await asyncio.get_running_loop().run_in_executor(self._writer, self._store, items)
        except Exception as error:
            # Not a database away nor a bad page (both handled): a bug. Each page is still counted.
            logger.error("storing a batch failed: %s", one_line(error))
            lost = _Written(StoreResult(Outcome.FAILED, error=one_line(error)), LossKind.STORE_FAILED)
            written = [lost] * len(batch)
        for (_, _, done), outcome in zip(batch, written, strict=True):
            done.set_result(outcome)
        if self._spool_error is not None:
            self._stop_crawl()

    def _store(self, items: list[tuple[ArticlePage, cleaner.CleanArticle]]) -> list[_Written]:
        """In the writer thread: write back what was spooled, then this batch; spool what the DB missed."""
        if self._spooled and not self._replay():
            return self._to_spool(items, "the database is still unavailable")
        results: list[_Written | None] = [None] * len(items)
        waiting, reason = list(range(len(items))), ""
        for attempt in range(2):
            try:
                stored = self.corpus.store_many([items[index] for index in waiting])
            except StoreInterrupted as interrupted:
                self._keep(results, waiting, interrupted.results)
                waiting = [index for index in waiting if results[index] is None]
                reason = str(interrupted)
                if attempt == 0:
                    time.sleep(1.0)  # a connection killed under us (pg_terminate_backend) is replaced
            else:
                self._keep(results, waiting, stored)
                return [result for result in results if result is not None]
        spooled_now = iter(self._to_spool([items[index] for index in waiting], reason))
        return [result if result is not None else next(spooled_now) for result in results]

    @staticmethod
    def _keep(results: list[_Written | None], indexes: list[int], stored: list[StoreResult | None]) -> None:
        for index, result in zip(indexes, stored, strict=True):
            if result is not None:
                failed = result.outcome is Outcome.FAILED
                results[index] = _Written(result, LossKind.STORE_FAILED if failed else None)

    def _to_spool(self, items: list[tuple[ArticlePage, cleaner.CleanArticle]], reason: str) -> list[_Written]:
        """The database is away: each page waits in the spool, or is lost if the spool cannot take it."""
        logger.warning(
            "database unavailable (%s): spooling %d articles to %s", reason, len(items), self.spool
        )
        written = []
        for page, article in items:
            try:
                spool(self.spool, page, article)
            except OSError as error:
                self._spool_error = f"{one_line(error)} writing to {self.spool}"
                failed = StoreResult(Outcome.FAILED, error=self._spool_error)
                written.append(_Written(failed, LossKind.SPOOL_FAILED))
                continue
            self._spooled += 1
            written.append(_Written(StoreResult(Outcome.SPOOLED)))
        return written

    def _stop_crawl(self) -> None:
        """The spool failed: say so in one line and close the spider (once); the crawl exits non-zero."""
        if self._stopping is not None or self.crawler is None or self.crawler.engine is None:
            return
        logger.error(
            "cannot spool articles while the database is unavailable (%s): stopping the crawl",
            self._spool_error,
        )
        self.report.spool_failed(self._spool_error or "")
        closing = self.crawler.engine.close_spider_async(reason=LossKind.SPOOL_FAILED)
        self._stopping = asyncio.ensure_future(closing)

    def _replay(self) -> bool:
        """Write back what was spooled, entry by entry; False when the database is still away."""
        report = replay(self.spool, self.corpus)
        self._spooled = len(spooled(self.spool))
        for entry in report.entries:
            self.report.replay(entry.result.outcome if entry.result is not None else Outcome.FAILED)
            if entry.result is None:
                logger.warning("%s: spooled article not stored, quarantined: %s", entry.url, entry.problem)
        if report.entries:
            logger.warning("database back: %d spooled articles written", len(report.stored))
        return report.stopped is None

    async def close_spider(self) -> None:
        self._flush()
        if self._writing is not None:
            await asyncio.shield(self._writing)
        if self._spooled:
            back = await asyncio.get_running_loop().run_in_executor(self._writer, self._replay)
            if not back:
                logger.warning(
                    "%d articles wait in %s: run `wiredesk replay` when the database is back",
                    self._spooled,
                    self.spool,
                )
        self._writer.shutdown(wait=True)


def clean_workers(settings: Any) -> int:
    """How many cleaning workers: WIREDESK_CLEAN_WORKERS, or one per CPU when it is unset."""
    workers = settings.get("WIREDESK_CLEAN_WORKERS")
    return os.cpu_count() or 1 if workers in (None, "") else int(workers)


def worker_pool(workers: int, memory_limit_mb: int, time_limit: float) -> WorkerPool | None:
    """The cleaning pool (None: clean in this process). A worker still on one page past twice the
    time limit is stuck in C, where the time limit's alarm cannot reach: it is killed."""
    stuck_after = 2 * time_limit + 10 if time_limit > 0 else 0
    return WorkerPool(workers, memory_limit_mb, stuck_after) if workers > 0 else None


def record_failure(corpus: Corpus, item: ArticlePage) -> None:
    """Keep the raw page lost on its way, so later crawls stop after a few tries (storage/failures.py).

    Its loss is counted already; a database that cannot take the row costs the row, not the crawl.
    """
    assert item.loss is not None
    try:
        record_failed_page(corpus.engine, item, item.loss.reason)
    except Exception as error:
        logger.warning("%s: failure not recorded (%s)", item.final_url, one_line(error))


def not_an_article(item: ArticlePage, article: cleaner.CleanArticle) -> bool:
    """The page says it is a listing or a profile (og:type, JSON-LD) and nothing says otherwise:
    neither a feed or sitemap that listed it nor an article-shaped URL."""
    if (article.page_type or "") not in _NOT_ARTICLE_TYPES:
        return False
    return not (item.listed or looks_like_article(item.final_url))

