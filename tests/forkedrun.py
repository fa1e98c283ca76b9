"""`wiredesk crawl` in a child forked from the test's process: the real command line, without the
interpreter's start and the imports a new process pays (docs/testing.md).

A crawl started with `subprocess` spends some 2.5 of its 4 CPU-seconds importing Scrapy, Twisted
and the crawler, and in Scrapy's `inspect.stack()`; the test's process has imported them already
(collection imports every test module). The child runs `crawler.cli.main` with the command's
arguments, as the `wiredesk` script does, in a process of its own (its own reactor, database
engines, cleaning pool, exit status), with stdin, stdout and stderr of its own; it is reaped as a
subprocess is, so the CPU hook (tests/conftest.py) counts it.

What a fork would share with the test's process is reset in the child first: the standard streams,
signal handlers, logging's and warnings' hooks that pytest installs, asyncio's loop, the
multiprocessing children and the shared database engines of the parent (kept alive, never used:
closing them would close the parent's connections). Where the parent holds what cannot be reset
(an installed Twisted reactor), or $WIREDESK_TEST_FORK is 0, the command runs in a new process.
Tests whose claim is about the process itself (its start-up, signals, Ctrl-C during the imports)
start `wiredesk` with subprocess, as before.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import types
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

FORKED = frozenset({"crawl", "import"})
"""Commands a test may run forked: they start a reactor (so not in the test's own process)."""
_FRESH_FILTERS = list(warnings.filters)
"""The warning filters before pytest's per-test ones: what a new process starts with."""
_FRESH_SHOW = warnings._showwarnmsg_impl  # type: ignore[attr-defined]


_WARM_MODULES = [
    "aiohttp",
    "crawler.commands",
    "crawler.pipelines",
    "crawler.progress",
    "crawler.robots",
    "crawler.spiders.news",
    "crawler.warcwriter",
    "multiprocessing.connection",
    "multiprocessing.popen_spawn_posix",
    "multiprocessing.resource_tracker",
    "rich.console",
    "rich.table",
    "scrapy.core.downloader.handlers.http11",
    "storage.archives",
    "storage.readonly",
    "storage.spool",
    "tldextract",
    "twisted.web.client",
]
"""Modules a crawl imports once it runs, besides those its settings name (`_warm`)."""
_warmed: list[bool] = []


def _warm() -> None:
    """Import, once in the test's process, what every crawl would import again in its child: the
    classes Scrapy's and the project's settings name, and the modules the crawl's commands load late.
    None of them installs a reactor (checked by `can_fork` after)."""
    if _warmed:
        return
    _warmed.append(True)
    from scrapy.settings import default_settings
    from scrapy.utils.misc import load_object

    import crawler.settings

    paths = {
        path
        for module in (default_settings, crawler.settings)
        for value in vars(module).values()
        for path in ([*value, *value.values()] if isinstance(value, dict) else [value])
        if isinstance(path, str) and path.count(".") >= 2 and " " not in path and "/" not in path
    }
    for module in _WARM_MODULES:
        importlib.import_module(module)
    for path in sorted(paths):
        try:
            load_object(path)
        except (AttributeError, ImportError, NameError, ValueError):
            continue  # an optional dependency not installed: the crawl would not import it either


def can_fork(args: Sequence[str]) -> bool:
    """Whether a child of this process can run `wiredesk ARGS` as a new process would: not with a
    Twisted reactor installed here, nor while this process holds a SQLite file the command opens
    (SQLite keeps per-process state of each open file, its locks and its shared memory, which a
    forked child would inherit and use: "locking protocol")."""
    if os.environ.get("WIREDESK_TEST_FORK", "1") == "0":
        return False
    _warm()
    return "twisted.internet.reactor" not in sys.modules and not _held_here(_sqlite_files(args))


def _sqlite_files(args: Sequence[str]) -> set[str]:
    """The SQLite files the command line names (`sqlite:///PATH`), with their journals."""
    paths = {
        os.path.realpath(arg.removeprefix("sqlite:///").split("?")[0])
        for arg in args
        if arg.startswith("sqlite:///")
    }
    return {path + suffix for path in paths for suffix in ("", "-wal", "-shm", "-journal")}


def _held_here(paths: set[str]) -> bool:
    """Whether this process has one of `paths` open."""
    for descriptor in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{descriptor}") in paths:
                return True
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor)
    return False


