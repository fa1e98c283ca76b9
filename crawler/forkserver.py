"""The cleaning workers' fork server: one warm template process from which each worker is forked.

A worker spawned from a clean interpreter paid its start-up for itself, each one and each
replacement: about 1.8 s of CPU (imports 0.9 s, trafilatura's first pages 0.3 s, the language
model 0.7 s; docs/performance.md, issue 22). The template pays it once: spawned from a clean
interpreter (not a fork of the crawl's reactor and threads), it imports the cleaner and the calls'
module, cleans first pages, loads the language model, then forks a worker for each request. A
forked worker starts warm in a millisecond, and shares the template's memory (the model's 70 MB)
until it writes to it.

The template is the crawl's child and the workers are its children. Each dies with its parent
(`PR_SET_PDEATHSIG`): the crawl's death, even by kill -9, kills the template, whose death kills
the workers. A worker runs the calls of one socket whose other end is the crawl's
(crawler/workers.py); its first message there is its process id, for the crawl to kill it or wait
for it (a pidfd: the template, not the crawl, reaps it).

A template that dies costs its workers' calls a try each, as any worker's death: each call is tried
once more on a worker of a new template. It is never started again in a loop: a template that died
before it was warm (it says `READY` once it is) would die the same way again, and after
`TEMPLATES` templates the next death is no accident either; from then on each worker is spawned
from a clean interpreter by the crawl itself and starts cold (`cold_worker`), as before the fork
server, and one log line says so. Cold is not for ever: what killed the templates (a full disk, a
file-size limit at the warm-up) may pass, and a daemon's warm crawl process lives for hours, so the
first worker needed `WARM_AGAIN_AFTER` seconds later tries a template once more, the wait doubling
each time templates fail again: one try per wait, never a loop.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import logging
import multiprocessing
import os
import resource
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

logger = logging.getLogger(__name__)
PR_SET_NAME = 15
PR_SET_PDEATHSIG = 1
# The names `ps` and /proc/PID/comm show (at most 15 bytes).
TEMPLATE_NAME = b"wiredesk-forker"
WORKER_NAME = b"wiredesk-clean"
HELLO = struct.Struct("!Q")
"""A worker's first message on its socket: its process id."""
READY = b"r"
"""The template's one message on its control socket, once warm: a death after it is not its start-up's."""
TEMPLATES = 3
"""Templates one fork server starts in a row at most; past them, workers start cold."""
WARM_AGAIN_AFTER = 300.0
"""Seconds a cold fork server waits before its next worker tries a template again; doubled each
time templates fail again, up to WARM_AGAIN_LONGEST."""
WARM_AGAIN_LONGEST = 3600.0
# A page with an article and one without: trafilatura's fallbacks for the latter load their own
# parts. Both declare their language; the language model is loaded apart (`_warm_up`).
_WARM_UP_PAGES = (
    '<html lang="en"><body><article><p>' + "A first page to clean. " * 20 + "</p></article></body></html>",
    '<html lang="en"><body><nav>Home</nav></body></html>',
)
_WARM_UP_TEXT = "A sentence long enough for the language model to say which language it is in."


class ForkServer:
    """The crawl's side: starts the template (at the first request) and asks it for workers, or
    spawns them cold once templates keep dying."""

    def __init__(self, serve: str, preload: str, memory_limit_mb: int = 0) -> None:
        """`serve` ("module:function") is what a worker runs, given its socket; `preload` a module
        the calls to come need, imported by the template."""
        self.serve = serve
        self.preload = preload
        self.memory_limit_mb = memory_limit_mb
        self.cold = False
        """Templates kept dying: each worker is spawned from a clean interpreter, until `_warm_at`."""
        self._warm_at = float("inf")
        """When (monotonic) a cold fork server's next worker tries a template again."""
        self._cold_wait = WARM_AGAIN_AFTER
        self._templates = 0
        self._process: multiprocessing.process.BaseProcess | None = None
        self._control: socket.socket | None = None
        self._spawned: list[multiprocessing.process.BaseProcess] = []
        """Cold workers, this process's children: reaped once ended."""

    def fork(self) -> socket.socket:
        """A new worker's socket, this process's end: usable at once (the worker reads its calls
        once forked, or once started cold)."""
        ours, theirs = socket.socketpair()
        with theirs:
            while (control := self._running()) is not None:
                try:
                    socket.send_fds(control, [b"w"], [theirs.fileno()], socket.MSG_NOSIGNAL)
                    return ours
                except OSError as error:
                    self._ended(str(error))
            self._spawn(theirs)
        return ours

    def _running(self) -> socket.socket | None:
        """The live template's control socket, the template started if need be; None once cold."""
        if self._process is not None and not self._process.is_alive():
            self._ended(f"exit code {self._process.exitcode}")
        if self.cold and time.monotonic() >= self._warm_at:
            logger.warning("trying the cleaning workers' template again")
            self.cold, self._templates = False, 0
        if self._control is None and not self.cold:
            self._control, theirs = socket.socketpair()
            process = multiprocessing.get_context("spawn").Process(
                target=template,
                args=(theirs, os.getpid(), self.serve, self.preload, self.memory_limit_mb),
                name="wiredesk-forker",
                daemon=True,
            )
            self._templates += 1
            with theirs, sigint_blocked():  # the template, and so its workers, inherit the signal mask
                process.start()
            self._process = process
        return self._control

    def _ended(self, why: str) -> None:
        """The template died (`why`): the next one is started, unless it died before it was warm
        or it was the last one; then workers start cold from now on, and one line says so."""
        warm = self._said_ready()
        self._stop_template()
        self.cold = not warm or self._templates >= TEMPLATES
        if self.cold:
            self._warm_at = time.monotonic() + self._cold_wait
            self._cold_wait = min(2 * self._cold_wait, WARM_AGAIN_LONGEST)
            logger.warning(
                "the cleaning workers' template died %s (%s): workers now start cold, one interpreter each",
                "again" if warm else "before it was warm",
                why,
            )
        else:
            logger.warning("the cleaning workers' template died (%s): starting a new one", why)

    def _said_ready(self) -> bool:
        try:
            return self._control is not None and self._control.recv(1, socket.MSG_DONTWAIT) == READY
        except OSError:
            return False

    def _spawn(self, theirs: socket.socket) -> None:
        """A cold worker on `theirs`, this process's child; the ended ones are reaped meanwhile."""
        self._spawned = [process for process in self._spawned if process.is_alive()]
        process = multiprocessing.get_context("spawn").Process(
            target=cold_worker,
            args=(theirs, os.getpid(), self.serve, self.memory_limit_mb),
            name="wiredesk-clean",
            daemon=True,
        )
        with sigint_blocked():
            process.start()
        self._spawned.append(process)

    def close(self, wait: float = 0) -> None:
        """Stop the template (its workers die with it) and the cold workers: each leaves at the
        end of its socket; killed if not within `wait` seconds."""
        self._stop_template(wait)
        for process in self._spawned:
            _join(process, wait)
        self._spawned.clear()

    def _stop_template(self, wait: float = 0) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            _join(self._process, wait)
            self._process = None


