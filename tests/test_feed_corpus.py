"""Feeds and sitemaps as real sites serve them: each shape read by crawler.discovery, checked
against what we expect and against a reference parser (feedparser for feeds, Scrapy's sitemap
helpers for sitemaps).

Where our reading differs from the reference on purpose, the case says why (`better`), and the
test checks that the reference still gets it wrong: the day it does not, our code can go.
"""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
import pytest
from feedcases import BASE, FEEDS, Case, U, item, rss
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from sitemapcases import SITEMAPS

from crawler.discovery import Entry, Kind, detect_kind, parse_date, parse_feed, parse_sitemap, unpacked

CORPUS = FEEDS + SITEMAPS


def _utc(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def ours(case: Case) -> list[tuple[str, datetime | None]]:
    body = unpacked(case.body)
    parse = parse_feed if case.kind is Kind.FEED else parse_sitemap
    return [(entry.url, entry.updated) for entry in parse(body, BASE)]


def reference(case: Case) -> list[tuple[str, datetime | None]]:
    """What feedparser (feeds) or Scrapy's Sitemap (sitemaps, gunzipped by Scrapy) reads."""
    if case.kind is Kind.FEED:
        body = gunzip(case.body) if case.body.startswith(b"\x1f\x8b") else case.body
        parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": BASE})
        found = []
        for entry in parsed.entries:
            if entry.get("link"):
                dates = [entry[k] for k in ("published_parsed", "updated_parsed") if k in entry]
                when = max(datetime(*d[:6], tzinfo=UTC) for d in dates) if dates else None
                found.append((urljoin(BASE, entry.link), when))
        return found
    body = gunzip(case.body) if case.body.startswith(b"\x1f\x8b") else case.body
    return [(entry["loc"], parse_date(entry.get("lastmod"))) for entry in Sitemap(body)]


def test_the_corpus_has_thirty_shapes_and_every_kind() -> None:
    assert len(CORPUS) >= 30
    assert {case.kind for case in CORPUS} == {Kind.FEED, Kind.SITEMAP, Kind.SITEMAP_INDEX}
    assert len({case.name for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_kind_is_sniffed_whatever_the_content_type(case: Case) -> None:
    assert detect_kind(unpacked(case.body), case.content_type) is case.kind


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_entries_are_the_listed_urls_and_dates(case: Case) -> None:
    assert ours(case) == [(url, _utc(when)) for url, when in case.expected]


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_the_reference_parser_gives_the_same_entries(case: Case) -> None:
    """Same entries as feedparser / Scrapy's Sitemap; where not, the reference is the one wrong."""
    if case.better:
        assert reference(case) != ours(case), f"the reference now reads {case.name} right: {case.better}"
    else:
        assert reference(case) == ours(case)


def test_the_entity_bomb_is_not_expanded() -> None:
    """The DOCTYPE is dropped before feedparser reads the feed: the same entries, no expansion
    (which feedparser does, up to expat's amplification limit: megabytes from a small feed)."""
    bomb = next(case for case in FEEDS if case.name == "rss-entity-bomb")
    (entry,) = parse_feed(bomb.body, BASE)
    assert "aaaa" not in (entry.title or "") and "root:" not in (entry.title or "")
    assert "aaaa" in feedparser.parse(io.BytesIO(bomb.body)).entries[0].title


def test_gzip_past_the_size_cap_is_a_clear_error() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 2_000_000 + b"</urlset>")
    with pytest.raises(ValueError, match="unpacks past 1000000 bytes"):
        unpacked(bomb, max_size=1_000_000)
    with pytest.raises(ValueError, match="broken gzip"):
        unpacked(b"\x1f\x8b\x08garbage")


def test_entries_keep_feed_order_and_titles() -> None:
    entries = parse_feed(rss(item(f"{U}/p/1") + item(f"{U}/p/2")), BASE)
    assert entries == [Entry(f"{U}/p/1", None, "A story"), Entry(f"{U}/p/2", None, "A story")]
