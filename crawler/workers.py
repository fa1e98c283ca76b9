"""The cleaning workers: processes that each clean one page at a time, so a dead one costs one page.

Each worker is one process and one socket to it: the reactor thread writes a call (its
pickle, then its page's bytes as they are, uncopied) to an idle worker's socket and the event loop
reads the outcome when it arrives (`add_reader`), so handing a page over costs no thread: no
`ProcessPoolExecutor` manager or queue feeder threads, nor the GIL passed between them twice a page
(docs/performance.md).
When a worker dies (kill -9, the kernel's OOM killer, a crash in C), its socket ends and only the
call it held fails. The dead worker is replaced and its call tried once more on the new one; a
second death is the page's (`WorkerDied`), a page that kills every worker it meets costs two
workers and nothing else.

A call can also hang where the time limit's alarm cannot reach it: inside one C call that does
not return to Python (lxml, libxml2). With
`stuck_after`, a worker still on one call past that many seconds is killed, and the call goes the
way of a death (tried once more, then `WorkerDied`): a stuck page costs two workers and twice that
time, where it held its worker, and the crawl, for ever.

Workers are forked from a warm template process (crawler/forkserver.py), which starts from a clean
interpreter (`spawn`, not a fork of the reactor's threads) and pays the imports and warm-up once;
they die with the crawl even on its kill -9 (`PR_SET_PDEATHSIG`, through the template). With
WIREDESK_CLEAN_MEMORY_LIMIT, a worker's address space is bounded (RLIMIT_AS): a page that needs
more gets MemoryError, its own failure, instead of waking the kernel's OOM killer.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import pickle
import select
import signal
import socket
import struct
from collections.abc import Callable
from typing import Any, TypeVar

from crawler.forkserver import HELLO, ForkServer

logger = logging.getLogger(__name__)
TRIES = 2
"""A call whose worker dies is tried on a new worker once more; the second death is its own."""
# A message on a worker's socket: its length (8 bytes, network order), then a pickle of that length.
_HEADER = struct.Struct("!Q")
# A call adds, after its pickle, a message of its pages' lengths, then the pages (`_call_message`).
_LENGTH = struct.Struct("!Q")
# Bytes the kernel buffers on a worker's socket: a page of a few hundred KB goes in one write
# instead of several turns of the event loop (the kernel's default is about 200 KB).
_SOCKET_BUFFER = 4 << 20
# Bytes read from a worker's socket at a time: an outcome (a cleaned article) is a few KB.
_READ_SIZE = 1 << 20
# At shutdown, seconds a worker has to finish its call and leave before it is killed.
_SHUTDOWN_WAIT = 5.0
Result = TypeVar("Result")


class WorkerDied(RuntimeError):
    """The worker running a call died, on every try: the call (the page) is what kills them."""


class _WorkerLost(Exception):
    """The worker's socket ended (or broke) before the call's outcome came back: it died."""


class WorkerPool:
    """`size` worker processes; `run` waits for an idle one, runs a call there, and gives its result."""

    def __init__(self, size: int, memory_limit_mb: int = 0, stuck_after: float = 0) -> None:
        self.size = size
        self.memory_limit_mb = memory_limit_mb
        self.stuck_after = stuck_after
        self._started: set[_Worker] = set()
        """Workers known to have started (warmed up): a call's time there is the call's own."""
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers: set[_Worker] = set()
        self._forks: ForkServer | None = None

    async def run(self, call: Callable[..., Result], *args: Any, name: str = "") -> Result:
        """`call(*args)` in a worker; its exceptions come back as they are, a dead worker as WorkerDied.

        `call` and `args` must pickle (a module-level function). `name` says what the call is
        about (a URL), for the log line when its worker dies.
        """
        for _ in range(TRIES - 1):
            try:
                return await self._run_once(call, args)
            except _WorkerLost:
                logger.warning("%s: its cleaning worker died; trying it once more on a new one", name)
        try:
            return await self._run_once(call, args)
        except _WorkerLost:
            raise WorkerDied(f"cleaning worker died {TRIES} times on it (killed, or out of memory)") from None

    async def _run_once(self, call: Callable[..., Result], args: tuple[Any, ...]) -> Result:
        """On an idle worker; a worker that dies under the call is replaced (_WorkerLost), and so is
        one whose call was cancelled (its outcome, still to come, is no answer to the next call)."""
        if self._idle is None:
            self._forks = ForkServer(f"{__name__}:serve", call.__module__, self.memory_limit_mb)
            self._idle = asyncio.Queue()
            for _ in range(self.size):
                self._idle.put_nowait(self._start())
        idle = self._idle
        worker = await idle.get()
        try:
            if self.stuck_after > 0 and worker not in self._started:
                # Start-up, warm-up and the call's imports: not the call's own time.
                await worker.run(_preload, (call.__module__,))
                self._started.add(worker)
            return await worker.run(call, args, self.stuck_after)
        except (_WorkerLost, asyncio.CancelledError):
            if worker in self._workers:  # not shut down meanwhile
                worker = self._replace(worker)
            raise
        finally:
            if worker in self._workers:
                idle.put_nowait(worker)

    def _start(self) -> _Worker:
        assert self._forks is not None
        worker = _Worker(self._forks.fork())
        self._workers.add(worker)
        return worker

    def _replace(self, dead: _Worker) -> _Worker:
        self._workers.discard(dead)
        self._started.discard(dead)
        dead.stop()
        return self._start()

    def shutdown(self) -> None:
        """Stop every worker: each leaves once its call is done (killed if not within seconds); the
        calls still waiting for their outcome are cancelled."""
        for worker in self._workers:
            worker.close()
        for worker in self._workers:
            worker.stop(_SHUTDOWN_WAIT)
        if self._forks is not None:
            self._forks.close(_SHUTDOWN_WAIT)
            self._forks = None
        self._workers.clear()
        self._started.clear()
        self._idle = None


class _Worker:
    """One cleaning worker process and this process's end of its socket; one call at a time.

    The call goes out from the event loop's thread, written as far as the socket takes it and the
    rest when it can take more (`add_writer`); the outcome is read as it comes (`add_reader`).
    """

    def __init__(self, ours: socket.socket) -> None:
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER)
        ours.setblocking(False)
        self._socket = ours
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outcome: asyncio.Future[bytearray] | None = None
        self._unsent: list[memoryview] = []
        self._received = bytearray()
        self._pidfd = -1
        """The worker's process (a pidfd, -1 until its first message, its pid, has been read): not
        this process's child, the template's, which reaps it."""

    async def run(self, call: Callable[..., Result], args: tuple[Any, ...], stuck_after: float = 0) -> Result:
        """`call(*args)` there; _WorkerLost if the worker dies first (or is killed, stuck after
        `stuck_after` seconds: 0, never)."""
        self._loop = loop = asyncio.get_running_loop()
        self._outcome = loop.create_future()
        self._unsent = [memoryview(part) for part in _call_message(call, args)]
        self._received = bytearray()
        loop.add_reader(self._socket.fileno(), self._read)
        self._write()
        stuck = loop.call_later(stuck_after, self._kill_stuck, stuck_after) if stuck_after > 0 else None
        try:
            returned, value = pickle.loads(memoryview(await self._outcome)[_HEADER.size :])
        finally:
            if stuck is not None:
                stuck.cancel()
            self._unwatch()
        if returned:
            return value  # type: ignore[no-any-return]
        raise value

    def _write(self) -> None:
        """Write what the socket takes now; wait until it can take more (add_writer) for the rest."""
        try:
            written = self._socket.sendmsg(self._unsent, (), socket.MSG_NOSIGNAL)
        except BlockingIOError:
            written = 0
        except OSError as error:
            self._lose(f"writing to it failed ({error})")
            return
        while self._unsent and written >= len(self._unsent[0]):  # empty parts too (no page)
            written -= len(self._unsent.pop(0))
        if written:
            self._unsent[0] = self._unsent[0][written:]
        assert self._loop is not None
        if self._unsent:
            self._loop.add_writer(self._socket.fileno(), self._write)
        else:
            self._loop.remove_writer(self._socket.fileno())

    def _read(self) -> None:
        """Read what arrived of the outcome; the outcome is complete once its length has arrived."""
        try:
            chunk = self._socket.recv(_READ_SIZE)
        except BlockingIOError:
            return
        except OSError as error:
            self._lose(f"reading from it failed ({error})")
            return
        if not chunk:
            self._lose("it ended")
            return
        self._received += chunk
        if self._pidfd < 0 and len(self._received) >= HELLO.size:
            try:
                self._pidfd = os.pidfd_open(HELLO.unpack_from(self._received)[0])
            except ProcessLookupError:  # gone already, reaped by the template
                self._lose("it ended as it started")
                return
            del self._received[: HELLO.size]
        if self._pidfd < 0 or len(self._received) < _HEADER.size:
            return
        (size,) = _HEADER.unpack_from(self._received)
        if len(self._received) >= _HEADER.size + size and self._outcome and not self._outcome.done():
            self._outcome.set_result(self._received)

    def _lose(self, why: str) -> None:
        logger.debug("cleaning worker %s: %s", self._pidfd, why)
        self._unwatch()
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_exception(_WorkerLost(why))

    def _kill_stuck(self, seconds: float) -> None:
        """Its call passed `stuck_after`: kill it; its socket then ends and the call is lost."""
        logger.warning("a cleaning worker is stuck after %g s: killing it", seconds)
        self._kill()

    def _unwatch(self) -> None:
        descriptor = self._socket.fileno()
        if self._loop is not None and not self._loop.is_closed() and descriptor >= 0:
            self._loop.remove_reader(descriptor)
            self._loop.remove_writer(descriptor)

    def close(self) -> None:
        """Close this end of its socket: the worker leaves once its call is done. A call still
        waiting for its outcome is cancelled."""
        if self._socket.fileno() >= 0:
            self._unwatch()
            self._socket.close()
        if self._outcome is not None and not self._outcome.done():
            self._outcome.cancel()

    def stop(self, wait: float = 0) -> None:
        """Close its socket, give it `wait` seconds to leave, then kill it. A worker whose pid has
        not come yet has run no call: it leaves at the end of its socket."""
        self.close()
        if self._pidfd >= 0:
            if not select.select([self._pidfd], [], [], wait)[0]:  # readable once it has ended
                self._kill()
            os.close(self._pidfd)
            self._pidfd = -1

    def _kill(self) -> None:
        if self._pidfd >= 0:
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)


def serve(channel: socket.socket) -> None:
    """A cleaning worker's life once forked (crawler/forkserver.py): run each call the crawl sends
    on `channel` and send back its outcome, until the crawl closes its end."""
    with channel:
        while (received := _receive_call(channel)) is not None:
            try:
                _send(channel, _outcome(*received))
            except OSError:  # the crawl closed its end while the call ran: nobody waits for it
                return


def _call_message(call: Callable[..., Any], args: tuple[Any, ...]) -> list[bytes | memoryview]:
    """A call as written to a worker's socket: the header and pickle of the call, then the bytes
    arguments (the page) as they are, out of the pickle (protocol 5's out-of-band buffers): the
    crawl's process hands a page to the kernel without first copying it into a pickle."""
    pages: list[memoryview] = []
    carried = tuple(pickle.PickleBuffer(arg) if type(arg) is bytes else arg for arg in args)
    message = pickle.dumps((call, carried), 5, buffer_callback=lambda buffer: pages.append(buffer.raw()))
    lengths = b"".join(_LENGTH.pack(len(page)) for page in pages)
    return [_HEADER.pack(len(message)), message, _HEADER.pack(len(lengths)), lengths, *pages]


def _receive_call(channel: socket.socket) -> tuple[bytearray, list[bytes]] | None:
    """The next call's pickle and its pages (blocking); None when the crawl closed its end."""
    message = _receive(channel)
    lengths = _receive(channel) if message is not None else None
    pages = []
    for (length,) in _LENGTH.iter_unpack(lengths or b""):
        if (page := _read_exactly(channel, length)) is None:
            return None
        pages.append(bytes(page))
    return (message, pages) if message is not None and lengths is not None else None


def _outcome(message: bytearray, pages: list[bytes]) -> bytes:
    """Run the pickled call (its pages given back as bytes); its result or its exception, pickled.
    An outcome that cannot be pickled comes back as an error that says so."""
    try:
        call, args = pickle.loads(message, buffers=pages)
        outcome = (True, call(*args))
    except BaseException as error:  # it goes back to the caller, which raises it
        outcome = (False, error)
    try:
        return pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
    except Exception as error:
        failed = RuntimeError(f"the outcome of the call cannot be sent back: {error!r}")
        return pickle.dumps((False, failed), pickle.HIGHEST_PROTOCOL)


def _receive(channel: socket.socket) -> bytearray | None:
    """The next message (blocking); None when the crawl closed its end."""
    header = _read_exactly(channel, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    return _read_exactly(channel, size)


def _read_exactly(channel: socket.socket, size: int) -> bytearray | None:
    """`size` bytes (blocking); None when the crawl closed its end.

    A close can come as a reset: the crawl closed its end with this worker's pid still unread
    (a worker started, never given a call, at shutdown), and the kernel then resets the socket."""
    buffer = bytearray(size)
    view, filled = memoryview(buffer), 0
    while filled < size:
        try:
            got = channel.recv_into(view[filled:])
        except ConnectionResetError:
            return None
        if not got:
            return None
        filled += got
    return buffer


def _send(channel: socket.socket, message: bytes) -> None:
    channel.sendmsg([_HEADER.pack(len(message)), message])


def _preload(module: str) -> None:
    """In a new worker: import the module of the calls to come (crawler.pipelines: Scrapy, SQLAlchemy)."""
    importlib.import_module(module)
