"""The daemon's side of its warm crawl process (crawler/warmcrawl.py, which holds the other side).

One long-lived child keeps its imports, reactor, cleaning workers and database connections between
runs: a run where every feed answers 304 costs a fraction of a second of CPU instead of seconds.
Each run is a request on the child's stdin and a reply on its stdout; a child that dies (crash,
kill -9, a hang killed) fails the runs it held, never the daemon, and the next run starts a new one.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import Any

from crawler.daemonconfig import DaemonConfig, log_event

WARM_LAUNCH = "from crawler.warmcrawl import main; main()"
"""What `python -c` runs to start the warm crawl process. Not `-m crawler.warmcrawl`: its cleaning
workers are spawned, and a spawned process first imports its parent's main module when it has
one: Scrapy and all of the crawler, seconds of CPU per worker before its first page."""
RECYCLE_AFTER_RUNS = 1000
"""A crawl process that has been given this many runs is replaced once it holds none: a
long-lived Scrapy process grows by some 50 KB a run (docs/performance.md), a new one costs seconds."""


class WarmCrawler:
    """The daemon's side of its warm crawl process (crawler/warmcrawl.py): one at a time, restarted
    when it dies, replaced after `recycle_after` runs; each run is a request on its stdin and a
    reply on its stdout."""

    def __init__(self, settings: DaemonConfig, recycle_after: int = RECYCLE_AFTER_RUNS) -> None:
        self.settings = settings
        self.recycle_after = recycle_after
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._runs = 0
        """Runs given to the current process."""
        self._pending: dict[int, tuple[subprocess.Popen[str], Future[dict[str, Any]]]] = {}

    def start(self) -> None:
        """Start the process now, so the first run finds it warm."""
        with self._lock:
            self._alive()

    def crawl(self, run_id: int, name: str) -> Future[dict[str, Any]]:
        """Ask for a crawl of `name`; the future holds the process's reply (or how it died)."""
        answer: Future[dict[str, Any]] = Future()
        with self._lock:
            process = self._alive()
            self._runs += 1
            self._pending[run_id] = (process, answer)
            self._send(process, {"crawl": run_id, "source": name})
        return answer

    def stop(self, run_id: int) -> None:
        """Ask for a clean stop of one crawl (it replies with finish_reason "shutdown")."""
        with self._lock:
            if run_id in self._pending:
                self._send(self._pending[run_id][0], {"stop": run_id})

    def kill(self) -> None:
        """SIGKILL the process: its runs' futures say it died; the next run starts a new one."""
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def shutdown(self, grace: float) -> None:
        """SIGTERM (every crawl stops cleanly and replies), then SIGKILL after `grace` seconds."""
        with self._lock:
            process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _alive(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._process, self._runs = self._spawn(), 0
        return self._process

    def _retire_if_due(self, process: subprocess.Popen[str]) -> None:
        """With the lock held: past its share of runs and idle, the process is let go (the end of its
        stdin stops it cleanly); the next run starts a new one."""
        if process is not self._process or self._runs < self.recycle_after:
            return
        if any(owner is process for owner, _ in self._pending.values()):
            return
        self._process = None
        assert process.stdin is not None
        process.stdin.close()

    def _spawn(self) -> subprocess.Popen[str]:
        command = [sys.executable, "-c", WARM_LAUNCH, "--db", self.settings.db_url]
        if self.settings.sources_file:
            command += ["--sources", self.settings.sources_file]
        for override in self.settings.overrides:
            command += ["-s", override]
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        threading.Thread(
            target=self._read, args=(process,), name="wiredesk-warm-replies", daemon=True
        ).start()
        log_event(self.settings.log_format, "crawl_process_start", pid=process.pid)
        return process

    @staticmethod
    def _send(process: subprocess.Popen[str], request: dict[str, Any]) -> None:
        """Write one request; a process that just died is noticed by its reader, not here."""
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
        except OSError:
            pass

    def _read(self, process: subprocess.Popen[str]) -> None:
        """Hand each reply to its run; when the process ends, its runs still waiting learn how."""
        assert process.stdout is not None and process.stderr is not None
        last_words: list[str] = []
        drain = threading.Thread(target=_last_line, args=(process.stderr, last_words), daemon=True)
        drain.start()
        for line in process.stdout:
            reply = json.loads(line)
            with self._lock:
                _, answer = self._pending.pop(int(reply["run"]), (None, None))
                self._retire_if_due(process)
            if answer is not None:
                answer.set_result(reply)
        returncode = process.wait()
        drain.join(timeout=5)
        with self._lock:
            orphans = [run for run, (owner, _) in self._pending.items() if owner is process]
            answers = [self._pending.pop(run)[1] for run in orphans]
        for answer in answers:
            answer.set_result({"died": returncode, **({"error": last_words[-1]} if last_words else {})})


def _last_line(stream: Any, last_words: list[str]) -> None:
    """Read a crawl process's stderr to its end (a full pipe would block it), keeping the last line."""
    for line in stream:
        if line.strip():
            last_words[:] = [line.strip()]
