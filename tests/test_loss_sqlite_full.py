"""SQLite out of room mid-crawl (a file size limit: EFBIG, as ENOSPC on a full disk): the articles
it cannot take wait in the spool, and `wiredesk replay` writes every one of them once."""

from __future__ import annotations

import json
import os
import resource
import subprocess
from pathlib import Path

import pytest
from conftest import FAST, REPO, WIREDESK, column_values, run_wiredesk

from crawler.newsroom import Newsroom
from crawler.newsroom.bulk import bulk_path

ARTICLES = 60
ROOM = 300_000
"""Bytes the database may grow by: a few batches of articles, far from all of them."""


@pytest.mark.slow
def test_a_full_sqlite_database_spools_and_replays_every_article(tmp_path: Path) -> None:
    db, spool, report = tmp_path / "c.db", tmp_path / "spool", tmp_path / "report.json"
    run_wiredesk("db", "upgrade", "--db", f"sqlite:///{db}")
    limit = db.stat().st_size + ROOM

    def limited() -> None:  # in the crawl's process only (Python ignores SIGXFSZ: writes fail EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with Newsroom(bulk_articles=ARTICLES) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        command = [WIREDESK, "crawl", "bulk", "--sources", str(sources), "--db", f"sqlite:///{db}"]
        crawl = subprocess.run(
            [*command, "--report", str(report), *FAST, "-s", "WIREDESK_STORE_BATCH=5"],
            cwd=REPO,
            env={**os.environ, "WIREDESK_SPOOL": str(spool)},
            capture_output=True,
            text=True,
            timeout=600,
            preexec_fn=limited,
        )
        expected = sorted(newsroom.bulk.url(bulk_path(n)) for n in range(ARTICLES))
    assert crawl.returncode == 0, crawl.stderr
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert figures["spooled"] > 0 and figures["lost"] == 0
    assert figures["new"] + figures["spooled"] == ARTICLES
    run_wiredesk("replay", "--db", f"sqlite:///{db}", "--spool", str(spool))
    assert sorted(column_values(db, "SELECT url FROM articles")) == expected
