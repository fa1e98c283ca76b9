"""The cleaning workers: processes that each clean one page at a time, so a dead one costs one page.

One `ProcessPoolExecutor` of one process per worker, handed one call at a time: when a worker
dies (kill -9, the kernel's OOM killer, a crash in C), only the call it held fails, where one pool
of N processes breaks for good and fails every call in flight or to come (`BrokenProcessPool`).
The dead worker is replaced and its call tried once more on the new one; a second death is the
page's (`WorkerDied`), a page that kills every worker it meets costs two workers and nothing else.

A call can also hang where the time limit's alarm cannot reach it: inside one C call that does
not return to Python (lxml, libxml2). With
`stuck_after`, a worker still on one call past that many seconds is killed, and the call goes the
way of a death (tried once more, then `WorkerDied`): a stuck page costs two workers and twice that
time, where it held its worker, and the crawl, for ever.

Workers start from a clean interpreter (`spawn`, not a fork of the reactor's threads), die with
the crawl even on its kill -9 (`PR_SET_PDEATHSIG`), and clean first pages before real ones. With
WIREDESK_CLEAN_MEMORY_LIMIT, a worker's address space is bounded (RLIMIT_AS): a page that needs
more gets MemoryError, its own failure, instead of waking the kernel's OOM killer.
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib
import logging
import multiprocessing
import os
import resource
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

import cleaner

logger = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1
TRIES = 2
"""A call whose worker dies is tried on a new worker once more; the second death is its own."""
# A page with an article and one without: trafilatura's fallbacks for the latter load their own
# parts. Both declare their language: the language detector's model (70 MB resident, 100 MB at its
# peak while loading) is loaded by the first page that needs it, which on most sites is none.
_WARM_UP_PAGES = (
    '<html lang="en"><body><article><p>' + "A first page to clean. " * 20 + "</p></article></body></html>",
    '<html lang="en"><body><nav>Home</nav></body></html>',
)
Result = TypeVar("Result")


class WorkerDied(RuntimeError):
    """The worker running a call died, on every try: the call (the page) is what kills them."""


class WorkerPool:
    """`size` worker processes; `run` waits for an idle one, runs a call there, and gives its result."""

    def __init__(self, size: int, memory_limit_mb: int = 0, stuck_after: float = 0) -> None:
        self.size = size
        self.memory_limit_mb = memory_limit_mb
        self.stuck_after = stuck_after
        self._started: set[ProcessPoolExecutor] = set()
        """Workers known to have started (warmed up): a call's time there is the call's own."""
        self._idle: asyncio.Queue[ProcessPoolExecutor] | None = None
        self._workers: set[ProcessPoolExecutor] = set()

    async def run(self, call: Callable[..., Result], *args: Any, name: str = "") -> Result:
        """`call(*args)` in a worker; its exceptions come back as they are, a dead worker as WorkerDied.

        `name` says what the call is about (a URL), for the log line when its worker dies.
        """
        for _ in range(TRIES - 1):
            try:
                return await self._run_once(call, args)
            except BrokenProcessPool:
                logger.warning("%s: its cleaning worker died; trying it once more on a new one", name)
        try:
            return await self._run_once(call, args)
        except BrokenProcessPool:
            raise WorkerDied(f"cleaning worker died {TRIES} times on it (killed, or out of memory)") from None

    async def _run_once(self, call: Callable[..., Result], args: tuple[Any, ...]) -> Result:
        """On an idle worker; a worker that dies under the call is replaced (BrokenProcessPool)."""
        if self._idle is None:
            self._idle = asyncio.Queue()
            for _ in range(self.size):
                self._idle.put_nowait(self._start())
        worker = await self._idle.get()
        try:
            if self.stuck_after > 0 and worker not in self._started:
                await self._start_up(worker, call)  # start-up, warm-up, imports: not the call's time
            with _sigint_blocked():  # a worker process may start here: it inherits the signal mask
                future = worker.submit(call, *args)
            result = asyncio.wrap_future(future)
            if self.stuck_after > 0:
                done, _ = await asyncio.wait({result}, timeout=self.stuck_after)
                if not done:
                    logger.warning("a cleaning worker is stuck after %g s: killing it", self.stuck_after)
                    _kill(worker)
            return await result
        except BrokenProcessPool:
            worker = self._replace(worker)
            raise
        finally:
            self._idle.put_nowait(worker)

    async def _start_up(self, worker: ProcessPoolExecutor, call: Callable[..., Any]) -> None:
        with _sigint_blocked():
            started = worker.submit(_preload, call.__module__)
        await asyncio.wrap_future(started)
        self._started.add(worker)

    def _start(self) -> ProcessPoolExecutor:
        worker = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(os.getpid(), self.memory_limit_mb),
        )
        self._workers.add(worker)
        return worker

    def _replace(self, dead: ProcessPoolExecutor) -> ProcessPoolExecutor:
        self._workers.discard(dead)
        self._started.discard(dead)
        dead.shutdown(wait=False, cancel_futures=True)
        return self._start()

    def shutdown(self) -> None:
        """Stop every worker once its call is done; calls not started are cancelled."""
        for worker in self._workers:
            worker.shutdown(wait=True, cancel_futures=True)
        self._workers.clear()
        self._started.clear()
        self._idle = None


def _preload(module: str) -> None:
    """In a new worker: import the module of the calls to come (crawler.pipelines: Scrapy, SQLAlchemy)."""
    importlib.import_module(module)


def _kill(worker: ProcessPoolExecutor) -> None:
    """SIGKILL the worker's process: its call then fails with BrokenProcessPool, as on any death."""
    for process in list((worker._processes or {}).values()):  # a private attribute: no public handle
        process.kill()


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block Ctrl-C in this thread while it may start a worker process, which inherits the mask
    across fork and exec: the worker never sees SIGINT, from its first instruction on.

    Ctrl-C reaches every process of the terminal's group: the crawl stops itself cleanly and shuts
    its workers down, where a worker dying of it would print a traceback (even while still
    importing) and lose its page. The crawl itself misses nothing: its other threads do not block
    SIGINT, so the kernel hands it to one of them and Python runs the handler as usual.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def start_worker(parent: int, memory_limit_mb: int = 0) -> None:
    """In a new cleaning worker: die with the crawl, bound memory, then clean first pages.

    trafilatura builds parts of itself on its first extractions (a third of a second); done here,
    that start-up cost is not charged to the first real pages' time limit.
    """
    die_with_parent(parent)
    if memory_limit_mb > 0:
        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for page in _WARM_UP_PAGES:
        cleaner.clean(page)


def die_with_parent(parent: int) -> None:
    """In a cleaning worker: ask Linux to kill this process when the crawl that started it dies.

    A crawl killed while the worker was still starting has already gone: then leave at once.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)
