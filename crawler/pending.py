"""The crawl's side of the pending articles (storage/pending.py): an article a listing named is asked
for by later crawls of its source until it is stored, even once no listing names it any more.

The spider tells this what its feeds, sitemaps and section pages lead it to ask for, which
article fetches failed and what became of each article page; each write is one statement for many
URLs, made in this object's one thread, in order, off the reactor thread (as the corpus gate asks
its questions). A database that cannot take a write costs that record, never the crawl: the URL is
then only as safe as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from crawler.items import ArticlePage
from crawler.report import Skip, crawl_report
from storage import Due, note_done, note_failed, note_listed, take_due
from storage.engine import one_line, shared_engine

logger = logging.getLogger(__name__)
# Outcomes and failures are written by the batch (and at the end of the crawl).
_BATCH = 50


class PendingArticles:
    """What the crawl records of its article URLs not stored yet, and asks for again (module docstring)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.db_url = crawler.settings.get("WIREDESK_DB")
        self.max_tries = crawler.settings.getint("WIREDESK_PENDING_TRIES")
        self.max_failures = crawler.settings.getint("WIREDESK_CLEAN_FAILURES")
        self._engine: Engine | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="wiredesk-pending")
        self._done: list[tuple[str, str]] = []
        self._failed: list[tuple[str, str, str]] = []
        self._warned = False

    async def due(self, source: str) -> list[str]:
        """The pending URLs of `source` to ask for in this crawl; those given up are counted."""
        answer = await asyncio.wrap_future(self._thread.submit(self._take_due, source))
        if answer.given_up:
            crawl_report(self.crawler).skip(Skip.PENDING_GIVEN_UP, answer.given_up)
            logger.info("%s: %d pending articles given up", source, answer.given_up)
        return answer.urls

    def listed(self, source: str, urls: list[str]) -> None:
        """A listing of `source` (feed, sitemap or section page) led to requests for these article
        URLs (as Scrapy spells them)."""
        if urls:
            self._write(
                lambda engine: note_listed(engine, source, urls, datetime.now(UTC), self.max_failures)
            )

    def stored(self, item: Any) -> None:
        """An article page went through the pipelines: stored (or spooled, which is stored later)."""
        if isinstance(item, ArticlePage):
            self._add_done(item)

    def dropped(self, item: Any) -> None:
        """An article page was dropped: one without an article is done with, one lost is a failed try.

        A page the store refused keeps its entry, untouched: tried again until given up.
        """
        if not isinstance(item, ArticlePage):
            return
        if item.loss is not None:
            self.failed(item.source, item.url, item.loss.kind)
        elif item.article is None:
            self._add_done(item)

    def failed(self, source: str, url: str, kind: str) -> None:
        """A fetch of an article URL failed (counted if the URL is pending)."""
        self._failed.append((source, url, kind))
        if len(self._failed) >= _BATCH:
            self._flush()

    def close(self) -> Deferred[None]:
        """Write what is left and wait for every write: the crawl ends with its records made."""
        self._flush()
        return deferToThread(self._thread.shutdown, wait=True)

    def _add_done(self, item: ArticlePage) -> None:
        self._done.append((item.source, item.url))
        if len(self._done) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        done, self._done = self._done, []
        failed, self._failed = self._failed, []
        if done:
            self._write(lambda engine: note_done(engine, done))
        if failed:
            self._write(lambda engine: note_failed(engine, failed, datetime.now(UTC)))

    def _write(self, write: Callable[[Engine], None]) -> None:
        self._thread.submit(self._guarded, write)

    def _guarded(self, write: Callable[[Engine], None]) -> None:
        """In the thread: make the write; a failure costs this record only, with one warning a crawl."""
        try:
            write(self._engine_now())
        except Exception as error:
            if not self._warned:
                self._warned = True
                logger.warning("pending articles not recorded (%s)", one_line(error))

    def _take_due(self, source: str) -> Due:
        try:
            now = datetime.now(UTC)
            return take_due(self._engine_now(), source, self.max_tries, now, self.max_failures)
        except Exception as error:
            logger.warning("%s: pending articles not read (%s)", source, one_line(error))
            return Due([], 0)

    def _engine_now(self) -> Engine:
        if self._engine is None:
            self._engine = shared_engine(self.db_url, migrate=True)
        return self._engine
