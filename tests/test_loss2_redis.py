"""Redis restarted empty under a shared crawl (it keeps nothing on disk here): what it held is gone.

The shared queue, the leases and the fingerprint set vanish with it. The crawl went on with what
its workers held and ended `finished`, errors 0, exit 0: 19 of 60 articles never fetched, and
nothing said so. Now the crawl notices (crawler/distributed.py, the frontier's marker key), says
so and counts `redis_lost`. The articles are not lost for good: each was written pending when its
listing was read (crawler/pending.py), so the next crawl asks for every one the first did not
store. The test runs a redis-server of its own on a port of its own (never the machine's Redis),
restarts it empty mid-crawl, then crawls again without Redis: every article is stored once.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from shutil import which

import pytest
from conftest import COMMAND_DEADLINE, FAST, REPO, WIREDESK, row_count, run_wiredesk

from crawler.newsroom import Newsroom

ARTICLES = 60
# Each article page is served this late, two at a time: the whole crawl lasts at least 15 s, so the
# restart after the first few articles comes well before the end even when this test's own polling
# is starved on a loaded machine (at 0.2 s, the crawl once stored all 60 before the restart).
ARTICLE_DELAY = 0.5
RESTART_AFTER = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _redis_server(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    """A redis-server that keeps nothing on disk, answering once it is up."""
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = subprocess.Popen([*command, "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + COMMAND_DEADLINE
    while (
        subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG"
    ):
        assert server.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.1)
    return server


@pytest.fixture
def redis_port(tmp_path: Path) -> Iterator[int]:
    if which("redis-server") is None or which("redis-cli") is None:
        pytest.skip("redis-server not installed")
    yield _free_port()


def _stored(db: Path) -> tuple[int, int]:
    """Articles stored, and raw pages kept (one each when nothing was stored twice)."""
    return row_count(db, "articles", missing_ok=True), row_count(db, "pages", missing_ok=True)


def test_articles_a_redis_restart_dropped_are_stored_by_the_next_crawl(
    redis_port: int, tmp_path: Path
) -> None:
    db, sources, log = tmp_path / "c.db", tmp_path / "sources.toml", tmp_path / "crawl.log"
    report = tmp_path / "report.json"
    server = _redis_server(redis_port, tmp_path)
    try:
        with Newsroom(bulk_articles=ARTICLES, bulk_delay=ARTICLE_DELAY) as newsroom:
            sources.write_text(newsroom.sources_toml(), "utf-8")
            crawl = ("crawl", "bulk", "--sources", str(sources), "--db", f"sqlite:///{db}", *FAST)
            shared = [
                WIREDESK,
                *crawl,
                "--redis",
                f"redis://127.0.0.1:{redis_port}/0",
                "--report",
                str(report),
            ]
            shared += ["-s", "WIREDESK_WORKER_IDLE=3", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
            shared += ["-s", "WIREDESK_STORE_BATCH=2", "-s", "CONCURRENT_REQUESTS=2"]
            first = subprocess.Popen(shared, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log.open("w"))
            deadline = time.monotonic() + COMMAND_DEADLINE
            while _stored(db)[0] < RESTART_AFTER:
                assert first.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.05)
            server.terminate()  # everything it held is gone: nothing is on disk
            server.wait(timeout=COMMAND_DEADLINE)
            server = _redis_server(redis_port, tmp_path)
            assert first.wait(timeout=COMMAND_DEADLINE) == 0, log.read_text()[-3000:]
            after_first = _stored(db)[0]
            run_wiredesk(*crawl)
    finally:
        server.terminate()
        server.wait(timeout=COMMAND_DEADLINE)
    assert after_first < ARTICLES, "the restart came too late to drop anything"
    assert json.loads(report.read_text())["errors"].get("redis_lost", 0) >= 1
    assert "Redis lost the shared queue" in log.read_text()
    assert _stored(db) == (ARTICLES, ARTICLES), log.read_text()[-3000:]
