"""A crawl killed with SIGKILL, again and again, ends with the same corpus as an uninterrupted one;
one stopped with Ctrl-C resumes without fetching a page twice."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import COMMAND_DEADLINE, FAST, Started, column_values, row_count, start_wiredesk

from crawler.newsroom import Newsroom
from crawler.newsroom.bulk import bulk_path

ARTICLES = 60
RANDOM_KILL_ARTICLES = 120


def _crawl(sources: Path, db: Path, jobdir: Path, *options: str) -> Started:
    command = [
        "crawl",
        "bulk",
        "--sources",
        str(sources),
        "--db",
        f"sqlite:///{db}",
        "--jobdir",
        str(jobdir),
        *FAST,
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=4",
        "-s",
        "WIREDESK_STORE_BATCH=5",
        *options,
    ]
    # A session of its own: a SIGINT to its group reaches the crawl and its workers, as Ctrl-C does.
    return start_wiredesk(*command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


@pytest.mark.slow
def test_kill_9_mid_crawl_and_resume(tmp_path: Path) -> None:
    db, jobdir, sources = tmp_path / "c.db", tmp_path / "job", tmp_path / "sources.toml"
    # Articles served 0.3 s late, four at a time: a whole crawl lasts at least 4.5 s, so each kill
    # comes before the end even when this test's polling lags on a loaded machine.
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=0.3) as newsroom:
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        for kill_at in (10, 25, 40):
            process = _crawl(sources, db, jobdir)
            deadline = time.monotonic() + COMMAND_DEADLINE
            while (
                row_count(db, "articles", missing_ok=True) < kill_at
                and process.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait()
        killed_at = row_count(db, "articles")
        final = _crawl(sources, db, jobdir)
        _, stderr = final.communicate(timeout=COMMAND_DEADLINE)
        assert final.returncode == 0, stderr
        expected = {newsroom.bulk.url(bulk_path(n)) for n in range(ARTICLES)}
    assert 0 < killed_at < ARTICLES
    with sqlite3.connect(db) as connection:
        stored = {url for (url,) in connection.execute("SELECT url FROM articles")}
        per_article = connection.execute(
            "SELECT count(*) FROM articles a "
            "WHERE (SELECT count(*) FROM pages p WHERE p.article_id = a.id) != 1 "
            "OR (SELECT count(*) FROM revisions r WHERE r.article_id = a.id) != 1"
        ).fetchone()[0]
        stories = connection.execute("SELECT count(*) FROM stories").fetchone()[0]
    assert stored == expected
    assert per_article == 0
    assert stories == ARTICLES


def _corpus(db: Path) -> tuple[set[tuple[str, str]], set[frozenset[str]]]:
    """Articles (URL, text hash) and stories (as sets of URLs): what two corpora must share."""
    with sqlite3.connect(db) as connection:
        articles = set(connection.execute("SELECT url, text_hash FROM articles"))
        stories: dict[int, set[str]] = {}
        for story, url in connection.execute("SELECT story_id, url FROM articles"):
            stories.setdefault(story, set()).add(url)
    return articles, {frozenset(urls) for urls in stories.values()}


@pytest.mark.slow
def test_random_kills_end_like_an_uninterrupted_crawl(tmp_path: Path) -> None:
    """The uninterrupted reference crawl runs while the other is killed: its own database and job
    directory, the same newsroom (which answers each request the same whoever asks).

    Six kills at random moments, from Scrapy's start-up to the middle of the crawl (one takes some
    two seconds to start on a quiet machine); test_kill_9_mid_crawl_and_resume kills at set points
    of the crawl. Each kill costs a start-up's CPU, hence six, not the twenty of before.
    """
    rng = random.Random(20)
    with Newsroom(bulk_articles=RANDOM_KILL_ARTICLES, bulk_delay=0.01) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        reference = tmp_path / "reference.db"
        uninterrupted = _crawl(sources, reference, tmp_path / "job-reference")
        db, jobdir = tmp_path / "c.db", tmp_path / "job"
        for _ in range(6):
            process = _crawl(sources, db, jobdir)
            time.sleep(rng.uniform(0.3, 3.0))
            process.send_signal(signal.SIGKILL)
            process.wait()
        final = _crawl(sources, db, jobdir)
        _, stderr = final.communicate(timeout=COMMAND_DEADLINE)
        assert final.returncode == 0, stderr
        _, stderr = uninterrupted.communicate(timeout=COMMAND_DEADLINE)
        assert uninterrupted.returncode == 0, stderr
    assert _corpus(db) == _corpus(reference)
    articles = [row_count(db, "pages"), row_count(db, "articles"), row_count(reference, "articles")]
    assert articles == [RANDOM_KILL_ARTICLES] * 3


@pytest.mark.slow
def test_ctrl_c_then_resume_fetches_no_stored_article(tmp_path: Path) -> None:
    """Issue 18's leftover: the pages queued at the interruption were asked for twice on --resume,
    by the job directory's queue and by the sitemap read again, and fetched twice."""
    db, jobdir, sources = tmp_path / "c.db", tmp_path / "job", tmp_path / "sources.toml"
    with Newsroom(bulk_articles=30, bulk_delay=0.3) as newsroom:
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        articles = {newsroom.bulk.url(bulk_path(n)) for n in range(30)}
        paths = {bulk_path(n) for n in range(30)}
        crawl = _crawl(
            sources, db, jobdir, "-s", "WIREDESK_STORE_BATCH=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"
        )
        deadline = time.monotonic() + COMMAND_DEADLINE
        while _fetched(newsroom.requests, paths) < 4 and crawl.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert crawl.poll() is None, "the crawl ended before it could be interrupted"
        os.killpg(crawl.pid, signal.SIGINT)
        _, stderr = crawl.communicate(timeout=COMMAND_DEADLINE)
        assert crawl.returncode == 130, stderr
        stored_before = set(column_values(db, "SELECT url FROM articles"))
        assert 0 < len(stored_before) < len(articles)
        before_resume = len(newsroom.requests)
        resumed = _crawl(sources, db, jobdir)
        _, stderr = resumed.communicate(timeout=COMMAND_DEADLINE)
        assert resumed.returncode == 0, stderr
        fetched = Counter(
            path for site, path in newsroom.requests[before_resume:] if site == "bulk" and path in paths
        )
    assert set(column_values(db, "SELECT url FROM articles")) == articles
    assert {path for path, times in fetched.items() if times > 1} == set()
    assert {newsroom.bulk.url(path) for path in fetched} & stored_before == set()


def _fetched(requests: list[tuple[str, str]], paths: set[str]) -> int:
    return sum(1 for site, path in list(requests) if site == "bulk" and path in paths)
