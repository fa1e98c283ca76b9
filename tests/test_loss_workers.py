"""A cleaning worker stuck inside one C call (issue 21: a killed or stuck worker costs its page).

The time limit is an alarm whose handler runs between Python bytecodes: a call that never returns
to Python (one long call into lxml or libxml2; here a key derivation of 2e9 rounds, minutes) held its
worker, and the crawl, for ever. With `stuck_after` the worker is killed and the call fails as on a death.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
from typing import Any

import pytest

from crawler.workers import TRIES, WorkerDied, WorkerPool

# Iterations of a key derivation (its maximum, about 2^31): one C call of many minutes that checks no signal.
_ROUNDS = 2_000_000_000
# The first call in a worker imports this module there: light, and well under this.
STUCK_AFTER = 5.0
# Far more than two kills and a start-up, even on a loaded machine; the test fails, not hangs.
DEADLINE = 120.0


def _stuck_in_c() -> None:
    """A call the alarm of `clean_in_time` cannot interrupt: armed here, it never fires in time."""
    signal.signal(signal.SIGALRM, _give_up)
    signal.setitimer(signal.ITIMER_REAL, 0.5, 0.05)
    hashlib.pbkdf2_hmac("sha256", b"page", b"salt", _ROUNDS)


def _give_up(signum: int, frame: Any) -> None:
    raise TimeoutError("the alarm")


def _pid() -> int:
    return os.getpid()


@pytest.mark.slow
def test_a_call_stuck_in_c_costs_its_workers_not_the_crawl() -> None:
    async def scenario() -> list[object]:
        pool = WorkerPool(2, stuck_after=STUCK_AFTER)
        try:
            calls = [pool.run(_stuck_in_c, name="stuck"), pool.run(_pid, name="pid")]
            return await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), DEADLINE)
        finally:
            pool.shutdown()

    stuck, pid = asyncio.run(scenario())
    assert isinstance(stuck, WorkerDied) and f"died {TRIES} times" in str(stuck)
    assert isinstance(pid, int)


def test_the_crawl_kills_a_worker_stuck_past_twice_its_time_limit() -> None:
    from crawler.pipelines import CleanPipeline  # not at the top: workers import this module
    from crawler.report import CrawlReport

    pipeline = CleanPipeline(report=CrawlReport(), workers=1, time_limit=20.0)
    assert pipeline._pool is not None and pipeline._pool.stuck_after == 50.0
    unlimited = CleanPipeline(report=CrawlReport(), workers=1, time_limit=0)
    assert unlimited._pool is not None and unlimited._pool.stuck_after == 0
