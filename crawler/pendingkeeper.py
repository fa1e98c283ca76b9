"""The pending articles beside the spider (crawler/pending.py): the spider does discovery and requests
only, this spider middleware asks for what earlier crawls left pending and records the rest.

- `process_start`: before the spider's start requests, each source's due pending URLs, asked for
  as first found (`NewsSpider.due_request`); those given up are counted.
- `process_spider_output`: the article requests a listing led to (marked `FOUND_BY_META`) are
  recorded pending, one write per listing, before they go on to the scheduler: a row is always
  written before the page it names can be stored and its row closed.
- signals: `item_scraped` / `item_dropped` close an article page's row or count a failed try,
  `request_failed` (the spider's errback) counts a failed fetch or holds back a refused one,
  `spider_closed` writes what is left and waits for it.

Every read and write runs in `PendingArticles`' own thread, in order, off the reactor thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request, signals
from scrapy.http import Response

from crawler.pending import PendingArticles
from storage.pending import FoundBy

FOUND_BY_META = "wiredesk_found_by"
"""Request meta of an article request a listing led to: what listed it (`FoundBy`'s value)."""
request_failed = object()
"""Signal the spider sends when a request failed (`request`, `failure`, `kind`, as
`crawler.fetchfailures.failure_kind` names it); not for a request the corpus gate chose not to send."""


class PendingKeeper:
    """Spider middleware that owns the crawl's `PendingArticles` (module docstring)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.pending = PendingArticles(crawler, crawler.spider.sources)
        crawler.signals.connect(self.pending.stored, signals.item_scraped)
        crawler.signals.connect(self.pending.dropped, signals.item_dropped)
        crawler.signals.connect(self.pending.request_failed, request_failed)
        crawler.signals.connect(self.pending.close, signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> PendingKeeper:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The due pending articles of each source, then the spider's start requests (a shared
        crawl's worker asks for none: it takes requests from Redis)."""
        spider = self.crawler.spider
        if not spider.worker:
            for src in list(spider.sources.values()):
                for url, found_by in (await self.pending.due(src)).items():
                    yield spider.due_request(url, src, found_by)
        async for output in start:
            yield output

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """The spider's output as it comes, a listing's article requests held until their rows are
        on their way (a run of requests of one listing: one write)."""
        listing: list[Request] = []
        async for output in result:
            if listing and not _same_listing(listing[0], output):
                for request in self._recorded(listing):
                    yield request
                listing = []
            if _found_by(output) is None:
                yield output
            else:
                listing.append(output)
        for request in self._recorded(listing):
            yield request

    def _recorded(self, listing: list[Request]) -> list[Request]:
        """The article requests one listing led to, once their pending rows are on their way."""
        if listing:
            first = listing[0]
            src = self.crawler.spider.source_of(first.meta)
            found_by = _found_by(first)
            assert found_by is not None
            self.pending.listed(src, [request.url for request in listing], found_by)
        return listing


def _found_by(output: Any) -> FoundBy | None:
    """What listed an article request; None for anything else the spider yields."""
    if not isinstance(output, Request) or FOUND_BY_META not in output.meta:
        return None
    return FoundBy(output.meta[FOUND_BY_META])


def _same_listing(first: Request, output: Any) -> bool:
    """`output` is an article request of the same listing as `first` (same source, same kind)."""
    return _found_by(output) == _found_by(first) and output.meta.get("source") == first.meta.get("source")
