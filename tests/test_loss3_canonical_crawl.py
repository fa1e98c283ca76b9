"""End to end: a site whose template names its featured story's URL as every page's og:url.

The first crawl stores three articles while the featured page is not listed yet (one of them holds
its URL by that false claim); the second crawl finds the featured page in the feed, dated after the
first crawl (every entry is, so the three are fetched again too). Old code, on both backends:
3 articles, the featured page's text a revision of the first article, which the first page,
fetched again in the same crawl, turned back: the featured URL showed another story's text, and
the featured text was current nowhere. Now 4 articles of 4, each text under its own URL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pytest
from conftest import crawl_report, one_source
from sqlalchemy import Engine, select

from crawler.newsroom import Loopback, Site
from crawler.newsroom.bulk import bulk_story
from storage.models import Article

FEATURED = 4204
NUMBERS = (4201, 4202, 4203)


def _page(number: int, og_url: str) -> str:
    story = bulk_story(number)
    paragraphs = "".join(f"<p>{escape(text)}</p>" for text in story.paragraphs)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(story.headline)}</title><meta property='og:url' content='{og_url}'>"
        "<meta property='og:type' content='article'></head>"
        f"<body><main><article><h1>{escape(story.headline)}</h1>{paragraphs}</article></main></body></html>"
    )


def _path(number: int) -> str:
    return f"/news/2026/12/03/story-{number}.html"


class FeaturedSite(Loopback):
    """Articles whose og:url is the featured story's URL, listed by an Atom feed."""

    def __init__(self) -> None:
        self.site = Site("featured", "127.0.0.44")
        super().__init__((self.site,))

    def build(self) -> None:
        featured = self.site.url(_path(FEATURED))
        for number in (*NUMBERS, FEATURED):
            self.site.add(_path(number), _page(number, featured))
        self.list(NUMBERS, "2026-12-03T08:00:00Z")

    def list(self, numbers: tuple[int, ...], updated: str) -> None:
        entries = "".join(
            f"<entry><title>{n}</title><link href='{_path(n)}'/><updated>{updated}</updated></entry>"
            for n in numbers
        )
        feed = f"<feed xmlns='http://www.w3.org/2005/Atom'><title>F</title>{entries}</feed>"
        self.site.add("/feed.xml", feed, "application/atom+xml")


@pytest.mark.slow
def test_the_featured_page_fetched_after_false_claims_is_its_own_article(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with FeaturedSite() as site:
        args = one_source(tmp_path / "sources.toml", [site.site.url("/feed.xml")])
        first = crawl_report(db_url, tmp_path / "first.json", *args)
        assert first["new"] == 3, first
        site.list((FEATURED, *NUMBERS), datetime.now(UTC).isoformat())
        crawl_report(db_url, tmp_path / "second.json", *args)
    with engine.connect() as connection:
        current = {url: body for url, body in connection.execute(select(Article.url, Article.text))}
    expected = {site.site.url(_path(n)): bulk_story(n).paragraphs[0] for n in (*NUMBERS, FEATURED)}
    assert {url: body.split("\n")[0] for url, body in current.items()} == expected
