"""Three crawler processes share one frontier in Redis and one corpus in PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from conftest import COMMAND_DEADLINE, FAST, REDIS_URL, Started, expire_heartbeat, row_count, start_wiredesk

from crawler.newsroom import Newsroom
from crawler.newsroom.bulk import bulk_path

ARTICLES = 120


def _start(args: list[str], prefix: str, db: str, log: Path) -> Started:
    """Logs go to a file: a pipe nobody reads while waiting on another process would fill and block."""
    command = [
        *args,
        "--redis",
        REDIS_URL,
        "--db",
        db,
        *FAST,
        "-s",
        f"WIREDESK_REDIS_PREFIX={prefix}",
        "-s",
        "WIREDESK_WORKER_IDLE=3",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=4",
        "-s",
        "WIREDESK_STORE_BATCH=5",
    ]
    return start_wiredesk(*command, stdout=subprocess.DEVNULL, stderr=log.open("w"))


def _busiest(workers: list[Started], prefix: str) -> Started | None:
    """The worker holding the most leased requests right now (the one whose death matters)."""
    server = redis.Redis.from_url(REDIS_URL)
    leases = {key.decode().split(":")[-2]: server.hlen(key) for key in server.scan_iter(f"{prefix}:leases:*")}
    held = [(leases.get(str(worker.pid), 0), worker) for worker in workers if worker.poll() is None]
    count, worker = max(held, key=lambda pair: pair[0], default=(0, None))
    return worker if count else None


def _shared_crawl(newsroom: Newsroom, tmp_path: Path, prefix: str, db: str, kill_after: int | None) -> str:
    """Seed and two workers; returns what the processes logged."""
    sources = tmp_path / "sources.toml"
    sources.write_text(newsroom.sources_toml(), encoding="utf-8")
    seed = _start(["crawl", "bulk", "--sources", str(sources)], prefix, db, tmp_path / "seed.log")
    workers = [_start(["worker", "--idle", "3"], prefix, db, tmp_path / f"worker{n}.log") for n in range(2)]
    if kill_after is not None:
        deadline = time.monotonic() + COMMAND_DEADLINE
        while (
            row_count(db, "articles", missing_ok=True) < kill_after or _busiest(workers, prefix) is None
        ) and time.monotonic() < deadline:
            running = [process for process in [seed, *workers] if process.poll() is None]
            assert running, "the crawl ended before the kill"
            time.sleep(0.1)
        victim = _busiest(workers, prefix)
        assert victim is not None, "no worker ever held a lease"
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        expire_heartbeat(prefix, victim.pid)
    for process in [seed, *workers]:
        process.wait(timeout=COMMAND_DEADLINE)
    logs = "".join(log.read_text() for log in sorted(tmp_path.glob("*.log")))
    assert all(process.returncode in (0, -signal.SIGKILL) for process in [seed, *workers]), logs
    return logs


@pytest.mark.slow
def test_three_workers_fetch_and_store_each_article_once(
    pg_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=0.01) as newsroom:
        _shared_crawl(newsroom, tmp_path, redis_prefix, pg_url, kill_after=None)
        fetched = Counter(path for site, path, status in newsroom.answers if site == "bulk" and status == 200)
    articles = {bulk_path(n) for n in range(ARTICLES)}
    assert {path: fetched[path] for path in articles} == dict.fromkeys(articles, 1)
    assert [row_count(pg_url, table) for table in ("articles", "pages", "stories")] == [ARTICLES] * 3


@pytest.mark.slow
def test_a_worker_killed_mid_crawl_loses_nothing(pg_url: str, redis_prefix: str, tmp_path: Path) -> None:
    # Each article served 1 s late, eight at a time: the crawl lasts at least 15 s, so the kill after
    # the first ten comes mid-crawl even when this test's polling is starved (at 0.15 s the crawl
    # once ended before the test saw a worker holding a lease).
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=1.0) as newsroom:
        logs = _shared_crawl(newsroom, tmp_path, redis_prefix, pg_url, kill_after=10)
        fetched = Counter(path for site, path, status in newsroom.answers if site == "bulk" and status == 200)
    assert "requeued" in logs
    assert all(fetched[bulk_path(n)] >= 1 for n in range(ARTICLES))
    assert [row_count(pg_url, table) for table in ("articles", "pages", "stories")] == [ARTICLES] * 3
