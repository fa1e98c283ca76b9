"""Listings that lose entries: one damaged entry of a sitemap must cost that entry, not the rest;
a sitemap as big as the protocol allows must be read.

libxml2's recovering parser stops the whole document at a stray end tag, and nests every later
entry inside one whose tag never closes: a sitemap of 1,000 articles with one bad `<loc>` near
its top gave 11, with no error nor count anywhere. And a sitemap past DOWNLOAD_MAXSIZE (16 MB),
which sitemaps.org allows up to 50 MB, was cancelled whole: none of its articles fetched. A
crawl with --days kept its listings' validators, so the next crawl, without --days, was answered
304 and never saw the older entries. A listing whose root element was not seen (past a long
leading comment, or in UTF-16) was dropped whole as "not a feed, sitemap or HTML page".
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import COMMAND_DEADLINE, FAST, REPO, WIREDESK

from crawler.discovery import Kind, detect_kind, parse_feed, parse_sitemap
from crawler.newsroom import Newsroom
from crawler.newsroom.bulk import bulk_path
from crawler.newsroom.server import Document

ENTRIES = 300
DAMAGE = ["</foo>", "<b>", "<loc>x", "</url></urlset>", "</loc></url><url>"]
NEWS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'


def _sitemap(damage: str, root: str = "urlset", entry: str = "url") -> bytes:
    items = [
        f"<{entry}><loc>http://127.0.0.2/news/{n}{damage if n == 10 else ''}</loc>"
        f"<lastmod>2024-03-0{n % 9 + 1}</lastmod>"
        f"<news:news><news:title>Story {n}</news:title></news:news></{entry}>"
        for n in range(ENTRIES)
    ]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} '
        f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" {NEWS}>{"".join(items)}</{root}>'
    ).encode()


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_sitemap_entry_costs_no_other_entry(damage: str) -> None:
    entries = parse_sitemap(_sitemap(damage), "http://127.0.0.2/sitemap.xml")
    urls = [entry.url for entry in entries]
    assert len(urls) == len(set(urls))
    assert {f"http://127.0.0.2/news/{n}" for n in range(ENTRIES) if n != 10} <= set(urls)
    last = next(entry for entry in entries if entry.url.endswith(f"/{ENTRIES - 1}"))
    assert (last.title, last.updated and last.updated.day) == (f"Story {ENTRIES - 1}", (ENTRIES - 1) % 9 + 1)


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_sitemap_index_entry_costs_no_other_sitemap(damage: str) -> None:
    body = _sitemap(damage, root="sitemapindex", entry="sitemap")
    urls = {entry.url for entry in parse_sitemap(body, "http://127.0.0.2/index.xml")}
    assert {f"http://127.0.0.2/news/{n}" for n in range(ENTRIES) if n != 10} <= urls


def test_a_sound_sitemap_is_read_as_before() -> None:
    entries = parse_sitemap(_sitemap(""), "http://127.0.0.2/sitemap.xml")
    assert [entry.url for entry in entries] == [f"http://127.0.0.2/news/{n}" for n in range(ENTRIES)]


def test_a_sitemap_bigger_than_an_article_may_be_is_read_whole(tmp_path: Path) -> None:
    """20 MB: 20,000 entries dated before --since (skipped as such, counted), then 3 articles."""
    old = "".join(
        f"<url><loc>http://127.0.0.5/archive/{n}/{'x' * 960}</loc><lastmod>2001-01-01</lastmod></url>"
        for n in range(20_000)
    )
    with Newsroom(bulk_articles=3) as newsroom:
        recent = "".join(
            f"<url><loc>{newsroom.bulk.url(bulk_path(n))}</loc><lastmod>2024-06-01</lastmod></url>"
            for n in range(3)
        )
        body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{old}{recent}</urlset>'.encode()
        assert len(body) > 16 * 1024 * 1024
        newsroom.bulk.routes["/sitemap-all.xml"] = Document(body, "application/xml")
        report = tmp_path / "report.json"
        command = [WIREDESK, "crawl", "--url", newsroom.bulk.url("/sitemap-all.xml"), "--since", "2020-01-01"]
        result = subprocess.run(
            [*command, "--db", f"sqlite:///{tmp_path / 'c.db'}", "--report", str(report), *FAST],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=COMMAND_DEADLINE,
        )
    assert result.returncode == 0, result.stderr
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert (figures["errors"], figures["new"], figures["skipped"]) == ({}, 3, {"before_since": 20_000})


def _crawl(url: str, db: Path, report: Path, *options: str) -> dict[str, object]:
    command = [WIREDESK, "crawl", "--url", url, "--db", f"sqlite:///{db}", "--report", str(report)]
    result = subprocess.run(
        [*command, *FAST, *options], cwd=REPO, capture_output=True, text=True, timeout=COMMAND_DEADLINE
    )
    assert result.returncode == 0, result.stderr
    figures: dict[str, object] = json.loads(report.read_text(encoding="utf-8"))
    return figures


@pytest.mark.slow
def test_entries_left_out_by_since_are_fetched_by_a_later_crawl_without_it(tmp_path: Path) -> None:
    with Newsroom(bulk_articles=6) as newsroom:
        entries = "".join(
            f"<url><loc>{newsroom.bulk.url(bulk_path(n))}</loc>"
            f"<lastmod>{'2024-06-01' if n % 2 else '2001-01-01'}</lastmod></url>"
            for n in range(6)
        )
        body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'.encode()
        newsroom.bulk.routes["/dated-sitemap.xml"] = Document(body, "application/xml")
        url, db = newsroom.bulk.url("/dated-sitemap.xml"), tmp_path / "c.db"
        recent = _crawl(url, db, tmp_path / "recent.json", "--since", "2020-01-01")
        everything = _crawl(url, db, tmp_path / "all.json")
    assert (recent["new"], recent["skipped"]) == (3, {"before_since": 3})
    assert (everything["new"], everything["errors"]) == (3, {})


def _feed() -> str:
    links = (f"<item><title>T{n}</title><link>http://127.0.0.2/news/{n}</link></item>" for n in range(5))
    items = "".join(links)
    return f'<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel>{items}</channel></rss>'


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_listing_is_read(encoding: str) -> None:
    feed = _feed().encode(encoding)
    assert detect_kind(feed, "application/rss+xml") is Kind.FEED
    assert len(parse_feed(feed, "http://127.0.0.2/rss.xml")) == 5
    sitemap = _sitemap("").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode(encoding)
    assert detect_kind(sitemap) is Kind.SITEMAP
    assert len(parse_sitemap(sitemap, "http://127.0.0.2/sitemap.xml")) == ENTRIES


def test_a_listing_behind_a_long_leading_comment_is_read() -> None:
    comment = "<!-- " + "generated by a plugin, " * 400 + "-->"
    sitemap = _sitemap("").replace(b"?>\n", b'?>\n<?xml-stylesheet href="/s.xsl"?>' + comment.encode(), 1)
    assert detect_kind(sitemap, "text/xml") is Kind.SITEMAP
    assert len(parse_sitemap(sitemap, "http://127.0.0.2/sitemap.xml")) == ENTRIES


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_doctype_behind_a_long_comment_is_still_dropped(encoding: str) -> None:
    """Read now that its root is found, a feed's DOCTYPE must still go before feedparser expands it."""
    comment = "<!-- " + "generated by a plugin, " * 400 + "-->"
    doctype = "<!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
    feed = _feed().replace("?><rss", f"?>{comment}{doctype}<rss").replace("<title>T0", "<title>&b;T0")
    feed = feed.replace('encoding="utf-16"', f'encoding="{encoding}"')
    entries = parse_feed(feed.encode(encoding), "http://127.0.0.2/rss.xml")
    assert len(entries) == 5
    assert "aaaa" not in (entries[0].title or "")
