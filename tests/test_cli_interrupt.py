"""Ctrl-C: one line, no traceback, exit 130, wherever it lands: during the imports, a crawl's start-up
inside Scrapy, a running import, a daemon's start-up. On a crawl, --resume then finishes it and
fetches no article stored before the interruption again.

Real processes (a crawl runs Twisted's reactor once per process) in a session of their own, so the
SIGINT goes to the whole process group as a terminal's Ctrl-C does: the command and its workers.
The moments of start-up are recognised by the imports Python reports as they finish
(PYTHONPROFILEIMPORTTIME=1 writes a line on stderr for each): the test reads them as they come and
sends SIGINT when the named module has been imported, with no sleep.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import COMMAND_DEADLINE, FAST, REPO, WIREDESK, Started, column_values, row_count, start_wiredesk
from warcfiles import bulk_warc

import crawler.run
from crawler.newsroom import Newsroom
from crawler.newsroom.bulk import bulk_path
from crawler.report import CrawlReport

ARTICLES = 24
# Two requests at a time, each article stored as soon as it is clean: Ctrl-C lands mid-crawl.
SLOW_ENOUGH = [
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=2",
    "-s",
    "WIREDESK_STORE_BATCH=1",
    "-s",
    "WIREDESK_PROGRESS=False",
]


def _stored_paths(db: Path) -> set[str]:
    return {urlsplit(url).path for url in column_values(db, "SELECT url FROM articles", missing_ok=True)}


def _fetched(newsroom: Newsroom, articles: set[str]) -> int:
    return sum(1 for site, path in list(newsroom.requests) if site == "bulk" and path in articles)


def _crawl(sources: Path, db: Path, jobdir: Path) -> Started:
    """Ctrl-C mid-crawl (the start-up cases below start a new interpreter of their own)."""
    command = ["crawl", "bulk", "--sources", str(sources), "--db", f"sqlite:///{db}"]
    command += ["--jobdir", str(jobdir), *FAST, *SLOW_ENOUGH]
    return start_wiredesk(*command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def test_ctrl_c_then_resume(tmp_path: Path) -> None:
    db, jobdir, sources = tmp_path / "c.db", tmp_path / "job", tmp_path / "sources.toml"
    """Articles a second each, two at a time: a crawl lasts some twelve seconds past its start-up, so
    it is still running when a test that lags behind the crawl's import lines (on a loaded machine)
    sends its Ctrl-C. At 0.2 s it had sometimes finished by then, and exited 0."""
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=1.0) as newsroom:
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        articles = {bulk_path(n) for n in range(ARTICLES)}
        crawl = _crawl(sources, db, jobdir)
        deadline = time.monotonic() + COMMAND_DEADLINE
        while _fetched(newsroom, articles) < 4 and crawl.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert crawl.poll() is None, "the crawl ended before it could be interrupted"
        os.killpg(crawl.pid, signal.SIGINT)
        _, stderr = crawl.communicate(timeout=COMMAND_DEADLINE)
        assert crawl.returncode == 130, stderr
        assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
        assert "interrupted" in stderr and "--resume" in stderr
        stored_before = _stored_paths(db)
        assert 0 < len(stored_before) < ARTICLES
        resumed = _crawl(sources, db, jobdir)
        _, stderr = resumed.communicate(timeout=COMMAND_DEADLINE)
        assert resumed.returncode == 0, stderr
        fetches = Counter(path for site, path in newsroom.requests if site == "bulk" and path in articles)
    assert _stored_paths(db) == articles == set(fetches)
    assert {path for path in stored_before if fetches[path] > 1} == set()


# --- Ctrl-C during start-up --------------------------------------------------------------------

IMPORT_TIME = "import time:"
# Moments of start-up, each named by a module imported then (see PYTHONPROFILEIMPORTTIME above):
# click by the command line itself (the same for every command: main() imports it before it knows
# the command), crawler.run / crawler.archive / apscheduler by the command, twisted.conch.telnet
# by Scrapy building the crawl (where a KeyboardInterrupt would vanish into a Deferred and the
# crawl "fail"). The command goes on while the test sends the signal: the moment is the earliest
# the signal can land, and any later one must end the same way, except a daemon's once it serves
# (it then stops cleanly, docs/deploy.md): apscheduler is the first of its hundreds of imports.
MOMENTS = [
    ("crawl", "click"),
    ("crawl", "crawler.run"),
    ("crawl", "twisted.conch.telnet"),
    ("import", "crawler.archive"),
    ("daemon", "apscheduler"),
]
# Stored one at a time, so that an import interrupted mid-way has stored some and not all.
ONE_BY_ONE = ["-s", "WIREDESK_STORE_BATCH=1", "--workers", "1"]


@pytest.fixture(scope="module")
def slow_newsroom() -> Iterator[Newsroom]:
    """Articles a second each, two at a time: a crawl lasts some twelve seconds past its start-up, so
    it is still running when a test that lags behind the crawl's import lines (on a loaded machine)
    sends its Ctrl-C. At 0.2 s it had sometimes finished by then, and exited 0."""
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=1.0) as newsroom:
        yield newsroom


class Command:
    """A `wiredesk` process in its own session whose stderr is read line by line as it comes."""

    def __init__(self, args: list[str]) -> None:
        env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
        self.process = subprocess.Popen(
            [WIREDESK, *args],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env=env,
        )
        self.lines: list[str] = []
        self.imported: set[str] = set()
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                if line.startswith(IMPORT_TIME):
                    self.imported.add(line.rsplit("|", 1)[-1].strip())
                else:
                    self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_import(self, module: str) -> None:
        with self._changed:
            reached = self._changed.wait_for(
                lambda: module in self.imported or not self._reader.is_alive(), timeout=COMMAND_DEADLINE
            )
        assert reached and module in self.imported, (module, self.lines)

    def interrupt(self) -> tuple[int, list[str]]:
        """Ctrl-C to the whole process group; the exit status and stderr (but the import times)."""
        assert self.process.poll() is None, f"ended before it could be interrupted: {self.lines}"
        os.killpg(self.process.pid, signal.SIGINT)
        returncode = self.process.wait(timeout=COMMAND_DEADLINE)
        self._reader.join(timeout=COMMAND_DEADLINE)
        return returncode, self.lines

    def kill(self) -> None:
        """Leave no process behind whatever the test found: a daemon that missed its Ctrl-C would
        serve on after the suite."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _assert_interrupted_in_one_line(returncode: int, lines: list[str]) -> None:
    text = "\n".join(lines)
    assert returncode == 130, text
    for noise in ("Traceback", "KeyboardInterrupt", "Unhandled error", "Error", "Warning"):
        assert noise not in text, text
    said = [line for line in lines if line.startswith("interrupted")]
    assert len(said) == 1, text
    if "crawl summary" not in text:  # the crawl had started: Scrapy stopped it, and said what it did
        assert lines == said


