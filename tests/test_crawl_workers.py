"""The cleaning workers (crawler/workers.py): a call that kills its worker costs that call only."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import pytest

from crawler.workers import TRIES, WorkerDied, WorkerPool


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _pid() -> int:
    return os.getpid()


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
