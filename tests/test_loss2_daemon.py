"""`wiredesk daemon --once` (a cron job's daemon) crawls every source, whatever the others' outcome.

It ran the sources one after the other inside `all(...)`, which stops at the first run that did not
finish: one source whose site was down (a failed run) and no later source was crawled, its new
articles left to scroll off their feeds until the next cron run, with nothing recorded for them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import COMMAND_DEADLINE, FAST, run_wiredesk

from crawler.newsroom import Newsroom

# A port nothing listens on: the source's only start URL is refused, its run fails (exit 1).
DEAD_SOURCE = '[sources.gone]\nstart_urls = ["http://127.0.0.9:9/rss.xml"]\n'


def test_a_failed_source_does_not_stop_the_sources_after_it(tmp_path: Path) -> None:
    db, sources = tmp_path / "c.db", tmp_path / "sources.toml"
    with Newsroom() as newsroom:
        portal = next(block for block in newsroom.sources_toml().split("\n\n") if "[sources.portal]" in block)
        sources.write_text(DEAD_SOURCE + "\n" + portal, "utf-8")
        command = ("daemon", "--once", "--sources", str(sources), "--db", f"sqlite:///{db}", *FAST)
        result = run_wiredesk(*command, check=False, timeout=COMMAND_DEADLINE)
    assert result.returncode == 1, result.stderr  # not every run finished
    runs = json.loads(run_wiredesk("runs", "--db", f"sqlite:///{db}", "--format", "json").stdout)
    assert {run["source"]: run["outcome"] for run in runs} == {"gone": "failed", "portal": "finished"}
    with sqlite3.connect(db, timeout=30) as connection:
        (stored,) = connection.execute("SELECT count(*) FROM articles").fetchone()
    assert stored > 0
