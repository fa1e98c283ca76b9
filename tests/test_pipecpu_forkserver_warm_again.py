"""A fork server gone cold (its templates died starting) tries a template again later, once per
wait: what killed them may have passed, and a daemon's warm crawl process lives for hours.

This module is the template's `preload` (the module of the calls, `_portrait`): importing it kills
the process when that process is a template (named `wiredesk-forker`) and the file named by
`_DIES_WHILE` exists, as a full disk would kill the template's warm-up until it is cleared.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from pathlib import Path

import pytest
from conftest import COMMAND_DEADLINE

from crawler import forkserver
from crawler.forkserver import TEMPLATE_NAME
from crawler.workers import WorkerPool

_DIES_WHILE = "WIREDESK_TEST_TEMPLATE_DIES_WHILE"

if (
    Path("/proc/self/comm").read_bytes().strip() == TEMPLATE_NAME
    and Path(os.environ.get(_DIES_WHILE, "/nonexistent")).exists()
):
    os.kill(os.getpid(), signal.SIGKILL)


def _portrait() -> tuple[int, str]:
    """The worker's pid and its parent's name: `wiredesk-forker` when forked from a template."""
    parent = Path(f"/proc/{os.getppid()}/comm").read_text().strip()
    return os.getpid(), parent


def test_a_cold_fork_server_tries_a_template_again_once_the_wait_is_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    dies = tmp_path / "disk-full"
    dies.touch()
    monkeypatch.setenv(_DIES_WHILE, str(dies))
    monkeypatch.setattr(forkserver, "WARM_AGAIN_AFTER", 0.5, raising=False)

    async def scenario() -> tuple[tuple[int, str], tuple[int, str]]:
        pool = WorkerPool(1)
        try:
            first = await pool.run(_portrait, name="while templates die")
            dies.unlink()
            deadline = time.monotonic() + COMMAND_DEADLINE
            latest = first
            while latest[1] != TEMPLATE_NAME.decode():
                assert time.monotonic() < deadline, "the fork server never tried a template again"
                os.kill(latest[0], signal.SIGKILL)  # its replacement is the fork server's next worker
                await asyncio.sleep(0.1)
                latest = await pool.run(_portrait, name="after the disk was cleared")
            return first, latest
        finally:
            pool.shutdown()

    with caplog.at_level(logging.WARNING, logger="crawler"):
        first, latest = asyncio.run(scenario())
    assert first[1] != TEMPLATE_NAME.decode(), "the first template was to die starting"
    assert latest[1] == TEMPLATE_NAME.decode()
    lines = [record.getMessage() for record in caplog.records if record.name == forkserver.__name__]
    assert "workers now start cold" in lines[0], lines
    assert lines[1:] == ["trying the cleaning workers' template again"], lines
