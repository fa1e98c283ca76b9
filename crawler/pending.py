"""The crawl's side of the pending articles (storage/pending.py): an article a listing named is asked
for by later crawls of its source until it is stored, even once no listing names it any more.

The pending keeper (crawler/pendingkeeper.py) tells this what the spider's feeds, sitemaps and
section pages lead it to ask for, which article fetches failed and what became of each article
page, and asks it for the URLs due at the start; each write is one statement for many
URLs, made in this object's one thread, in order, off the reactor thread (as the corpus gate asks
its questions). A database that cannot take a write costs that record, never the crawl: the URL is
then only as safe as before.

Rows are kept under their source's name; an ad-hoc crawl's (`--url`, source `adhoc`) under the site
the URL belongs to (`adhoc:<site>`), so that a resumed `--url` crawl asks for its own sites' URLs,
not those of every ad-hoc crawl into the same database.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import Engine
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from crawler.corpusgate import ARTICLE_META
from crawler.fetchfailures import SKIP_KINDS, refusal_reason
from crawler.items import ArticlePage
from crawler.report import Skip, crawl_report
from crawler.sources import Source
from storage import Due, note_done, note_failed, note_listed, take_due
from storage.engine import database_away, one_line, shared_engine
from storage.models import PendingArticle
from storage.pending import FoundBy, note_refused
from storage.urls import same_site, site_of

logger = logging.getLogger(__name__)
# Outcomes and failures are written by the batch (and at the end of the crawl).
_BATCH = 50
ADHOC = "adhoc"
"""The source of `--url` crawls (crawler.sources.adhoc_source)."""
_KEY_CHARS = PendingArticle.__table__.c.source.type.length


def pending_keys(src: Source) -> list[str]:
    """What a source's pending rows are kept under: its name; an ad-hoc source's, one key a site."""
    return [_site_key(domain) for domain in src.domains] if src.name == ADHOC else [src.name]


def pending_key(src: Source, url: str) -> str:
    """What the pending row of `url`, asked for by `src`, is kept under (`pending_keys`)."""
    if src.name != ADHOC:
        return src.name
    return _site_key(next((d for d in src.domains if same_site(url, "http://" + d)), site_of(url)))


def _site_key(site: str) -> str:
    key = f"{ADHOC}:{site}"
    return key if len(key) <= _KEY_CHARS else f"{ADHOC}:{hashlib.sha256(site.encode()).hexdigest()}"


class PendingArticles:
    """What the crawl records of its article URLs not stored yet, and asks for again (module docstring)."""

    def __init__(self, crawler: Any, sources: dict[str, Source]) -> None:
        self.crawler = crawler
        self.sources = sources
        """The crawl's sources by name (the spider's, which a worker adds to as it learns them)."""
        self.db_url = crawler.settings.get("WIREDESK_DB")
        self.max_tries = crawler.settings.getint("WIREDESK_PENDING_TRIES")
        self.max_failures = crawler.settings.getint("WIREDESK_CLEAN_FAILURES")
        self._engine: Engine | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="wiredesk-pending")
        self._done: list[tuple[str, str]] = []
        self._failed: list[tuple[str, str, str]] = []
        self._refused: list[tuple[str, str, str]] = []
        self._unwritten: list[Callable[[Engine], None]] = []
        """Writes the database refused for being away, in order: made again before the next one
        (touched only in the thread)."""
        self._warned = False

    async def due(self, src: Source) -> dict[str, FoundBy]:
        """The pending URLs of `src` to ask for in this crawl, with what named each; those given up
        are counted."""
        urls: dict[str, FoundBy] = {}
        for key in pending_keys(src):
            answer = await asyncio.wrap_future(self._thread.submit(self._take_due, key))
            if answer.given_up:
                crawl_report(self.crawler).skip(Skip.PENDING_GIVEN_UP, answer.given_up)
                logger.info("%s: %d pending articles given up", key, answer.given_up)
            urls.update(answer.urls)
        return urls

    def listed(self, src: Source, urls: list[str], found_by: FoundBy) -> None:
        """A listing of `src` (feed, sitemap or section page: `found_by`) led to requests for these
        article URLs (as Scrapy spells them)."""
        by_key: dict[str, list[str]] = {}
        for url in urls:
            by_key.setdefault(pending_key(src, url), []).append(url)
        now, bound = datetime.now(UTC), self.max_failures
        for key, chunk in by_key.items():
            self._write(lambda engine, k=key, c=chunk: note_listed(engine, k, c, now, bound, found_by))

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
            self._add(self._failed, (self._key(item.source, item.url), item.url, item.loss.kind))
        elif item.article is None:
            self._add_done(item)

    def request_failed(self, request: Request, failure: Failure, kind: str) -> None:
        """A request failed (`kind`): an article's is a failed try, or a refusal on purpose (robots.txt,
        a redirect off its sites: held back, no try counted); either only if the URL is pending."""
        if ARTICLE_META not in request.meta:
            return
        url = request.meta.get("redirect_urls", [request.url])[0]
        key = self._key(request.meta.get("source", "?"), url)
        if kind in SKIP_KINDS:
            self._add(self._refused, (key, url, refusal_reason(failure, kind)))
        else:
            self._add(self._failed, (key, url, kind))

    async def close(self) -> None:
        """Write what is left and wait for every write: the crawl ends with its records made."""
        await maybe_deferred_to_future(deferToThread(self.finish))

    def finish(self) -> None:
        """Write what is left, those a database away refused included, and wait for every write;
        what still cannot be written is said once, with its count."""
        self._flush()
        self._thread.submit(self._write_unwritten).result()
        self._thread.shutdown(wait=True)
        if self._unwritten:
            logger.warning(
                "%d pending-article records not written (the database is unavailable): the URLs"
                " they name are asked for again only while a listing names them",
                len(self._unwritten),
            )

    def _key(self, source: str, url: str) -> str:
        src = self.sources.get(source)
        return source if src is None else pending_key(src, url)

    def _add_done(self, item: ArticlePage) -> None:
        self._add(self._done, (self._key(item.source, item.url), item.url))

    def _add(self, records: list[Any], record: tuple[str, ...]) -> None:
        records.append(record)
        if len(records) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        done, self._done = self._done, []
        failed, self._failed = self._failed, []
        refused, self._refused = self._refused, []
        now = datetime.now(UTC)
        if done:
            self._write(lambda engine: note_done(engine, done))
        if failed:
            self._write(lambda engine: note_failed(engine, failed, now))
        if refused:
            self._write(lambda engine: note_refused(engine, refused, now))

    def _write(self, write: Callable[[Engine], None]) -> None:
        self._thread.submit(self._guarded, write)

    def _guarded(self, write: Callable[[Engine], None]) -> None:
        """In the thread: make the write. One the database refused for being away (a restart, a lock
        held past the busy timeout) is kept and made again before the next, in order, and at the end:
        a listing's URLs written while PostgreSQL restarted were lost, so an article whose fetch then
        failed was lost for good once off its listing. Any other failure costs this record only."""
        self._unwritten.append(write)
        self._write_unwritten()

    def _write_unwritten(self) -> None:
        while self._unwritten:
            try:
                self._unwritten[0](self._engine_now())
            except Exception as error:
                if not self._warned:
                    self._warned = True
                    logger.warning("pending articles not recorded (%s)", one_line(error))
                if database_away(error):
                    return  # kept, with those after it
            self._unwritten.pop(0)

    def _take_due(self, source: str) -> Due:
        try:
            now = datetime.now(UTC)
            return take_due(self._engine_now(), source, self.max_tries, now, self.max_failures)
        except Exception as error:
            logger.warning("%s: pending articles not read (%s)", source, one_line(error))
            return Due({}, 0)

    def _engine_now(self) -> Engine:
        if self._engine is None:
            self._engine = shared_engine(self.db_url, migrate=True)
        return self._engine
