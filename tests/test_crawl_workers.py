"""The cleaning workers (crawler/workers.py): a call that kills its worker costs that call only."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable

import pytest

from crawler import workers
from crawler.workers import TRIES, WorkerDied, WorkerPool


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _pid() -> int:
    return os.getpid()


def _size(page: bytes) -> int:
    return len(page)


def _late() -> str:
    time.sleep(1.0)
    return "the outcome of a cancelled call"


def _raise() -> None:
    raise ValueError("a page the cleaner cannot read")


def _run(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls at once on a pool of two workers; their results or exceptions, in order."""

    async def scenario() -> list[object]:
        pool = WorkerPool(2)
        try:
            runs = [pool.run(call, name=call.__name__) for call in calls]
            return await asyncio.gather(*runs, return_exceptions=True)
        finally:
            pool.shutdown()

    return asyncio.run(scenario())


def test_a_call_that_kills_every_worker_fails_alone(caplog: pytest.LogCaptureFixture) -> None:
    killer, *others = _run([_die, *[_pid] * 6])
    assert isinstance(killer, WorkerDied) and f"died {TRIES} times" in str(killer)
    assert all(isinstance(pid, int) for pid in others), others
    assert "_die: its cleaning worker died; trying it once more on a new one" in caplog.text


def test_an_exception_in_a_worker_comes_back_as_it_is() -> None:
    raised, pid = _run([_raise, _pid])
    assert isinstance(raised, ValueError) and str(raised) == "a page the cleaner cannot read"
    assert isinstance(pid, int)


def test_a_page_larger_than_the_socket_takes_at_once_goes_whole() -> None:
    """Written in parts as the worker reads (the reactor never blocks on it), and back."""
    page = bytes(range(256)) * 40_000  # 10 MB: dozens of socket buffers

    async def scenario() -> int:
        pool = WorkerPool(1)
        try:
            return await pool.run(_size, page, name="large")
        finally:
            pool.shutdown()

    assert asyncio.run(scenario()) == len(page)


def test_a_cancelled_call_leaves_no_outcome_for_the_next_call() -> None:
    """The worker of a cancelled call is still running it: its outcome must not answer the next call."""

    async def scenario() -> object:
        pool = WorkerPool(1)
        try:
            cancelled = asyncio.ensure_future(pool.run(_late, name="cancelled"))
            await asyncio.sleep(0.1)  # the call is on its way to the worker
            cancelled.cancel()
            return await pool.run(_pid, name="next")
        finally:
            pool.shutdown()

    assert isinstance(asyncio.run(scenario()), int)


def _slow_size(page: bytes = b"") -> int:
    time.sleep(0.3)
    return len(page)


def test_a_call_written_whole_leaves_the_event_loop_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call without a page ends with an empty part: once it was written, the socket was still
    watched for writing, and the event loop ran the writer over and over (a core of the crawl's
    CPU) until the outcome came: for seconds while a new worker started."""
    writes = []
    write = workers._Worker._write

    def counted(worker: workers._Worker) -> None:
        writes.append(worker)
        write(worker)

    monkeypatch.setattr(workers._Worker, "_write", counted)

    async def scenario() -> list[int]:
        pool = WorkerPool(1, stuck_after=60)  # its first call, no page, waits for the worker to start
        try:
            first = await pool.run(_slow_size, name="no page")
            return [first, await pool.run(_slow_size, b"page", name="page")]
        finally:
            pool.shutdown()

    assert asyncio.run(scenario()) == [0, 4]
    assert len(writes) == 3, f"{len(writes)} writes for 3 calls (a start-up call and two)"
