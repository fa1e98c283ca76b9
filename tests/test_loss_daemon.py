"""`wiredesk daemon` stopped by Ctrl-C exits 130, as a crawl does; SIGTERM (a service manager's stop)
stays exit 0 (tests/test_daemon.py). It exited 0 either way: a script running it in a terminal took
an interrupted daemon for one that had ended by itself."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from conftest import COMMAND_DEADLINE, FAST, REPO, WIREDESK

from crawler.newsroom import Newsroom
from storage import make_engine
from storage.daemonlock import DaemonLock
from storage.schema import upgrade


def _events(log: Path, event: str) -> list[dict[str, object]]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [e for e in (json.loads(line) for line in lines if line.startswith("{")) if e["event"] == event]


def test_ctrl_c_stops_the_daemon_cleanly_with_exit_130(tmp_path: Path) -> None:
    sources, log, db = tmp_path / "sources.toml", tmp_path / "d.log", tmp_path / "c.db"
    with Newsroom() as newsroom:
        sources.write_text(
            newsroom.sources_toml().replace("[sources.portal]", '[sources.portal]\nschedule = "every 1s"')
        )
        command = [WIREDESK, "daemon", "portal", "--sources", str(sources), "--db", f"sqlite:///{db}"]
        command += ["--log-format", "json", "--grace", "10", *FAST, "-s", "WIREDESK_CLEAN_WORKERS=1"]
        # Its own process group, signalled whole as a terminal's Ctrl-C is.
        daemon = subprocess.Popen(command, cwd=REPO, stderr=log.open("w"), start_new_session=True)
        returncode = _ctrl_c_after(daemon, log, "run_end")
    text = log.read_text()
    assert returncode == 130, text
    assert "Traceback" not in text and _events(log, "daemon_stop")
    assert text.rstrip().endswith("interrupted")
    with sqlite3.connect(db, timeout=30) as connection:
        assert connection.execute("SELECT count(*) FROM crawl_runs WHERE outcome = 'running'").fetchone() == (
            0,
        )


def test_ctrl_c_while_waiting_for_another_daemons_lock_exits_130(pg_url: str, tmp_path: Path) -> None:
    """`--wait` stopped by Ctrl-C before the lock came: it exited 0, as a daemon that had run."""
    sources, log = tmp_path / "sources.toml", tmp_path / "d.log"
    sources.write_text('[sources.gone]\nstart_urls = ["http://127.0.0.9:9/rss.xml"]\n')
    engine = make_engine(pg_url)
    upgrade(engine)
    held = DaemonLock(engine)
    assert held.acquire()
    try:
        command = [WIREDESK, "daemon", "--sources", str(sources), "--db", pg_url, "--wait"]
        waiting = subprocess.Popen(
            [*command, "--log-format", "json"], cwd=REPO, stderr=log.open("w"), start_new_session=True
        )
        returncode = _ctrl_c_after(waiting, log, "daemon_waiting")
    finally:
        held.release()
        engine.dispose()
    assert returncode == 130, log.read_text()
    assert not _events(log, "daemon_start")


def _ctrl_c_after(daemon: subprocess.Popen[bytes], log: Path, event: str) -> int:
    """Once the daemon has logged `event`, Ctrl-C its process group as a terminal does: its exit status."""
    try:
        deadline = time.monotonic() + COMMAND_DEADLINE
        while not _events(log, event):
            assert daemon.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        os.killpg(daemon.pid, signal.SIGINT)
        return daemon.wait(timeout=COMMAND_DEADLINE)
    finally:
        if daemon.poll() is None:
            daemon.kill()
