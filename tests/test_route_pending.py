"""The pending keeper (crawler/pendingkeeper.py) owns the crawl's pending articles beside a spider
that does discovery and requests only: it writes a listing's rows before its requests go on (one
write per listing), asks for the due URLs before the spider's start requests, and hears what became
of each request and page through signals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from scrapy import Request, signals
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

import crawler.pendingkeeper
from crawler.corpusgate import ARTICLE_META
from crawler.pendingkeeper import PendingKeeper, request_failed
from crawler.settings_registry import SETTINGS
from crawler.sources import Source
from crawler.spiders.news import NewsSpider
from storage.pending import FoundBy

SITE = "https://news.example"
SOURCE = Source("ex", (f"{SITE}/rss.xml",))
ARTICLES = [f"{SITE}/2024/12/05/storm", f"{SITE}/2024/12/05/flood"]
FEED = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
{"".join(f"<item><link>{url}</link></item>" for url in ARTICLES)}</channel></rss>"""
SECTION = f'<html><body><a href="{SITE}/2024/12/06/drought">Drought</a></body></html>'
DUE = f"{SITE}/2024/12/01/pending"


class Recorder:
    """Stands for PendingArticles: what the keeper asks of it, in order."""

    def __init__(self, crawler: Any, sources: dict[str, Source]) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def due(self, src: Source) -> dict[str, FoundBy]:
        self.calls.append(("due", src.name))
        return {DUE: FoundBy.SECTION}

    def listed(self, src: Source, urls: list[str], found_by: FoundBy) -> None:
        self.calls.append(("listed", src.name, urls, found_by))

    def stored(self, item: Any) -> None:
        self.calls.append(("stored", item))

    def dropped(self, item: Any) -> None:
        self.calls.append(("dropped", item))

    def request_failed(self, request: Request, failure: Failure, kind: str) -> None:
        self.calls.append(("failed", request.url, kind))

    async def close(self) -> None:
        self.calls.append(("closed",))


@pytest.fixture
def keeper(monkeypatch: pytest.MonkeyPatch) -> PendingKeeper:
    monkeypatch.setattr(crawler.pendingkeeper, "PendingArticles", Recorder)
    defaults = {setting.name: setting.value() for setting in SETTINGS}
    scrapy_crawler = get_crawler(NewsSpider, defaults)
    scrapy_crawler.spider = NewsSpider.from_crawler(scrapy_crawler, sources=[SOURCE])
    return PendingKeeper(scrapy_crawler)


async def _each(outputs: Iterable[Any]) -> AsyncIterator[Any]:
    for output in outputs:
        yield output


def _response(url: str, body: str, content_type: str) -> TextResponse:
    request = Request(url, meta={"source": SOURCE.name})
    return TextResponse(url, body=body.encode(), headers={"Content-Type": content_type}, request=request)


def test_a_listings_rows_are_written_before_its_requests_go_on(keeper: PendingKeeper) -> None:
    spider, calls = keeper.crawler.spider, keeper.pending.calls

    async def passed(response: TextResponse) -> list[str]:
        urls = []
        async for output in keeper.process_spider_output(response, _each(spider.parse_start(response))):
            assert any(output.url in call[2] for call in calls), f"{output.url} went on unrecorded"
            urls.append(output.url)
        return urls

    outputs = [
        *asyncio.run(passed(_response(f"{SITE}/rss.xml", FEED, "application/rss+xml"))),
        *asyncio.run(passed(_response(f"{SITE}/world/", SECTION, "text/html"))),
    ]
    assert outputs == [*ARTICLES, f"{SITE}/2024/12/06/drought"]
    assert calls == [
        ("listed", "ex", ARTICLES, FoundBy.FEED),
        ("listed", "ex", [f"{SITE}/2024/12/06/drought"], FoundBy.SECTION),
    ]


def test_other_requests_pass_as_they_come_and_end_a_listings_run(keeper: PendingKeeper) -> None:
    spider = keeper.crawler.spider
    page = _response(f"{SITE}/world/", SECTION, "text/html")
    article = next(iter(spider.parse_start(page)))
    listing = Request(f"{SITE}/world/?page=2", meta={"source": SOURCE.name})

    async def passed() -> list[Any]:
        outputs = _each([listing, article, listing, article])
        return [output async for output in keeper.process_spider_output(page, outputs)]

    assert asyncio.run(passed()) == [listing, article, listing, article]
    assert [call[0] for call in keeper.pending.calls] == ["listed", "listed"]


def test_the_due_urls_come_before_the_spiders_start_requests(keeper: PendingKeeper) -> None:
    async def started() -> list[Request]:
        return [request async for request in keeper.process_start(keeper.crawler.spider.start())]

    first, *rest = asyncio.run(started())
    assert first.url == DUE and ARTICLE_META in first.meta
    assert [request.url for request in rest] == list(SOURCE.start_urls)
    assert keeper.pending.calls == [("due", "ex")]


def test_a_shared_crawls_worker_asks_for_no_due_url(keeper: PendingKeeper) -> None:
    keeper.crawler.spider.worker = True

    async def started() -> list[Request]:
        return [request async for request in keeper.process_start(keeper.crawler.spider.start())]

    assert asyncio.run(started()) == [] and keeper.pending.calls == []


def test_what_became_of_a_request_reaches_the_keeper_by_signal(keeper: PendingKeeper) -> None:
    request = Request(ARTICLES[0])
    keeper.crawler.signals.send_catch_log(
        request_failed, request=request, failure=Failure(ConnectionError()), kind="refused"
    )
    for signal in (signals.item_scraped, signals.item_dropped):
        keeper.crawler.signals.send_catch_log(signal, item="page", response=None, spider=None)
    expected = [("failed", ARTICLES[0], "refused"), ("stored", "page"), ("dropped", "page")]
    assert keeper.pending.calls == expected
