"""URL normalisation, canonical URLs and the article-shaped-URL guess."""

from __future__ import annotations

import pytest

from crawler.urls import looks_like_article
from storage.urls import Identity, is_http, normalise_url, page_identity, same_site


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.COM:443/a/b?utm_source=x&b=2&a=1#top", "https://www.example.com/a/b?a=1&b=2"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x?fbclid=1&gclid=2&id=7", "http://example.com:8080/x?id=7"),
        ("https://example.com/x?UTM_Campaign=a&mc_eid=b", "https://example.com/x"),
        ("https://example.com/x?q=", "https://example.com/x?q="),
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_identity_is_the_declared_url_on_the_same_site_else_the_pages_own() -> None:
    page = "https://news.example.com/story-1?utm_source=x"
    own = "https://news.example.com/story-1"
    assert page_identity(page, "https://example.com/world/story-1") == Identity(
        "https://example.com/world/story-1"
    )
    assert page_identity(page, "/world/story-1#top") == Identity("https://news.example.com/world/story-1")
    assert page_identity(page, None) == page_identity(page, "  ") == Identity(own)
    for broken in ("javascript:void(0)", "http://example.com:port/x", "http://[::1/x"):
        assert page_identity(page, broken) == Identity(own), broken


def test_a_canonical_url_on_another_site_is_the_declared_original_not_the_identity() -> None:
    page = "https://portal.example/news/ferry-talks-123456"
    original = "https://wire.example/a/ferry-talks"
    assert page_identity(page, original) == Identity(normalise_url(page), original)


def test_a_canonical_url_too_long_to_store_is_not_followed() -> None:
    page = "https://news.example.com/story-1"
    too_long = "https://news.example.com/" + "x" * 3000
    assert page_identity(page, too_long) == page_identity(page, "https://other.example/" + "x" * 3000)
    assert page_identity(page, too_long) == Identity(page)


@pytest.mark.parametrize(
    "url",
    [
        "https://apnews.com/article/russia-lavrov-osce-ukraine-4e5f6a7b8c9d0e1f2a3b",
        "https://www.reuters.com/world/europe/lavrov-says-russia-goals-unchanged-2023-12-01/",
        "https://example.com/2024/05/01/storm.html",
        "https://example.com/news/world-news-68123456",
        "https://www.upi.com/Top_News/World-News/2024/12/05/ferry-rules/1234567890/",
    ],
)
def test_article_urls(url: str) -> None:
    assert looks_like_article(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://apnews.com/hub/world-news",
        "https://example.com/",
        "https://example.com/tag/ukraine-war-latest-news",
        "https://example.com/author/jane-doe-senior-writer",
        "https://example.com/video/watch-ministers-arrive-for-the-talks",
        "https://example.com/gallery/pictures-of-the-week-in-review",
        "https://example.com/world/",
        "https://example.com/images/2024/05/01/photo-of-the-storm.jpg",
    ],
)
def test_non_article_urls(url: str) -> None:
    assert not looks_like_article(url)


def test_same_site_and_schemes() -> None:
    assert same_site("https://news.example.com/a", "http://example.com/")
    assert not same_site("https://example.com.evil.org/a", "https://example.com/")
    assert is_http("https://x.org/") and is_http("http://x.org/")
    assert not any(
        is_http(u) for u in ("file:///etc/passwd", "ftp://x.org/f", "data:text/html,hi", "javascript:x")
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/" + "a" * 5000 + "-b-c-d",
        "https://example.com/x/" + "a1-" * 3000 + "/",
        "https://example.com/news/story-" + "1" * 4000,
    ],
)
def test_a_long_path_is_judged_at_once(url: str) -> None:
    assert looks_like_article(url)
