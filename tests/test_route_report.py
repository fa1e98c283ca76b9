"""Every count of a crawl reaches its one report (crawler/report.py), which the summary, `--report`
and the daemon's runs read: the listings read by kind, the older feed pages asked for and the
corpus questions the database was away for used to reach Scrapy's stats only; why a page holds no
article travels typed (`DropReason`), never as a bare string."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler
from twisted.internet import defer

import crawler.corpusgate
from crawler.corpusgate import LISTING_META, READ_AT_META, CorpusGate
from crawler.output import print_report
from crawler.report import CrawlReport, DropReason, crawl_report
from crawler.settings_registry import SETTINGS
from crawler.sources import Source
from crawler.spiders.news import NewsSpider
from storage import Corpus, make_engine

SITE = "https://news.example"
SOURCE = Source("ex", (f"{SITE}/rss.xml",))
# A feed whose one entry is newer than its last read, naming its older page (RFC 5005).
FEED = f"""<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>News</title>
<atom:link rel="next" href="{SITE}/rss.xml?page=2"/>
<item><link>{SITE}/2024/12/05/storm</link><pubDate>Thu, 05 Dec 2024 09:00:00 GMT</pubDate></item>
</channel></rss>"""
SECTION = f'<html><body><a href="{SITE}/2024/12/05/flood">Flood</a></body></html>'


def _spider() -> NewsSpider:
    defaults = {setting.name: setting.value() for setting in SETTINGS}
    return NewsSpider.from_crawler(get_crawler(NewsSpider, defaults), sources=[SOURCE])


def _read(spider: NewsSpider, url: str, body: str, content_type: str, **meta: Any) -> list[Any]:
    request = Request(url, meta={"source": SOURCE.name, **meta})
    response = TextResponse(url, body=body.encode(), headers={"Content-Type": content_type}, request=request)
    return list(spider.parse_start(response))


def _summary(report: CrawlReport) -> str:
    out = io.StringIO()
    print_report(report, Console(file=out, width=200))
    return out.getvalue()


def test_the_listings_read_and_the_older_feed_pages_reach_the_report() -> None:
    spider = _spider()
    last_read = datetime(2024, 12, 1, tzinfo=UTC)
    _read(spider, f"{SITE}/rss.xml", FEED, "application/rss+xml", **{READ_AT_META: last_read})
    _read(spider, f"{SITE}/world/", SECTION, "text/html")
    report = crawl_report(spider.crawler)
    figures = report.figures()
    assert figures["listings"] == {"feed": 1, "html": 1}
    assert figures["older_feed_pages"] == 1
    assert "listings read: feed ×1, html ×1; older feed pages asked for: 1" in _summary(report)


def test_a_question_the_database_was_away_for_reaches_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate asks about a listing's validators with the database away: it goes on as if nothing
    was stored, and the report counts it (asked here in this thread, as the reactor's would)."""
    in_this_thread: Callable[[Callable[[], Any]], Any] = defer.maybeDeferred
    monkeypatch.setattr(crawler.corpusgate, "deferToThread", in_this_thread)
    monkeypatch.setattr(crawler.corpusgate, "maybe_deferred_to_future", lambda deferred: deferred)
    scrapy_crawler = get_crawler(settings_dict={"WIREDESK_CLEAN_FAILURES": 3})
    gate = CorpusGate(scrapy_crawler, Corpus(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/gone")))
    asyncio.run(gate.process_request(Request(f"{SITE}/rss.xml", meta={LISTING_META: True})))
    report = crawl_report(scrapy_crawler)
    assert report.figures()["database_unavailable"] == 1
    assert "database unavailable to 1 corpus questions" in _summary(report)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (None, DropReason.NO_TEXT),
        ("empty body", DropReason.EMPTY_BODY),
        ("binary body", DropReason.BINARY_BODY),
        ("unparseable HTML", DropReason.UNPARSEABLE_HTML),
        ("no article found", DropReason.NO_ARTICLE_FOUND),
        ("cleaner failed: RecursionError (maximum recursion depth exceeded)", DropReason.CLEANER_FAILED),
        ("a reason no cleaner gives yet", DropReason.OTHER),
    ],
)
def test_each_error_of_the_cleaner_is_a_typed_drop_reason(error: str | None, reason: DropReason) -> None:
    report = CrawlReport()
    report.drop(DropReason.of_error(error))
    assert list(report.no_article) == [reason] and type(next(iter(report.no_article))) is DropReason
