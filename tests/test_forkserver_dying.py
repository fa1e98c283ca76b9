"""A cleaning workers' template that dies before it is warm would die so again: the fork server
does not start it in a loop (each one dying on the next worker's request, every call lost with
it), it says so in one line and spawns each worker cold instead, losing no call.

This module is the template's `preload` (the module of the calls, `_portrait`): importing it kills
the process when that process is a template (named `wiredesk-forker`), as the kernel's OOM killer
or a crash in C would during its warm-up; the test's own process and cold workers import it
unharmed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

import pytest

from crawler.forkserver import TEMPLATE_NAME
from crawler.workers import WorkerPool

if Path("/proc/self/comm").read_bytes().strip() == TEMPLATE_NAME:
    os.kill(os.getpid(), signal.SIGKILL)


def _portrait() -> tuple[int, str]:
    return os.getppid(), Path("/proc/self/comm").read_text().strip()


def test_a_template_that_dies_starting_is_not_restarted_and_workers_start_cold(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> list[tuple[int, str]]:
        pool = WorkerPool(2)
        try:
            return await asyncio.gather(*(pool.run(_portrait, name=f"call {n}") for n in range(6)))
        finally:
            pool.shutdown()

    with caplog.at_level(logging.WARNING, logger="crawler"):
        portraits = asyncio.run(scenario())
    assert portraits == [(os.getpid(), "wiredesk-clean")] * 6
    templates = [record.getMessage() for record in caplog.records if "template" in record.getMessage()]
    assert len(templates) == 1 and "workers now start cold" in templates[0], templates
