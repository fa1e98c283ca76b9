"""Parsing feeds, sitemaps and robots.txt; sniffing what a document is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.discovery import Kind, detect_kind, parse_date, parse_feed, parse_sitemap, robots_sitemaps

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>One</title><link>https://ex.com/a/one-story-here</link>
<pubDate>Thu, 05 Dec 2024 15:34:00 GMT</pubDate></item>
<item><title>Two</title><guid isPermaLink="true">https://ex.com/a/two</guid></item>
<item><title>No link</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<entry><title>A</title><link rel="alternate" href="/a/relative-story"/><link rel="enclosure" href="/x.mp3"/>
<updated>2024-12-05T10:00:00Z</updated></entry></feed>"""

RDF = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<item rdf:about="https://ex.com/rdf-story"><title>R</title><link>https://ex.com/rdf-story</link>
<dc:date>2024-12-01T08:00:00+01:00</dc:date></item></rdf:RDF>"""

NEWS_SITEMAP = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://ex.com/n1</loc>
<lastmod>2024-12-01</lastmod><news:news><news:publication><news:name>Ex</news:name></news:publication>
<news:publication_date>2024-12-05T09:00:00+00:00</news:publication_date><news:title>Storm</news:title>
</news:news></url></urlset>"""

INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://ex.com/s1.xml</loc><lastmod>2024-01-01</lastmod></sitemap></sitemapindex>"""


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (RSS, Kind.FEED),
        (ATOM, Kind.FEED),
        (RDF, Kind.FEED),
        (NEWS_SITEMAP, Kind.SITEMAP),
        (INDEX, Kind.SITEMAP_INDEX),
        (b"<!doctype html><html><body>x</body></html>", Kind.HTML),
        (b"%PDF-1.4 binary", Kind.OTHER),
    ],
)
def test_detect_kind_from_content(body: bytes, kind: Kind) -> None:
    assert detect_kind(body, "text/plain") is kind


def test_rss_items() -> None:
    entries = parse_feed(RSS, "https://ex.com/rss")
    assert [e.url for e in entries] == ["https://ex.com/a/one-story-here", "https://ex.com/a/two"]
    assert entries[0].updated == datetime(2024, 12, 5, 15, 34, tzinfo=UTC)
    assert entries[0].title == "One"


def test_atom_alternate_link_resolved_against_the_feed() -> None:
    (entry,) = parse_feed(ATOM, "https://ex.com/feeds/atom.xml")
    assert entry.url == "https://ex.com/a/relative-story"
    assert entry.updated == datetime(2024, 12, 5, 10, tzinfo=UTC)


def test_rdf_items() -> None:
    (entry,) = parse_feed(RDF, "https://ex.com/rdf")
    assert entry.url == "https://ex.com/rdf-story"
    assert entry.updated is not None and entry.updated.utcoffset() is not None


def test_news_sitemap_uses_publication_date_and_title() -> None:
    (entry,) = parse_sitemap(NEWS_SITEMAP, "https://ex.com/news.xml")
    assert entry.url == "https://ex.com/n1"
    assert entry.updated == datetime(2024, 12, 5, 9, tzinfo=UTC)
    assert entry.title == "Storm"


def test_sitemap_index_children() -> None:
    (entry,) = parse_sitemap(INDEX, "https://ex.com/sitemap.xml")
    assert entry.url == "https://ex.com/s1.xml"
    assert entry.updated == datetime(2024, 1, 1, tzinfo=UTC)


def test_hostile_xml_is_not_expanded() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">
    <!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><item><link>&x;</link></item></channel></rss>"""
    assert all("root:" not in e.url for e in parse_feed(bomb, "https://ex.com/"))
    assert parse_feed(b"not xml at all", "https://ex.com/") == []


def test_robots_sitemap_lines() -> None:
    text = b"User-agent: *\nDisallow: /private/\nSitemap: https://ex.com/a.xml\nsitemap:/b.xml.gz\n"
    assert robots_sitemaps(text, "https://ex.com/robots.txt") == [
        "https://ex.com/a.xml",
        "https://ex.com/b.xml.gz",
    ]


@pytest.mark.parametrize("value", [None, "", "yesterday", "2024-13-45"])
def test_bad_dates_are_none(value: str | None) -> None:
    assert parse_date(value) is None
