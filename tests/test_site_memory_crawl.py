"""Site memory in a real crawl: a template's UI string learnt from the site's own pages, taken out of
the pages cleaned after, and out of the first pages by the re-cleaning that follows the crawl."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FAST, run_wiredesk
from memorysite import UI_LINE, MemorySite

ARTICLES = 12
# One page at a time, cleaned as it arrives (no worker to start) and stored at once, the memory
# read for every page: each page is usually stored before the next arrives, so the crawl-time
# effect shows after a handful of pages (the bound below leaves room for a slow machine).
SEQUENTIAL = [
    *("-s", "CONCURRENT_REQUESTS=1", "-s", "WIREDESK_STORE_BATCH=1", "-s", "WIREDESK_CLEAN_WORKERS=0"),
    *("-s", "WIREDESK_SITE_MEMORY_REFRESH=0", "-s", "DOWNLOAD_DELAY=0.3"),
]


@pytest.fixture
def site() -> Iterator[MemorySite]:
    with MemorySite(ARTICLES) as served:
        yield served


def test_a_crawl_learns_the_template_line_and_every_page_loses_it(site: MemorySite, tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(site.sources_toml(), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'corpus.db'}"
    run_wiredesk("crawl", "--sources", str(sources), "--db", db, *FAST, *SEQUENTIAL)
    with sqlite3.connect(tmp_path / "corpus.db") as connection:
        texts = [text for (text,) in connection.execute("SELECT text FROM articles")]
        fetched = [text for (text,) in connection.execute("SELECT text FROM revisions WHERE cause = 'fetch'")]
        recleaned = connection.execute(
            "SELECT count(*) FROM revisions r JOIN articles a ON a.id = r.article_id "
            "WHERE r.cause = 'reclean' AND r.number = a.revision_count"
        ).fetchone()[0]
    assert len(texts) == len(fetched) == ARTICLES
    # Cleaned as stored: the first pages (no memory yet) carry the line, the later ones do not.
    carrying = sum(UI_LINE in text for text in fetched)
    assert 3 <= carrying <= ARTICLES - 4
    # After the crawl, the pages stored before the memory formed were cleaned again.
    assert not any(UI_LINE in text for text in texts)
    assert recleaned == carrying
    explained = run_wiredesk("clean", site.article_urls()[0], "--explain", "--db", db).stdout
    assert "site-memory" in explained and UI_LINE in explained.split("removed", 1)[1]
    # A re-cleaning finds nothing more to change: it is idempotent.
    again = run_wiredesk("reclean", "--all", "--db", db).stdout
    assert f"examined {ARTICLES}, changed 0, unchanged {ARTICLES}, failed 0" in again
