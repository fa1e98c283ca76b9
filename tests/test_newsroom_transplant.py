"""Transplanted pages: one page's template carrying another story, served per publisher on loopback."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime

import pytest

from cleaner import clean
from crawler.newsroom import pages
from crawler.newsroom.stories import ADRIATIC_STORM, FERRY_TALKS, RAIL_STRIKE, ROMAN_ROAD, Story
from crawler.newsroom.transplant import (
    BodyNotFound,
    PublisherSites,
    RecordedPage,
    ServedPage,
    article_path,
    dated,
    transplant,
)

WHEN = datetime(2024, 5, 6, 7, 8, tzinfo=UTC)


def recorded(story: Story, html: str, publisher: str = "publisher") -> RecordedPage:
    return RecordedPage(
        name=story.slug,
        publisher=publisher,
        url=f"https://{publisher}.example/{story.slug}",
        html=html,
        title=story.headline,
        paragraphs=story.paragraphs,
        language="en",
        published=None,
    )


CARRIER = recorded(
    ADRIATIC_STORM,
    pages.publisher_article(ADRIATIC_STORM, "https://publisher.example/storm", [("/x", ROMAN_ROAD.headline)]),
)


def test_a_transplanted_page_carries_the_story_and_nothing_of_the_carriers() -> None:
    html = transplant(CARRIER, "Ferry rules agreed", FERRY_TALKS.paragraphs, WHEN)
    article = clean(html)
    assert article.title == "Ferry rules agreed"
    assert article.published == WHEN
    for paragraph in FERRY_TALKS.paragraphs:
        assert paragraph in article.text
    for paragraph in ADRIATIC_STORM.paragraphs:
        assert paragraph not in html
    assert ADRIATIC_STORM.headline not in html
    # The carrier's furniture stays: a republished story looks like its carrier.
    assert "Latest World News" in html and ROMAN_ROAD.headline in html


def test_a_shorter_story_leaves_no_empty_slots_and_a_longer_one_follows_the_last() -> None:
    short = transplant(CARRIER, "Short", FERRY_TALKS.paragraphs[:2], WHEN)
    long = transplant(CARRIER, "Long", FERRY_TALKS.paragraphs * 3, WHEN)
    assert clean(short).text.split("\n") == list(FERRY_TALKS.paragraphs[:2])
    assert clean(long).text.count(FERRY_TALKS.paragraphs[-1]) == 3


def test_a_page_whose_article_cannot_be_located_is_refused() -> None:
    elsewhere = recorded(RAIL_STRIKE, CARRIER.html)
    with pytest.raises(BodyNotFound):
        transplant(elsewhere, "Anything", ["A paragraph."], WHEN)


def test_dated_pages_have_one_publication_time_and_no_foreign_canonical() -> None:
    html = dated(CARRIER, WHEN)
    assert clean(html).published == WHEN
    assert "https://publisher.example/storm" not in html
    assert html.count("article:published_time") == 1


def test_publisher_sites_serve_their_pages_and_a_sitemap_each() -> None:
    served = [
        ServedPage("one", article_path("Ferry rules agreed", WHEN, 1), dated(CARRIER, WHEN)),
        ServedPage("two", article_path("Über alles: Zölle", WHEN, 2), transplant(CARRIER, "X", ["Y."], WHEN)),
    ]
    assert served[1].path == "/news/2024/05/06/uber-alles-zolle-2.html"
    with PublisherSites(served) as sites:
        for page in served:
            with urllib.request.urlopen(sites.url(page), timeout=30) as answer:
                assert answer.read().decode("utf-8") == page.html
        sitemap_url = sites.url(ServedPage("two", "/sitemap.xml", ""))
        with urllib.request.urlopen(sitemap_url, timeout=30) as answer:
            sitemap = answer.read().decode("utf-8")
        assert sites.url(served[1]) in sitemap and sites.url(served[0]) not in sitemap
        assert sitemap_url in sites.sources_toml()
