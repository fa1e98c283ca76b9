"""Politeness and incremental crawling against a fresh loopback newsroom per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FAST, column_values, run_wiredesk

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
    return {url.split("/", 3)[3] for url in column_values(tmp_path / "c.db", "SELECT url FROM articles")}


@dataclass(frozen=True)
class FirstCrawl:
    """A fresh newsroom's first crawl: where it stored, its summary, and the paths it asked for."""

    directory: Path
    summary: str
    requested: list[str]


# The three tests that only read a fresh newsroom's first crawl share one, on a newsroom of the
# module's own: `xdist_group` sends them to one process, and the session scope makes it crawl once
# there (tests/conftest.py).
FIRST_CRAWL = pytest.mark.xdist_group("politeness_first_crawl")


@pytest.fixture(scope="session")
def first_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstCrawl]:
    directory = tmp_path_factory.mktemp("politeness")
    with Newsroom() as newsroom:
        summary = crawl(newsroom, directory)
        yield FirstCrawl(directory, summary, [path for _site, path in newsroom.requests])


@FIRST_CRAWL
def test_robots_txt_forbidden_paths_are_never_requested(first_crawl: FirstCrawl) -> None:
    assert not [path for path in first_crawl.requested if path.startswith("/private/")]
    assert "robots.txt ×1" in first_crawl.summary


@FIRST_CRAWL
def test_429_is_retried_after_retry_after(first_crawl: FirstCrawl) -> None:
    path = f"/news/world-news/{RAIL_STRIKE.slug}/"
    assert first_crawl.requested.count(path) == 2
    assert path.lstrip("/") in stored_paths(first_crawl.directory)


@FIRST_CRAWL
def test_redirect_off_the_source_is_dropped_and_counted(first_crawl: FirstCrawl) -> None:
    assert "redirected off-site ×1" in first_crawl.summary
    sql = "SELECT source FROM articles WHERE url LIKE '%184522%'"
    assert column_values(first_crawl.directory / "c.db", sql) == ["portal"]


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
