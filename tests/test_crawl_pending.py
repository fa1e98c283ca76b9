"""An article a feed named but a crawl missed (its fetch failed, --max-articles left it in the queue)
is stored by the next crawl even once the feed no longer names it (storage/pending.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import COMMAND_DEADLINE, FAST, column_values, row_count, run_wiredesk, start_wiredesk

from crawler.newsroom import Newsroom, pages
from crawler.newsroom.stories import GRAIN_CORRIDOR, HARBOUR_REOPENS

# Stories the portal does not carry, under slugs of their own: each a new article when stored.
STORIES = (replace(GRAIN_CORRIDOR, slug="grain-corridor-late"), replace(HARBOUR_REOPENS, slug="harbour-late"))


def _add_to_feed(newsroom: Newsroom, story: Any) -> str:
    """Put the story on the portal and in its feed; its path."""
    path = f"/news/{story.slug}.html"
    newsroom.portal.add(path, pages.portal_article(story, newsroom.portal.url(path)))
    feed = newsroom.portal.routes["/atom.xml"]
    entry = f"<entry><link href='{newsroom.portal.url(path)}'/><updated>{story.published}</updated></entry>"
    feed.body = feed.body.replace(b"</feed>", entry.encode() + b"</feed>")
    return path


def _crawl(sources: Path, db: Path, *options: str) -> None:
    run_wiredesk("crawl", "portal", "--sources", str(sources), "--db", f"sqlite:///{db}", *FAST, *options)


def _stored_paths(db: Path, newsroom: Newsroom) -> set[str]:
    urls = column_values(db, "SELECT url FROM articles")
    return {url.removeprefix(newsroom.portal.url("")) for url in urls}


@pytest.mark.slow
def test_an_article_whose_fetch_failed_is_stored_after_it_left_the_feed(tmp_path: Path) -> None:
    db, sources = tmp_path / "c.db", tmp_path / "sources.toml"
    with Newsroom() as newsroom:
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        listed = newsroom.portal.routes["/atom.xml"].body
        path = _add_to_feed(newsroom, STORIES[0])
        newsroom.portal.routes[path].failures = 1000  # 503 every time, retries included
        _crawl(sources, db)
        assert path not in _stored_paths(db, newsroom)
        newsroom.portal.routes[path].failures = 0
        newsroom.portal.routes["/atom.xml"].body = listed
        _crawl(sources, db)
        assert path in _stored_paths(db, newsroom)
    assert row_count(db, "pending_articles") == 0


@pytest.mark.slow
def test_an_article_left_in_the_queue_by_max_articles_is_stored_after_it_left_the_feed(
    tmp_path: Path,
) -> None:
    db, sources = tmp_path / "c.db", tmp_path / "sources.toml"
    with Newsroom() as newsroom:
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        listed = newsroom.portal.routes["/atom.xml"].body
        paths = {_add_to_feed(newsroom, story) for story in STORIES}
        _crawl(sources, db, "--max-articles", "1")
        assert len(_stored_paths(db, newsroom)) == 1
        newsroom.portal.routes["/atom.xml"].body = listed
        _crawl(sources, db)
        assert paths <= _stored_paths(db, newsroom)
    assert row_count(db, "pending_articles") == 0


def test_a_second_crawl_on_a_busy_jobdir_stops_with_one_line(tmp_path: Path) -> None:
    """The second crawl would drop the first's queue (no index while it runs), then one of them fails."""
    db, jobdir, sources = tmp_path / "c.db", tmp_path / "job", tmp_path / "sources.toml"
    # 400 pages at 0.5 s each, one at a time: still being crawled when the second crawl is done.
    with Newsroom(bulk_articles=400, bulk_delay=0.5) as newsroom:
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        command = ["crawl", "bulk", "--sources", str(sources), "--db", f"sqlite:///{db}"]
        first = start_wiredesk(
            *command,
            *("--jobdir", str(jobdir), *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            # Articles are being fetched: the first crawl's queue holds the rest.
            _wait_for(lambda: _articles_fetched(newsroom) > 0 or first.poll() is not None)
            assert first.poll() is None, "the first crawl ended before the second started"
            second = run_wiredesk(*command, "--jobdir", str(jobdir), *FAST, check=False)
            assert first.poll() is None, "the first crawl ended while the second ran"
            queue = sorted(path.name for path in (jobdir / "requests.queue").iterdir())
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGINT)
            _, first_errors = first.communicate(timeout=COMMAND_DEADLINE)
    assert second.returncode == 1, second.stderr
    assert second.stderr.strip().splitlines() == [
        f"Error: another crawl (process {first.pid}) is using the job directory {jobdir}: "
        "wait for it to end, or give another --jobdir"
    ]
    assert queue, "the first crawl's queue is gone"
    assert first.returncode == 130, first_errors
    assert "Traceback" not in first_errors
    assert (jobdir / "requests.queue" / "active.json").exists(), "the first crawl's queue was not kept"


def _wait_for(condition: Callable[[], bool], deadline: float = COMMAND_DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def _articles_fetched(newsroom: Newsroom) -> int:
    return sum(1 for site, path in list(newsroom.requests) if site == "bulk" and path.startswith("/story/"))
