"""Redis away for a while under a shared crawl (issue 21, task: nothing lost silently).

Redis is reached through a loopback proxy the test controls: paused, it cuts every connection and
refuses new ones, as a restarting or unreachable Redis does. Before: the release of a lease failed
on the dropped connection, the lease stayed in Redis for ever, and the crawl (its worker alive,
so nobody requeued it) waited on it for ever: a daemon's run never ended, and no later one began.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import COMMAND_DEADLINE, FAST, REDIS_URL, REPO, WIREDESK, row_count
from redis.exceptions import RedisError

from crawler.distributed import redis_settings
from crawler.newsroom import Newsroom

ARTICLES = 60


class PausableProxy:
    """A TCP proxy on loopback to `target`; `pause()` cuts every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.paused = False
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.paused:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def pause(self) -> None:
        self.paused = True
        with self._lock:
            for end in self._open:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
            self._open = []

    def resume(self) -> None:
        self.paused = False

    def close(self) -> None:
        self.listener.close()


@pytest.mark.slow
def test_a_shared_crawl_survives_redis_away_for_a_while(redis_prefix: str, tmp_path: Path) -> None:
    target = urlsplit(REDIS_URL)
    proxy = PausableProxy((target.hostname or "127.0.0.1", target.port or 6379))
    db = tmp_path / "corpus.db"
    log = tmp_path / "crawl.log"
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=0.05) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        command = [
            WIREDESK, "crawl", "bulk", "--sources", str(sources), "--db", f"sqlite:///{db}",
            "--redis", f"redis://127.0.0.1:{proxy.port}{target.path or '/0'}", *FAST,
            "-s", f"WIREDESK_REDIS_PREFIX={redis_prefix}", "-s", "WIREDESK_WORKER_IDLE=3",
            "-s", "WIREDESK_STORE_BATCH=5", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        ]  # fmt: skip
        crawl = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log.open("w"))
        try:
            deadline = time.monotonic() + COMMAND_DEADLINE
            while (
                row_count(db, "articles", missing_ok=True) < 10
                and crawl.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.05)
            proxy.pause()
            time.sleep(4)
            proxy.resume()
            crawl.wait(timeout=COMMAND_DEADLINE)
        finally:
            crawl.kill()
            crawl.wait()
            proxy.close()
    assert crawl.returncode == 0, log.read_text()[-3000:]
    assert row_count(db, "articles") == ARTICLES


def test_a_redis_that_does_not_answer_at_the_start_is_refused_at_once() -> None:
    """Calls retry for about a minute once a crawl runs; a wrong URL must not wait that long."""
    refusing = socket.create_server(("127.0.0.1", 0))
    port = refusing.getsockname()[1]
    refusing.close()
    with pytest.raises(RedisError):
        redis_settings(f"redis://127.0.0.1:{port}/0", "wiredesk-test")
