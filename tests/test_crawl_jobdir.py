"""--jobdir: what a killed crawl leaves of Scrapy's request queue never stalls or thins the next one."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from conftest import COMMAND_DEADLINE, FAST, REPO, WIREDESK
from scrapy.pqueues import _path_safe

from crawler.jobqueue import discard_killed_queue
from crawler.newsroom import Newsroom

ARTICLES = 150


def test_a_queue_file_left_empty_by_a_kill_is_dropped(tmp_path: Path) -> None:
    """Scrapy writes a queue file's header when the crawl closes: after kill -9 it can be empty."""
    jobdir, db = tmp_path / "job", tmp_path / "c.db"
    killed = jobdir / "requests.queue" / _path_safe("127.0.0.5")
    killed.mkdir(parents=True)
    (killed / "0").write_bytes(b"")
    with Newsroom(bulk_articles=ARTICLES) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        command = [WIREDESK, "crawl", "bulk", "--sources", str(sources), "--db", f"sqlite:///{db}"]
        crawl = subprocess.run(
            [*command, "--jobdir", str(jobdir), *FAST],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=COMMAND_DEADLINE,
        )
    assert crawl.returncode == 0, crawl.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == ARTICLES
    assert (jobdir / "requests.queue" / "active.json").exists()


def test_a_queue_closed_cleanly_is_kept(tmp_path: Path) -> None:
    queue = tmp_path / "requests.queue"
    (queue / "slot").mkdir(parents=True)
    (queue / "active.json").write_text('{"slot": [0]}', encoding="utf-8")
    discard_killed_queue(queue)
    assert (queue / "slot").is_dir()
    (queue / "active.json").unlink()
    discard_killed_queue(queue)
    assert not queue.exists()
