"""The cleaning workers' fork server (crawler/forkserver.py): workers forked warm from one template,
bounded as before, dying with the crawl, and a template that dies replaced without losing a call."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import COMMAND_DEADLINE, REPO

from cleaner.language import _identifier
from crawler.forkserver import HELLO
from crawler.workers import WorkerPool, serve


def _portrait() -> tuple[int, int, str, int, bool, int]:
    """What a worker says of itself: its pid, its parent's, its name, its address-space limit,
    whether it has the language model already, its threads."""
    name = Path("/proc/self/comm").read_text().strip()
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    threads = len(os.listdir("/proc/self/task"))
    return os.getpid(), os.getppid(), name, limit, _identifier.cache_info().currsize == 1, threads


def _run(pool: WorkerPool, calls: list[Callable[[], object]]) -> list[object]:
    async def scenario() -> list[object]:
        return await asyncio.gather(*(pool.run(call, name=call.__name__) for call in calls))

    return asyncio.run(scenario())


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _gone(pid: int) -> bool:
    """Ended (a zombie, or reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _wait(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + COMMAND_DEADLINE
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_workers_are_forked_warm_from_one_template_of_this_process() -> None:
    pool = WorkerPool(2, memory_limit_mb=1024)
    try:
        portraits = _run(pool, [_portrait] * 6)
        templates = {portrait[1] for portrait in portraits}  # type: ignore[index]
        assert len(templates) == 1 and _parent_of(next(iter(templates))) == os.getpid(), portraits
    finally:
        pool.shutdown()
    workers = {portrait[0] for portrait in portraits}  # type: ignore[index]
    (template,) = templates
    assert len(workers) == 2 and template != os.getpid(), portraits
    for _, _, name, limit, model_loaded, threads in portraits:  # type: ignore[misc]
        assert name == "wiredesk-clean" and limit == 1024 << 20
        assert model_loaded, "the worker would load the language model for itself"
        assert threads == 1
    _wait(lambda: all(map(_gone, workers)) and _gone(template), "the workers and template to end")


def test_a_template_that_dies_costs_its_workers_and_no_call() -> None:
    """Its workers die with it (PR_SET_PDEATHSIG); the next calls go to workers of a new template."""
    pool = WorkerPool(1)
    try:
        ((worker, template, *_),) = _run(pool, [_portrait])  # type: ignore[misc]
        os.kill(template, signal.SIGKILL)
        _wait(lambda: _gone(worker), "the worker to die with its template")
        after = _run(pool, [_portrait] * 3)
    finally:
        pool.shutdown()
    assert template not in {portrait[1] for portrait in after}  # type: ignore[index]


_CRAWL = """
import asyncio, os, sys
from crawler.forkserver import HELLO
from crawler.workers import WorkerPool, serve

async def main():
    pool = WorkerPool(2)
    pids = await asyncio.gather(pool.run(os.getpid), pool.run(os.getppid))
    print(*pids, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_workers_and_their_template_die_with_the_crawl_killed() -> None:
    crawl = subprocess.Popen([sys.executable, "-c", _CRAWL], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert crawl.stdout is not None
        worker, template = map(int, crawl.stdout.readline().split())
        assert not _gone(worker) and _parent_of(worker) == template and _parent_of(template) == crawl.pid
    finally:
        crawl.kill()
        crawl.wait()
    _wait(lambda: _gone(template) and _gone(worker), "the template and worker to die with the crawl")


def test_a_worker_whose_pid_was_never_read_leaves_quietly_at_shutdown() -> None:
    """The crawl closes the socket of a worker it gave no call, its pid unread: the kernel resets
    the socket, and the worker took the reset for a failure (a traceback in the crawl's log)."""
    ours, theirs = socket.socketpair()
    theirs.sendall(HELLO.pack(os.getpid()))
    ours.close()
    serve(theirs)
    assert theirs.fileno() == -1


def test_a_pool_shut_down_leaves_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    """The crawl closes the template's control socket with the template's `READY` unread: the
    kernel resets it, and the template took the reset for a failure (a traceback at every crawl's
    end)."""
    pool = WorkerPool(1)
    try:
        ((_, template, *_),) = _run(pool, [_portrait])  # type: ignore[misc]
    finally:
        pool.shutdown()
    _wait(lambda: _gone(template), "the template to end")
    assert "Traceback" not in capfd.readouterr().err
