"""Politeness and incremental crawling against a fresh loopback newsroom per test."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FAST, run_wiredesk

from crawler.newsroom import Newsroom
from crawler.newsroom.stories import FERRY_FIRE_2019, RAIL_STRIKE


@pytest.fixture
def fresh_newsroom() -> Iterator[Newsroom]:
    """A newsroom of its own: its 429-once page and request log start anew."""
    with Newsroom() as running:
        yield running


def crawl(newsroom: Newsroom, tmp_path: Path, *extra: str) -> str:
    sources = tmp_path / "sources.toml"
    sources.write_text(newsroom.sources_toml(), encoding="utf-8")
    result = run_wiredesk(
        "crawl", "--sources", str(sources), "--db", f"sqlite:///{tmp_path / 'c.db'}", *FAST, *extra
    )
    return result.stderr


def stored_paths(tmp_path: Path) -> set[str]:
    with sqlite3.connect(tmp_path / "c.db") as connection:
        return {url.split("/", 3)[3] for (url,) in connection.execute("SELECT url FROM articles")}


def test_robots_txt_forbidden_paths_are_never_requested(fresh_newsroom: Newsroom, tmp_path: Path) -> None:
    summary = crawl(fresh_newsroom, tmp_path)
    assert not [path for _site, path in fresh_newsroom.requests if path.startswith("/private/")]
    assert "robots.txt ×1" in summary


def test_429_is_retried_after_retry_after(fresh_newsroom: Newsroom, tmp_path: Path) -> None:
    crawl(fresh_newsroom, tmp_path)
    path = f"/news/world-news/{RAIL_STRIKE.slug}/"
    assert [p for _site, p in fresh_newsroom.requests].count(path) == 2
    assert path.lstrip("/") in stored_paths(tmp_path)


def test_redirect_off_the_source_is_dropped_and_counted(fresh_newsroom: Newsroom, tmp_path: Path) -> None:
    summary = crawl(fresh_newsroom, tmp_path)
    assert "redirected off-site ×1" in summary
    with sqlite3.connect(tmp_path / "c.db") as connection:
        portal_rows = connection.execute("SELECT source FROM articles WHERE url LIKE '%184522%'").fetchall()
    assert portal_rows == [("portal",)]


def test_since_skips_old_sitemap_entries_before_fetching(fresh_newsroom: Newsroom, tmp_path: Path) -> None:
    summary = crawl(fresh_newsroom, tmp_path, "--since", "2024-01-01")
    old = f"/article/{FERRY_FIRE_2019.slug}"
    assert old not in {path for _site, path in fresh_newsroom.requests}
    assert "older than --days ×1" in summary
    assert len(stored_paths(tmp_path)) == 12


@pytest.mark.slow
def test_listing_date_newer_than_last_fetch_refetches(fresh_newsroom: Newsroom, tmp_path: Path) -> None:
    crawl(fresh_newsroom, tmp_path)
    site = fresh_newsroom.wire
    feed = site.routes["/rss.xml"]
    feed.body = feed.body.replace(b"2024-12-04T12:00:00+00:00", b"2099-01-01T00:00:00+00:00")
    fresh_newsroom.requests.clear()
    crawl(fresh_newsroom, tmp_path)
    fetched = {path for _site, path in fresh_newsroom.requests}
    assert "/article/central-bank-holds-rates-inflation-eases" in fetched
    assert "/article/baltic-ferry-safety-talks-valletta" not in fetched


@pytest.mark.slow
def test_revisit_window_refetches_stored_articles(fresh_newsroom: Newsroom, tmp_path: Path) -> None:
    crawl(fresh_newsroom, tmp_path)
    fresh_newsroom.requests.clear()
    crawl(fresh_newsroom, tmp_path, "-s", "WIREDESK_REVISIT_HOURS=0")
    fetched = {path for _site, path in fresh_newsroom.requests}
    assert "/article/baltic-ferry-safety-talks-valletta" in fetched
