"""`crawl --warc` killed with kill -9: the pages it fetched stay in the archive.

A killed crawl never renamed its file from its `.open` name, so `wiredesk import DIR/*.warc.gz`
(and any reader) never saw it, and the next crawl does not fetch the stored pages again: the
archive lacked them for good. The next crawl with --warc now finishes such a file at its last
whole record.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import COMMAND_DEADLINE, FAST, Started, column_values, row_count, run_wiredesk, start_wiredesk

from crawler.newsroom import Newsroom

ARTICLES = 60


def _crawl(sources: Path, db: Path, archive: Path) -> Started:
    command = ["crawl", "bulk", "--sources", str(sources), "--db", f"sqlite:///{db}"]
    return start_wiredesk(
        *command,
        *("--warc", str(archive), *FAST, "-s", "WIREDESK_STORE_BATCH=2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_a_killed_crawls_archive_is_finished_by_the_next_crawl(tmp_path: Path) -> None:
    db, archive, sources = tmp_path / "c.db", tmp_path / "warc", tmp_path / "sources.toml"
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=0.1) as newsroom:
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        killed = _crawl(sources, db, archive)
        deadline = time.monotonic() + COMMAND_DEADLINE
        while (
            row_count(db, "articles", missing_ok=True) < 10
            and killed.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        assert 10 <= row_count(db, "articles") < ARTICLES
        assert list(archive.glob("*.open")), "the killed crawl left its file open"
        final = _crawl(sources, db, archive)
        _, stderr = final.communicate(timeout=COMMAND_DEADLINE)
        assert final.returncode == 0, stderr
    assert not list(archive.glob("*.open"))
    mirror = tmp_path / "mirror.db"
    files = sorted(map(str, archive.glob("*.warc.gz")))
    run_wiredesk("import", *files, "--db", f"sqlite:///{mirror}", "--workers", "1")
    urls = column_values(db, "SELECT url FROM articles")
    assert sorted(column_values(mirror, "SELECT url FROM articles")) == sorted(urls)
    assert len(set(urls)) == ARTICLES