def _join(process: multiprocessing.process.BaseProcess, wait: float) -> None:
    process.join(wait)
    if process.is_alive():
        process.kill()
        process.join()


def template(control: socket.socket, parent: int, serve: str, preload: str, memory_limit_mb: int) -> None:
    """The template's life: warm up, say so (`READY`), then fork a worker for each socket the crawl
    sends, until the crawl closes its end.

    Single-threaded, as forking requires: numpy's BLAS would start a thread per core at its import,
    for matrices far too small to need them.
    """
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent, TEMPLATE_NAME)
    run = _served(serve)
    importlib.import_module(preload)
    try:
        _warm_up()
    except Exception as error:  # a speed-up only: workers then pay it themselves, page by page
        logger.warning("cleaning workers start cold: warm-up failed: %s", error)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers
    gc.freeze()  # the collector does not touch (and so copy) the template's objects in a worker
    itself = os.getpid()
    with control:
        with suppress(BrokenPipeError):  # the crawl is gone already: the loop ends at once
            control.sendall(READY)
        while fds := _next_socket(control):
            channel = socket.socket(fileno=fds[0])
            if os.fork() == 0:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _worker(channel, itself, run, memory_limit_mb)
            channel.close()


def _next_socket(control: socket.socket) -> list[int]:
    """The next worker's socket the crawl sent (blocking); none once it closed its end, which comes
    as a reset when it never read `READY` (the kernel resets a socket closed with data unread)."""
    try:
        return socket.recv_fds(control, 1, 1)[1]
    except ConnectionResetError:
        return []


def cold_worker(channel: socket.socket, parent: int, serve: str, memory_limit_mb: int) -> None:
    """A worker spawned by the crawl itself, once templates keep dying: it imports what it needs
    and serves, cold (its first pages pay the warm-up)."""
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker(channel, parent, _served(serve), memory_limit_mb)


def _served(serve: str) -> Callable[[socket.socket], None]:
    module, name = serve.split(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _worker(
    channel: socket.socket, parent: int, serve: Callable[[socket.socket], None], memory_limit_mb: int
) -> None:
    """A worker's life: die with its parent, bound its memory, say its pid, serve; never return
    (into the template's loop, or multiprocessing's).

    The address-space limit is set here, in the worker and after the imports, never in the
    template: it bounds the worker as a spawned one was bounded, its interpreter and libraries
    (about 250 MB, shared with the template until written to) and what its page costs."""
    status = 1
    try:
        die_with_parent(parent, WORKER_NAME)
        if memory_limit_mb > 0:
            limit = memory_limit_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        channel.sendall(HELLO.pack(os.getpid()))
        serve(channel)
        status = 0
    except BaseException:
        logger.exception("cleaning worker %d failed", os.getpid())
    finally:
        os._exit(status)


def _warm_up() -> None:
    """What a worker's first pages would pay otherwise: trafilatura builds parts of itself on its
    first extractions (a third of a second), the language model loads (0.7 s)."""
    import cleaner
    import crawler.cleaning  # noqa: F401  (the cleaning job's module: every worker's calls)
    from cleaner.language import detect_language

    for page in _WARM_UP_PAGES:
        cleaner.clean(page)
    detect_language(_WARM_UP_TEXT)


def die_with_parent(parent: int, name: bytes) -> None:
    """Ask Linux to kill this process when its parent dies, and name it; a parent already gone
    (killed while this one started): leave at once."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        libc.prctl(PR_SET_NAME, name)
    if os.getppid() != parent:
        os._exit(0)


@contextmanager
def sigint_blocked() -> Iterator[None]:
    """Block Ctrl-C in this thread while it may start a process, which inherits the mask across
    fork and exec: the template and its workers never see SIGINT, from their first instruction on.

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
