"""Pending article URLs (storage/pending.py) that were lost, or kept for nothing.

- A link of a section page, requested and not stored (its fetch failed, the crawl was killed), was
  not kept: only feed and sitemap entries were. Once off the section page (a home page shows its
  latest 20 links), no crawl asked for it again.
- A pending URL whose page was lost WIREDESK_CLEAN_FAILURES times is not fetched any more (the
  corpus gate skips it as `failed_before`), so no try of it was ever counted: every crawl asked for
  it and skipped it, for 7 days, and every listing naming it wrote it again. Now it is given up
  (`pending_given_up`) and not written again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import FAST, column_values, run_wiredesk
from sqlalchemy import Engine

from crawler.newsroom import Newsroom, pages
from crawler.newsroom.stories import GRAIN_CORRIDOR
from storage import FetchedPage, note_listed, take_due
from storage.failures import record_failed_page

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
LOST = "http://example.com/lost"
FINE = "http://example.com/fine"


def _lose(engine: Engine, url: str, times: int) -> None:
    page = FetchedPage(url, url, url, "s", NOW - timedelta(hours=1), 200, b"<html></html>")
    for _ in range(times):
        record_failed_page(engine, page, "worker_died")


def test_a_pending_url_lost_as_often_as_the_gate_allows_is_given_up(engine: Engine, db_url: str) -> None:
    note_listed(engine, "s", [LOST, FINE], NOW, max_failures=2)
    _lose(engine, LOST, 2)
    _lose(engine, FINE, 1)
    due = take_due(engine, "s", 5, NOW, max_failures=2)
    assert (list(due.urls), due.given_up) == ([FINE], 1)
    assert set(column_values(db_url, "SELECT url FROM pending_articles")) == {FINE}


def test_a_listing_naming_a_url_the_gate_gave_up_does_not_keep_it_again(
    engine: Engine, db_url: str
) -> None:
    _lose(engine, LOST, 2)
    note_listed(engine, "s", [LOST, FINE], NOW, max_failures=2)
    assert set(column_values(db_url, "SELECT url FROM pending_articles")) == {FINE}


@pytest.mark.slow
def test_a_section_link_whose_fetch_failed_is_stored_after_it_left_the_section(tmp_path: Path) -> None:
    db, sources = tmp_path / "c.db", tmp_path / "sources.toml"
    story = replace(GRAIN_CORRIDOR, slug="grain-corridor-late")
    with Newsroom() as newsroom:
        portal = newsroom.portal
        path = f"/news/2026/12/02/{story.slug}.html"
        portal.add(path, pages.portal_article(story, portal.url(path)), failures=1000)  # 503, retries too
        section = portal.add("/late/", f"<html><body><a href='{path}'>Grain corridor</a></body></html>")
        sources.write_text(f'[sources.portal]\nstart_urls = ["{portal.url("/late/")}"]\n', encoding="utf-8")
        crawl = ("crawl", "portal", "--sources", str(sources), "--db", f"sqlite:///{db}", *FAST)
        run_wiredesk(*crawl)
        portal.routes[path].failures = 0
        section.body = b"<html><body><p>Nothing new.</p></body></html>"
        run_wiredesk(*crawl)
    with sqlite3.connect(db, timeout=30) as connection:
        stored = [url for (url,) in connection.execute("SELECT url FROM articles")]
        left = connection.execute("SELECT count(*) FROM pending_articles").fetchone()[0]
    assert stored == [portal.url(path)] and left == 0
