"""The daemon's warm crawl process uses one engine for its database, however many runs it serves.

It used to make one of its own to check and migrate the database at start, then its runs made the
process's shared one (`storage.engine.shared_engine`) and migrated the database again: two
connection pools per database in a process that lives for months.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import COMMAND_DEADLINE, LOOPBACK, REPO

from crawler.newsroom import Newsroom

# The warm crawl process as the daemon starts it (crawler/warmclient.py), every engine that opens
# a connection counted by its pool's first connection, written when the process ends.
COUNTED_LAUNCH = """
import atexit, sys
from pathlib import Path
from sqlalchemy import event
from sqlalchemy.pool import Pool
pools, counted = [], Path(sys.argv.pop(1))
event.listen(Pool, "first_connect", lambda *args: pools.append(1))
atexit.register(lambda: counted.write_text(str(len(pools))))
from crawler.warmcrawl import main
main(sys.argv[1:])
"""


@pytest.mark.slow
def test_the_warm_crawl_process_makes_one_engine_for_its_database(tmp_path: Path) -> None:
    counted, sources = tmp_path / "engines", tmp_path / "sources.toml"
    command = [sys.executable, "-c", COUNTED_LAUNCH, str(counted), "--db", f"sqlite:///{tmp_path / 'c.db'}"]
    command += ["--sources", str(sources), *LOOPBACK, "-s", "WIREDESK_CLEAN_WORKERS=0"]
    with Newsroom() as newsroom:
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        log = (tmp_path / "warm.log").open("w")  # a file: a full stderr pipe would block the process
        pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": log}
        warm = subprocess.Popen(command, cwd=REPO, text=True, **pipes)
        assert warm.stdin is not None and warm.stdout is not None
        replies = []
        for run in (1, 2):  # one after the other: the second finds the database as the first left it
            warm.stdin.write(json.dumps({"crawl": run, "source": "portal"}) + "\n")
            warm.stdin.flush()
            replies.append(json.loads(warm.stdout.readline() or "{}"))
        warm.communicate(timeout=COMMAND_DEADLINE)  # the end of stdin stops it
        log.close()
    stderr = (tmp_path / "warm.log").read_text()
    assert [reply.get("status") for reply in replies] == [0, 0], (replies, stderr[-3000:])
    assert replies[0]["figures"]["new"] > 0 and replies[1]["figures"]["new"] == 0, replies
    assert warm.returncode == 0, stderr[-3000:]
    assert counted.read_text() == "1", stderr[-3000:]
