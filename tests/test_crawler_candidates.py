"""Which listed URLs the spider fetches, and the reason it gives for each one it does not.

Feed and sitemap entries are articles by the publisher's own declaration: only the source's
bounds apply (http(s), its sites, `article_deny`, --days). Links scraped from section pages must
also look like articles, unless the source's `article_allow` says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from cleaner import CleanArticle
from crawler.discovery import Entry
from crawler.items import ArticlePage
from crawler.pipelines import not_an_article
from crawler.report import crawl_report
from crawler.settings_registry import SETTINGS
from crawler.sources import Source
from crawler.spiders.news import LISTED_META, NewsSpider
from storage import make_engine
from storage.pending import FoundBy
from storage.schema import upgrade

SITE = "https://news.example"
# Article URLs of real sites that no guess from the URL's shape takes for articles.
REAL_SHAPES = [
    "/news/articles/cy4m84d2xz2o",
    "/p/12345",
    "/story?id=4567",
    "/a/short-slug",
    "/world/lavrov-walkout",
]


@pytest.fixture
def make_spider(tmp_path: Path) -> Iterator[Callable[..., NewsSpider]]:
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()

    def build(source: Source, **settings: object) -> NewsSpider:
        defaults = {setting.name: setting.value() for setting in SETTINGS}
        crawler = get_crawler(NewsSpider, {**defaults, "WIREDESK_DB": db_url, **settings})
        return NewsSpider.from_crawler(crawler, sources=[source])

    yield build


def source(**rules: object) -> Source:
    return Source("ex", (f"{SITE}/rss.xml",), **rules)  # type: ignore[arg-type]


def urls(requests: Iterable[object]) -> list[str]:
    return [request.url for request in requests if isinstance(request, Request)]


def skips(spider: NewsSpider) -> dict[str, int]:
    return crawl_report(spider.crawler).not_fetched


def test_feed_entries_are_fetched_whatever_their_shape(make_spider: Callable[..., NewsSpider]) -> None:
    src = source()
    spider = make_spider(src)
    entries = [Entry(SITE + path) for path in REAL_SHAPES]
    assert urls(spider._article_requests(entries, src, FoundBy.FEED)) == [SITE + p for p in REAL_SHAPES]
    assert skips(spider) == {}


def test_section_links_must_look_like_articles(make_spider: Callable[..., NewsSpider]) -> None:
    src = source()
    spider = make_spider(src)
    links = [Entry(SITE + path) for path in [*REAL_SHAPES, "/2024/12/05/storm"]]
    assert urls(spider._article_requests(links, src, FoundBy.SECTION)) == [f"{SITE}/2024/12/05/storm"]
    assert skips(spider) == {"not_article_shaped": 5}


def test_article_allow_overrides_the_shape_guess_on_section_links(
    make_spider: Callable[..., NewsSpider],
) -> None:
    src = source(article_allow=(r"/(a|p)/",))
    spider = make_spider(src)
    links = [Entry(SITE + path) for path in [*REAL_SHAPES, "/2024/12/05/storm"]]
    assert urls(spider._article_requests(links, src, FoundBy.SECTION)) == [
        f"{SITE}/p/12345",
        f"{SITE}/a/short-slug",
    ]
    assert skips(spider) == {"not_in_article_allow": 4}


def test_bounds_apply_to_feed_entries_and_each_url_is_counted_once(
    make_spider: Callable[..., NewsSpider],
) -> None:
    src = source(article_deny=(r"/live/",))
    spider = make_spider(src, WIREDESK_SINCE="2024-12-01")
    old = datetime(2024, 11, 1, tzinfo=UTC)
    entries = [
        Entry(f"{SITE}/live/blog"),
        Entry("https://elsewhere.example/p/1"),
        Entry("ftp://news.example/p/2"),
        Entry(f"{SITE}/p/3", old),
        Entry(f"{SITE}/p/3?utm_source=rss", old),
        Entry("http://news.example:port/p/4"),
        Entry(f"{SITE}/p/5", datetime(2024, 12, 5, tzinfo=UTC)),
    ]
    assert urls(spider._article_requests(entries, src, FoundBy.FEED)) == [f"{SITE}/p/5"]
    assert urls(spider._article_requests(entries, src, FoundBy.FEED)) == []
    assert skips(spider) == {
        "article_deny": 1,
        "offsite": 1,
        "not_http": 1,
        "before_since": 1,
        "bad_url": 1,
    }


def test_a_link_skipped_on_a_section_page_and_then_listed_by_a_feed_is_not_counted(
    make_spider: Callable[..., NewsSpider],
) -> None:
    src = source()
    spider = make_spider(src)
    entry = Entry(f"{SITE}/world/lavrov-walkout")
    assert urls(spider._article_requests([entry], src, FoundBy.SECTION)) == []
    assert skips(spider) == {"not_article_shaped": 1}
    assert urls(spider._article_requests([entry], src, FoundBy.FEED)) == [entry.url]
    assert skips(spider) == {}


@pytest.mark.parametrize(("listed", "stored"), [(True, True), (False, False)])
def test_a_listed_page_typed_website_is_still_an_article(
    make_spider: Callable[..., NewsSpider], listed: bool, stored: bool
) -> None:
    """Publishers mark article pages og:type "website" too: a feed's word outweighs it; a section
    link at a URL no guess takes for an article does not."""
    src = source()
    spider = make_spider(src)
    (request,) = spider._article_requests([Entry(f"{SITE}/p/12345")], src, FoundBy.FEED)
    assert request.meta[LISTED_META] is True
    page = ArticlePage.fetched(
        url=request.url,
        final_url=request.url,
        source="ex",
        fetched_at=datetime.now(UTC),
        http_status=200,
        body=b"",
        listed=listed,
    )
    article = CleanArticle(text="A story.", page_type="website")
    assert not_an_article(page, article) is not stored