@pytest.mark.parametrize(("command", "module"), MOMENTS, ids=[f"{c}-{m}" for c, m in MOMENTS])
@pytest.mark.slow
def test_ctrl_c_during_start_up_is_one_line(
    command: str, module: str, slow_newsroom: Newsroom, tmp_path: Path
) -> None:
    sources, db = tmp_path / "sources.toml", f"sqlite:///{tmp_path / 'c.db'}"
    sources.write_text(slow_newsroom.sources_toml(), encoding="utf-8")
    args = {
        "crawl": ["crawl", "bulk", "--sources", str(sources), "--db", db, *FAST, *SLOW_ENOUGH],
        "import": ["import", str(bulk_warc(tmp_path / "bulk.warc.gz", ARTICLES)), "--db", db],
        "daemon": ["daemon", "bulk", "--sources", str(sources), "--db", db],
    }[command]
    running = Command(args)
    try:
        running.wait_for_import(module)
        _assert_interrupted_in_one_line(*running.interrupt())
    finally:
        running.kill()


def test_ctrl_c_during_an_import_keeps_what_it_stored_and_resumes(tmp_path: Path) -> None:
    warc, db = bulk_warc(tmp_path / "bulk.warc.gz", ARTICLES), tmp_path / "c.db"
    args = ["import", str(warc), "--db", f"sqlite:///{db}", *ONE_BY_ONE]
    running = Command(args)
    deadline = time.monotonic() + COMMAND_DEADLINE
    while (
        row_count(db, "articles", missing_ok=True) == 0
        and running.process.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    returncode, lines = running.interrupt()
    _assert_interrupted_in_one_line(returncode, lines)
    assert "run the same command again" in lines[0]
    stored = row_count(db, "articles", missing_ok=True)
    assert 0 < stored < ARTICLES
    resumed = subprocess.run(
        [WIREDESK, *args], cwd=REPO, capture_output=True, text=True, timeout=COMMAND_DEADLINE, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    assert row_count(db, "articles", missing_ok=True) == ARTICLES


def test_ctrl_c_during_the_recleaning_after_a_crawl_stops_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The re-cleaning runs after Scrapy's reactor stopped, with Scrapy's SIGINT handler (which waits
    for that reactor) still installed: Ctrl-C must stop it all the same."""

    def recleaning(*args: object) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.05)

    monkeypatch.setattr(crawler.run, "reclean_after_crawl", recleaning)
    settings = crawler.run.crawl_settings(f"sqlite:///{tmp_path / 'c.db'}")
    report = CrawlReport(finish_reason="finished")

    def stopped_reactors_handler(*_: object) -> None:
        """Scrapy's, once its reactor has stopped: nothing happens."""

    pytests_handler = signal.signal(signal.SIGINT, stopped_reactors_handler)
    try:
        crawler.run.reclean_unless_interrupted(settings, datetime.now(UTC), ["bulk"], report)
        assert signal.getsignal(signal.SIGINT) is stopped_reactors_handler, "Scrapy's is put back"
    finally:
        signal.signal(signal.SIGINT, pytests_handler)
    assert report.finish_reason == "shutdown"
