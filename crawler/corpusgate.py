"""The crawl's read side of the corpus, at download time: what is stored decides what is fetched.

The spider says what it wants (an article, with the date its listing gave; a listing that may be
answered 304); this downloader middleware asks the corpus, off the reactor thread, just before the
request would be sent:
- an article already stored and not changed since (by its listing's date, or past its revisit
  window), or given up after WIREDESK_CLEAN_FAILURES failures, is not fetched (`stored_unchanged`,
  `failed_before`), nor one past WIREDESK_MAX_ARTICLES (`max_articles`);
- an article URL is sent once per run, whoever asks: a resumed crawl's queue and the listing read
  again both ask for the pages queued at the interruption. One not sent is judged again when
  asked for again: another listing may date it later;
- a start listing gets the validators of its last complete crawl (conditional GET), and the feeds'
  and sitemaps' new validators are saved when the crawl ends complete.

Deciding here rather than when the listing is read is what makes a resumed crawl fetch nothing
stored: its queue was written before the pages were.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.report import Skip, crawl_report
from storage import Corpus, open_corpus
from storage.engine import DB_UNAVAILABLE, one_line
from storage.failures import failed_attempts

logger = logging.getLogger(__name__)
Answer = TypeVar("Answer")

ARTICLE_META = "wiredesk_article"
"""Request meta of an article request: its `Wanted`."""
LISTING_META = "wiredesk_listing"
"""Request meta of a feed, sitemap or section page: True, or CONDITIONAL for a start listing
fetched with its validators (its response may be a 304)."""
CONDITIONAL = "conditional"
KIND_META = "wiredesk_kind"
"""Response meta the spider sets on a listing: what it found it to be (`crawler.discovery.Kind`)."""
READ_AT_META = "wiredesk_read_at"
"""Request meta of a listing: when a crawl last read it (None: never), for the spider to tell a feed
that overflowed since (crawler/spiders/feeds.py)."""
# Listings whose validators are kept: an unchanged sitemap index or section page can still lead
# to new pages, so those are read in full every time.
_VALIDATED_KINDS = frozenset({"feed", "sitemap"})


@dataclass(frozen=True)
class Wanted:
    """Why a stored article would be fetched again: its listing dates it later than the last fetch,
    or it was last fetched longer ago than `revisit_hours`."""

    listed_at: datetime | None = None
    revisit_hours: float | None = None

    def changed_since(self, fetched_at: datetime) -> bool:
        if self.listed_at is not None and self.listed_at > fetched_at:
            return True
        return self.revisit_hours is not None and datetime.now(UTC) - fetched_at > timedelta(
            hours=self.revisit_hours
        )


@dataclass(frozen=True)
class _Facts:
    """What the corpus knows of some article URLs: when each stored one was last fetched, and how
    many times each failed one failed."""

    known: dict[str, datetime]
    failures: dict[str, int]


class NotFetched(IgnoreRequest):
    """A request the gate chose not to send; already counted (`CrawlReport.skipped`)."""


class CorpusGate:
    """Downloader middleware: the corpus's answers for the spider's requests (module docstring)."""

    def __init__(self, crawler: Any, corpus: Corpus) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.report = crawl_report(crawler)
        self.corpus = corpus
        limit = settings.get("WIREDESK_MAX_ARTICLES")
        self.max_articles = int(limit) if limit not in (None, "") else None
        self.max_failures = settings.getint("WIREDESK_CLEAN_FAILURES")
        self.articles_sent = 0
        self._sent: set[str] = set()
        """Article URLs sent this run: each is fetched once."""
        self._judged: dict[str, Skip] = {}
        """Article URLs not sent, with the reason they are counted under (each URL counted once)."""
        self._waiting: list[tuple[str, Wanted, asyncio.Future[str | None]]] = []
        """Article requests waiting for the corpus's answer. They are judged in the order the
        scheduler sends them: a second request for a URL gets its answer after the first's, and
        --max-articles takes the first ones. Those that came while a batch was asked about go
        together in the next: one thread hop and two queries for all of them."""
        self._judging: asyncio.Future[None] | None = None
        self._listings: list[tuple[str, tuple[str | None, str | None], dict[str, Any]]] = []
        """Listings answered with validators: URL, (ETag, Last-Modified), the meta the spider marks."""
        self._warned = False
        self.started_at = datetime.now(UTC)
        """When the crawl began: its listings count as read then (before any of them was fetched)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> CorpusGate:
        gate = cls(crawler, open_corpus(crawler.settings.get("WIREDESK_DB"), migrate=True))
        crawler.signals.connect(gate.spider_closed, signal=signals.spider_closed)
        return gate

    async def process_request(self, request: Request) -> None:
        meta = request.meta
        if meta.get(LISTING_META) and READ_AT_META not in meta:
            await self._add_listing_state(request)
        wanted = meta.get(ARTICLE_META)
        if wanted is None or meta.get("redirect_urls"):
            return
        url = request.url
        if meta.get("retry_times"):  # the same fetch, tried again
            self._sent.add(url)
            return
        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((url, wanted, answer))
        if self._judging is None or self._judging.done():
            self._judging = asyncio.ensure_future(self._judge_waiting())
        reason = await answer
        if reason is not None:
            raise NotFetched(f"{reason}: {url}")

    async def _judge_waiting(self) -> None:
        """Judge the waiting requests, a batch at a time, until none waits; a request whose
        judging failed (a bug: a database away is handled) is sent, as when the corpus is away."""
        while self._waiting:
            batch, self._waiting = self._waiting, []
            urls = list(dict.fromkeys(url for url, _, _ in batch if url not in self._sent))
            facts = _Facts({}, {})
            try:
                if urls:
                    facts = await self._in_thread(partial(self._facts, urls), facts)
            except Exception as error:
                logger.error("judging %d article requests failed: %s", len(batch), one_line(error))
            for url, wanted, answer in batch:
                if not answer.done():  # not cancelled
                    answer.set_result(self._admit(url, wanted, facts))

    def _facts(self, urls: list[str]) -> _Facts:
        """In a thread: what the corpus knows of these URLs (a URL held by a claim only is unknown:
        its page was never fetched)."""
        rows = self.corpus.known_urls(urls).items()
        known = {url: row.last_fetched_at for url, row in rows if not row.claimed}
        unknown = [url for url in urls if url not in known]
        return _Facts(known, failed_attempts(self.corpus.engine, unknown) if unknown else {})

    def _admit(self, url: str, wanted: Wanted, facts: _Facts) -> Skip | str | None:
        """Let the article request through (None), or count why not, once per URL, and say why."""
        if url in self._sent:
            return "already requested"
        reason = self._judge(url, wanted, facts)
        if reason is None and self.max_articles is not None and self.articles_sent >= self.max_articles:
            reason = Skip.MAX_ARTICLES
        counted = self._judged.pop(url, None)
        if counted is not None and counted != reason:
            self.report.skip(counted, -1)
        if reason is not None:
            if counted != reason:
                self.report.skip(reason)
            self._judged[url] = reason
            return reason
        self._sent.add(url)
        self.articles_sent += 1
        return None

    def _judge(self, url: str, wanted: Wanted, facts: _Facts) -> Skip | None:
        """Why the corpus says `url` is not worth a fetch; None when it is."""
        fetched_at = facts.known.get(url)
        if fetched_at is not None:
            return None if wanted.changed_since(fetched_at) else Skip.STORED_UNCHANGED
        if facts.failures.get(url, 0) >= self.max_failures:
            return Skip.FAILED_BEFORE
        return None

    async def _add_listing_state(self, request: Request) -> None:
        """When the listing was last read, for the spider; its validators, for a conditional GET."""
        url = request.url
        seen = (await self._in_thread(lambda: self.corpus.listing_validators([url]), {})).get(url)
        request.meta[READ_AT_META] = seen.read_at if seen is not None else None
        if seen is None or request.meta.get(LISTING_META) != CONDITIONAL:
            return
        for header, value in (("If-None-Match", seen.etag), ("If-Modified-Since", seen.last_modified)):
            if value:
                request.headers[header] = value

    async def _in_thread(self, question: Callable[[], Answer], unknown: Answer) -> Answer:
        """What the corpus says, asked in a thread, or `unknown` while the database is away.

        Not knowing costs a fetch of a page already stored (storing it again changes nothing),
        where failing here would lose it.
        """
        try:
            return await maybe_deferred_to_future(deferToThread(question))
        except DB_UNAVAILABLE as error:
            self.report.corpus_unavailable()
            if not self._warned:
                self._warned = True
                logger.warning(
                    "database unavailable (%s): fetching as if nothing was stored",
                    one_line(error),
                )
            return unknown

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get(LISTING_META) and response.status == 200:
            validators = (_header(response, b"ETag"), _header(response, b"Last-Modified"))
            self._listings.append((response.url, validators, request.meta))
        return response

    async def spider_closed(self, spider: Any, reason: str) -> None:
        """Keep when the feeds and sitemaps read were read; their validators only after a complete crawl.

        A listing answered 304 next time is not read again, so whatever it listed must be stored
        by now: not after a kill, an article limit, failed article fetches, or entries left out as
        older than --since/--days (a later crawl without the window would never see them). Its
        entries were all seen (stored or pending) either way: the read counts, for every crawl.
        """
        skipped = self.report.skipped
        partial = skipped[Skip.MAX_ARTICLES] or skipped[Skip.BEFORE_SINCE]
        complete = reason == "finished" and not (self.report.errors or partial)
        read = {url: pair for url, pair, meta in self._listings if meta.get(KIND_META) in _VALIDATED_KINDS}
        if read:
            await maybe_deferred_to_future(deferToThread(self.save_validators, read, complete))

    def save_validators(
        self, validators: dict[str, tuple[str | None, str | None]], complete: bool = True
    ) -> None:
        """In a thread: keep the reads (and validators); a database away costs them, with a warning."""
        try:
            self.corpus.save_listing_validators(validators, self.started_at, complete)
        except DB_UNAVAILABLE as error:
            # Losing them costs one full listing next time, never an article: say so and go on.
            logger.warning("listing validators not saved (%s): the next crawl reads every listing", error)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
