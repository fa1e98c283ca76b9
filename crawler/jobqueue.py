"""A crawl's request queue on disk (JOBDIR): resumed after a clean stop, dropped after a kill, and
used by one crawl at a time (`hold_jobdir`)."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scrapy import signals

# Where Scrapy keeps a job's request queue, and the index it writes there when the crawl closes.
QUEUE_DIR, QUEUE_INDEX = "requests.queue", "active.json"
LOCK_FILE = "wiredesk.lock"
"""In the job directory: locked (flock) by the crawl using it; it holds that crawl's process id."""


class JobDirBusy(RuntimeError):
    """Another crawl uses the job directory: a second one would drop or interleave its queue."""


@contextmanager
def hold_jobdir(jobdir: str | None) -> Iterator[None]:
    """Lock the job directory for this crawl (nothing without one); JobDirBusy if another holds it.

    An exclusive flock on a file inside it: the system releases it when the process ends, however
    it ends (kill -9 too), so a stale lock can never keep the next crawl out.
    """
    if not jobdir:
        yield
        return
    Path(jobdir).mkdir(parents=True, exist_ok=True)
    descriptor = os.open(Path(jobdir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 32).decode("ascii", "replace").strip() or "?"
            raise JobDirBusy(
                f"another crawl (process {holder}) is using the job directory {jobdir}: "
                "wait for it to end, or give another --jobdir"
            ) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(descriptor)


class JobQueueRepair:
    """Scrapy extension: a queue a killed crawl left is dropped before Scrapy opens it, and the index
    of the queue opened is deleted, so that only a clean close leaves one (`discard_killed_queue`)."""

    def __init__(self, queue: Path) -> None:
        self.queue = queue

    @classmethod
    def from_crawler(cls, crawler: Any) -> JobQueueRepair:
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            from scrapy.exceptions import NotConfigured

            raise NotConfigured("no JOBDIR")
        extension = cls(Path(jobdir, QUEUE_DIR))
        discard_killed_queue(extension.queue)
        crawler.signals.connect(extension.queue_opened, signals.spider_opened)
        return extension

    def queue_opened(self) -> None:
        """Scrapy has read the queue's index: until a clean close writes it again, none is valid."""
        (self.queue / QUEUE_INDEX).unlink(missing_ok=True)


def discard_killed_queue(queue: Path) -> None:
    """Drop the request queue a killed crawl left on disk; a queue closed cleanly is resumed.

    Scrapy writes the queue's index and each queue file's header only when the crawl closes (the
    index is deleted once the queue is open, so an index means a clean close). After a kill the
    files are never read again, but one left empty breaks the next push to its priority, which
    loses the rest of a listing's requests, or, one item at a time per response, stalls the crawl.
    Nothing is lost by dropping them: every run lists its start URLs again.
    """
    if queue.is_dir() and not (queue / QUEUE_INDEX).exists():
        shutil.rmtree(queue)
