"""Shared imports: `wiredesk import --redis` queues files, `wiredesk worker`s lease them; a killed
worker's file goes back to the queue and the next worker resumes it at its recorded offset."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import redis
from conftest import COMMAND_DEADLINE, REDIS_URL, WIREDESK, expire_heartbeat, run_wiredesk
from warcfiles import bulk_warc, corpus_rows

from crawler.archive import ImportOptions
from crawler.archive_queue import FILES, decode_task, encode_task
from storage import make_engine
from storage.archives import import_states

BULK = 120


def test_a_task_carries_its_filters_and_takes_the_workers_cleaning_settings() -> None:
    asked = ImportOptions(source="cc", sites=("*.example.org",), languages=frozenset({"en"}), workers=7)
    task = decode_task(encode_task("/data/a.warc.gz", asked), ImportOptions(workers=2, time_limit=5.0))
    assert task.name == "/data/a.warc.gz"
    assert (task.options.source, task.options.sites, task.options.languages) == (
        "cc",
        ("*.example.org",),
        {"en"},
    )
    assert (task.options.workers, task.options.time_limit) == (2, 5.0)


def _worker(db_url: str, prefix: str, log: Path) -> subprocess.Popen[bytes]:
    """A worker that exits a second after the queue is empty and no file is leased."""
    command = [WIREDESK, "worker", "--redis", REDIS_URL, "--db", db_url, "--idle", "1"]
    command += ["-s", f"WIREDESK_REDIS_PREFIX={prefix}", "-s", "WIREDESK_CLEAN_WORKERS=1"]
    command += ["-s", "WIREDESK_STORE_BATCH=5"]
    with log.open("wb") as output:
        return subprocess.Popen(command, stdout=output, stderr=output, start_new_session=True)


def test_a_killed_workers_file_is_requeued_and_resumed_by_another(
    pg_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    warc = bulk_warc(tmp_path / "bulk.warc.gz", BULK)
    queued = run_wiredesk(
        "import", str(warc), "--redis", REDIS_URL, "-s", f"WIREDESK_REDIS_PREFIX={redis_prefix}"
    )
    assert "1 of 1 files queued" in queued.stderr
    assert redis.Redis.from_url(REDIS_URL).zcard(f"{redis_prefix}:{FILES}") == 1

    first = _worker(pg_url, redis_prefix, tmp_path / "first.log")
    try:
        deadline = time.monotonic() + COMMAND_DEADLINE
        while _offset(pg_url, warc) == 0:
            assert first.poll() is None, (tmp_path / "first.log").read_text()
            assert time.monotonic() < deadline, "the first worker committed nothing in time"
            time.sleep(0.05)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    stored_at_kill = corpus_rows(pg_url)[0]
    assert 0 < stored_at_kill < BULK
    expire_heartbeat(redis_prefix, first.pid)

    second = _worker(pg_url, redis_prefix, tmp_path / "second.log")
    assert second.wait(timeout=COMMAND_DEADLINE) == 0, (tmp_path / "second.log").read_text()
    log = (tmp_path / "second.log").read_text()
    assert "resumed ×1" in log
    assert corpus_rows(pg_url) == (BULK, BULK), "every article once"
    assert import_states(make_engine(pg_url))[str(warc)].finished


def _offset(db_url: str, warc: Path) -> int:
    try:
        state = import_states(make_engine(db_url)).get(str(warc))
    except Exception:  # the schema may not exist yet
        return 0
    return state.next_offset if state else 0
