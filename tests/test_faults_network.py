"""A crawl through every network and server fault: each is counted under its kind, the crawl goes on,
and nothing half-parsed is stored."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from conftest import COMMAND_DEADLINE, run_wiredesk
from faultsite import CLEAN_TIME_LIMIT, CONNECT_TIMEOUT, FAULTS, GOOD, LIMIT, MALFORMED, SLOW_RULES, FaultSite

from crawler.newsroom.stories import RAIL_STRIKE
from crawler.run import EXIT_ARTICLES_LOST


def test_every_fault_is_counted_and_only_the_good_articles_are_stored(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with FaultSite() as site:
        result = run_wiredesk(
            "crawl",
            "--url",
            site.url + "/",
            "--db",
            f"sqlite:///{db}",
            "-v",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "DOWNLOAD_TIMEOUT=3",
            "-s",
            "RETRY_TIMES=1",
            "-s",
            "WIREDESK_RETRY_BASE_WAIT=0.1",
            "-s",
            f"DOWNLOAD_MAXSIZE={LIMIT}",
            "-s",
            "WIREDESK_SECTION_PAGES=3",
            "-s",
            f"WIREDESK_CLEAN_TIME_LIMIT={CLEAN_TIME_LIMIT}",
            "-s",
            f"WIREDESK_CLEAN_RULES={SLOW_RULES}",
            timeout=COMMAND_DEADLINE,
            check=False,
        )
        requests = list(site.requests)
    with sqlite3.connect(db) as connection:
        stored = dict(connection.execute("SELECT url, text FROM articles"))
    assert sorted(stored) == sorted([site.url + GOOD, site.url + MALFORMED])
    assert all(paragraph in stored[site.url + MALFORMED] for paragraph in RAIL_STRIKE.paragraphs)
    summary = result.stderr
    # The slow page is the one article lost (to the time limit); failed fetches are the site's.
    assert result.returncode == EXIT_ARTICLES_LOST, summary[-3000:]
    assert "articles lost to errors: 1 (time_limit ×1" in summary, summary[-3000:]
    for kind in set(FAULTS.values()):
        assert re.search(rf"\b{re.escape(kind)} ×\d", summary), f"{kind} not counted:\n{summary[-3000:]}"
    assert f"timeout fetching {site.blackhole.url}{CONNECT_TIMEOUT}" in summary, summary[-3000:]
    trap_pages = [path for path in requests if path.startswith("/section/")]
    assert len(trap_pages) <= 3