def run_forked(wiredesk: str, args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """`wiredesk ARGS` in a forked child: its exit status, stdout and stderr, as subprocess.run gives."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # pragma: no cover (the child never returns)
            _child(wiredesk, args, cwd, out.fileno(), err.fileno())
        status = _wait(pid, timeout, [wiredesk, *args])
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return subprocess.CompletedProcess([wiredesk, *args], status, stdout, stderr)


class ForkedProcess:
    """`wiredesk ARGS` forked as `run_forked` does, running beside the test: what the crawl tests use
    of subprocess.Popen (poll, wait, send_signal, kill, communicate, pid, returncode, a stderr pipe).

    `stdout`/`stderr`: subprocess.DEVNULL, subprocess.PIPE (stderr only, read as text), an open file,
    or None (the test's own). `new_session`: the child leads a session of its own, so that a signal
    to its process group reaches it and its workers, as Popen's `start_new_session`."""

    def __init__(
        self,
        wiredesk: str,
        args: list[str],
        cwd: Path,
        stdout: Any = None,
        stderr: Any = None,
        new_session: bool = False,
    ) -> None:
        self.args = [wiredesk, *args]
        self.returncode: int | None = None
        self.stderr: TextIO | None = None
        read_end = None
        if stderr == subprocess.PIPE:
            read_end, err = os.pipe()
        else:
            err = _stream(stderr, 2)
        out = _stream(stdout, 1)
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover (the child never returns)
            if read_end is not None:
                os.close(read_end)
            if new_session:
                os.setsid()
            _child(wiredesk, args, cwd, out, err)
        for end in {out, err} - {1, 2}:
            os.close(end)
        if read_end is not None:
            self.stderr = open(read_end, encoding="utf-8", errors="replace")  # noqa: SIM115 (closed by communicate)

    def poll(self) -> int | None:
        if self.returncode is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, number: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, number)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple[None, str | None]:
        """(None, what it wrote on a stderr pipe), once it has ended (killed past `timeout`)."""
        errors = None
        if self.stderr is not None:
            errors = self.stderr.read()  # to its end: the child and what it started closed it
            self.stderr.close()
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait()
            raise
        return None, errors


def _stream(target: Any, inherited: int) -> int:
    """The descriptor a child's stream goes to (a new one, closed in the parent after the fork)."""
    if target is None:
        return inherited
    if target == subprocess.DEVNULL:
        return os.open(os.devnull, os.O_WRONLY)
    return os.dup(target.fileno())


def _wait(pid: int, timeout: float, command: list[str]) -> int:
    """The child's exit status (negative: the signal that ended it); killed past `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise subprocess.TimeoutExpired(command, timeout)
        time.sleep(0.02)


def _child(wiredesk: str, args: list[str], cwd: Path, out: int, err: int) -> None:
    """Run the command line as the `wiredesk` script would, then end the process without returning."""
    status = 1
    try:
        _fresh_process(wiredesk, cwd, out, err)
        from crawler.cli import main

        sys.argv = ["wiredesk", *args]
        main()
        status = 0
    except SystemExit as ending:
        status = _exit_status(ending.code)
    except BaseException:
        traceback.print_exc()
    finally:
        _end(status)


def _fresh_process(wiredesk: str, cwd: Path, out: int, err: int) -> None:
    """Undo, in the child, what the test's process set up that a new process would not have."""
    gc.freeze()  # the parent's objects: never collected here (a parent's connection closed by GC)
    atexit._clear()  # the parent's exit handlers are the parent's
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    # What subprocess's close_fds does: the parent's sockets (the newsroom's connections, the
    # database's, pytest's) stay the parent's; a connection a child held open would not close.
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    os.chdir(cwd)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 (the process's own streams)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)  # noqa: SIM115
    script = types.ModuleType("__main__")  # what multiprocessing's spawn sees of the `wiredesk` script
    script.__file__ = wiredesk
    sys.modules["__main__"] = script
    for number in (signal.SIGTERM, signal.SIGALRM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import faulthandler

    faulthandler.disable()
    logging.root.handlers.clear()
    logging.root.setLevel(logging.WARNING)
    warnings.filters[:] = _FRESH_FILTERS
    warnings._showwarnmsg_impl = _FRESH_SHOW  # type: ignore[attr-defined]
    warnings.showwarning = warnings._showwarning_orig  # type: ignore[attr-defined]
    import asyncio
    import multiprocessing.process
    import multiprocessing.util

    asyncio.set_event_loop_policy(None)
    multiprocessing.process._children.clear()  # type: ignore[attr-defined]
    multiprocessing.util._finalizer_registry.clear()  # type: ignore[attr-defined]
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker  # type: ignore[attr-defined]
    tracker._fd = tracker._pid = None  # the parent's tracker (its pipe closed above): start one's own
    from storage import engine

    _PARENTS.extend(engine._SHARED.values())  # kept referenced: never closed, never used here
    engine._SHARED.clear()
    engine._MIGRATED.clear()


_PARENTS: list[object] = []


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _end(status: int) -> None:
    """What the interpreter does at exit (this process's exit handlers, streams flushed), then exit."""
    try:
        atexit._run_exitfuncs()
        import multiprocessing.util

        multiprocessing.util._exit_function()  # type: ignore[attr-defined]
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)
