"""Shared imports: WARC files as tasks of a Redis queue, leased to `wiredesk worker`s like crawl requests.

With WIREDESK_REDIS set, `wiredesk import` pushes each file (with its filters and source name) into
the sorted set `<prefix>:warc-files` and returns; workers take them with the crawl's pop-and-lease
script (crawler/distributed.py), into their own lease hash `<prefix>:warc-leases:<worker>`, and
keep `<prefix>:alive:<worker>` fresh from a heartbeat thread. A file's lease is released once the
file is imported. When a worker dies, any other worker finds its leases without a live heartbeat and
pushes the files back (`requeue_dead_leases`); the next taker resumes each at the offset its
corpus row records (storage/archives.py), so nothing is stored twice.

Local paths are shared as they are: every worker must see the same path (a shared mount), or use
URLs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from typing import Any

from crawler.archive import FileTask, ImportOptions
from crawler.distributed import ALIVE_TTL_SECONDS, HEARTBEAT_SECONDS, POP_AND_LEASE, requeue_dead_leases

logger = logging.getLogger(__name__)

FILES = "warc-files"
"""The queue (sorted set) of files to import, under the crawl's prefix."""
FILE_LEASES = "warc-leases"
"""Lease hashes of files being imported: `<prefix>:warc-leases:<worker>`."""
# Filters a task carries; the cleaning settings are each worker's own.
_CARRIED = ("source", "sites", "since", "until", "languages")


def encode_task(name: str, options: ImportOptions) -> str:
    """A file and its filters as the queue holds them (JSON): the same file asked twice is queued once."""
    carried = {key: value for key, value in asdict(options).items() if key in _CARRIED}
    for key in ("since", "until"):
        carried[key] = carried[key].isoformat() if carried[key] else None
    carried["sites"], carried["languages"] = list(carried["sites"]), sorted(carried["languages"])
    return json.dumps({"name": name, "options": carried}, sort_keys=True)


def decode_task(data: bytes | str, defaults: ImportOptions) -> FileTask:
    task = json.loads(data)
    carried = task["options"]
    options = ImportOptions(
        source=carried["source"],
        sites=tuple(carried["sites"]),
        since=datetime.fromisoformat(carried["since"]) if carried["since"] else None,
        until=datetime.fromisoformat(carried["until"]) if carried["until"] else None,
        languages=frozenset(carried["languages"]),
        workers=defaults.workers,
        time_limit=defaults.time_limit,
        rules=defaults.rules,
        batch_size=defaults.batch_size,
        max_bytes=defaults.max_bytes,
        prefix=defaults.prefix,
    )
    return FileTask(task["name"], options)


def push_files(server: Any, prefix: str, names: list[str], options: ImportOptions) -> int:
    """Queue the files; how many were not queued already."""
    tasks = {encode_task(name, options): 0 for name in names}
    return int(server.zadd(f"{prefix}:{FILES}", tasks, nx=True)) if tasks else 0


def files_pending(server: Any, prefix: str) -> bool:
    """Files queued, or leased to a worker (alive or not yet found dead)."""
    return server.zcard(f"{prefix}:{FILES}") > 0 or any(
        server.hlen(key) for key in server.scan_iter(f"{prefix}:{FILE_LEASES}:*")
    )


class Heartbeat:
    """Keeps this worker alive in Redis, and requeues the files of workers that are not."""

    def __init__(self, server: Any, prefix: str, worker: str) -> None:
        self.server, self.prefix, self.worker = server, prefix, worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wiredesk-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.server.delete(f"{self.prefix}:alive:{self.worker}")

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.beat()
            except Exception as error:  # Redis away for a while: the next beat tries again
                logger.warning("heartbeat failed: %s", error)

    def beat(self) -> None:
        self.server.set(f"{self.prefix}:alive:{self.worker}", 1, ex=ALIVE_TTL_SECONDS)
        requeued = requeue_dead_leases(self.server, self.prefix, FILES, FILE_LEASES)
        if requeued:
            logger.warning("requeued %d WARC files leased by workers that stopped answering", requeued)


def leased_files(
    server: Any, prefix: str, worker: str, defaults: ImportOptions, idle: float
) -> Iterator[FileTask]:
    """The files this worker takes, one lease at a time; a file's lease is released when the next is asked.

    Waits while other workers hold leases (a dead one's files come back), and ends once nothing
    has been queued or leased for `idle` seconds.
    """
    pop = server.register_script(POP_AND_LEASE)
    leases = f"{prefix}:{FILE_LEASES}:{worker}"
    idle_since: float | None = None
    while True:
        found = pop(keys=[f"{prefix}:{FILES}", leases, f"{prefix}:lease-ids"])
        if found:
            idle_since = None
            lease, data = found
            yield decode_task(data, defaults)
            server.hdel(leases, lease)
            continue
        if files_pending(server, prefix):
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= idle:
            return
        time.sleep(0.5)
