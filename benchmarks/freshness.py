"""Freshness under the daemon: how soon a story that appears in a feed is queryable.

    python -m benchmarks.freshness [--stories 20] [--every 2s] [--idle-runs 10]

The loopback newsroom runs here; `wiredesk daemon portal` polls the portal's Atom feed on a short
schedule (default politeness settings, a fresh SQLite corpus). One at a time, a new story is put on
the portal and at the top of its feed, at spread-out moments of the schedule; the corpus is polled
every 20 ms until the story's URL is there. For each story:

- poll to queryable: from the feed request that returned it (the newsroom's clock) to the article
  being queryable (its URL in `article_urls`);
- publication to queryable: from the moment it was published.

Then, nothing new: the CPU of the daemon's whole process tree (daemon, crawl process, cleaning
workers) over `--idle-runs` scheduled runs where the feed answers 304, per run; and, for
comparison, one `wiredesk crawl portal` of the same unchanged feed started from scratch (what each
run cost when the daemon started a crawl process per run).
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.throughput import cpu_seconds, process_tree
from crawler.newsroom import Newsroom
from crawler.newsroom.bulk import bulk_story

WIREDESK = str(Path(sys.executable).parent / "wiredesk")
QUERY_POLL_SECONDS = 0.02


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stories", type=int, default=20)
    parser.add_argument("--every", default="2s", help="the portal's schedule (default: every 2s)")
    parser.add_argument("--idle-runs", type=int, default=10, help="runs measured with nothing new")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wiredesk-fresh-") as tmp, Newsroom() as newsroom:
        bench = Bench(Path(tmp), newsroom, args.every)
        try:
            bench.wait_runs(2)  # the first run stores the portal's article; the next is warm
            timings = [bench.one_story(number) for number in range(args.stories)]
            idle_cpu = bench.idle_cpu_per_run(args.idle_runs)
        finally:
            bench.stop()
        cold_cpu, cold_seconds = bench.cold_crawl_cpu()
    print_figures(timings, idle_cpu, cold_cpu, cold_seconds, args)


class Bench:
    """A daemon crawling the newsroom's portal into a fresh corpus, and what it logs."""

    def __init__(self, tmp: Path, newsroom: Newsroom, every: str) -> None:
        self.tmp, self.newsroom = tmp, newsroom
        self.db = tmp / "c.db"
        self.sources = tmp / "sources.toml"
        toml = newsroom.sources_toml().replace(
            "[sources.portal]", f'[sources.portal]\nschedule = "every {every}"'
        )
        self.sources.write_text(toml, "utf-8")
        self.log = tmp / "daemon.log"
        command = [
            WIREDESK,
            "daemon",
            "portal",
            "--sources",
            str(self.sources),
            "--db",
            f"sqlite:///{self.db}",
        ]
        self.daemon = subprocess.Popen([*command, "--log-format", "json"], cwd=tmp, stderr=self.log.open("w"))

    def run_ends(self) -> list[dict[str, object]]:
        lines = self.log.read_text().splitlines()
        return [event for event in map(json.loads, lines) if event["event"] == "run_end"]

    def wait_runs(self, count: int, deadline: float = 120.0) -> None:
        """Until `count` runs more than now have ended."""
        target = len(self.run_ends()) + count
        stop = time.monotonic() + deadline
        while len(self.run_ends()) < target:
            if time.monotonic() > stop or self.daemon.poll() is not None:
                raise SystemExit(f"the daemon did not run:\n{self.log.read_text()}")
            time.sleep(0.1)

    def one_story(self, number: int) -> tuple[float, float]:
        """Publish a story; seconds from the poll that saw it, and from its publication, to queryable."""
        time.sleep(0.25 + (number * 0.37) % 2.0)  # spread over the schedule's phases
        feed = self.newsroom.portal.routes["/atom.xml"]
        seen_before = len(feed.served_at)
        story = bulk_story(10_000 + number)
        story = replace(story, slug=f"fresh-{number}-{story.slug}", published=datetime.now(UTC).isoformat())
        published = time.time()
        url = self.newsroom.publish(story)
        queryable = self._wait_queryable(url)
        polled = feed.served_at[seen_before]
        return queryable - polled, queryable - published

    def _wait_queryable(self, url: str, deadline: float = 120.0) -> float:
        stop = time.monotonic() + deadline
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as connection:
            while time.monotonic() < stop:
                found = connection.execute("SELECT 1 FROM article_urls WHERE url = ?", (url,)).fetchone()
                if found:
                    return time.time()
                time.sleep(QUERY_POLL_SECONDS)
        raise SystemExit(f"{url} never became queryable:\n{self.log.read_text()}")

    def idle_cpu_per_run(self, runs: int) -> float:
        """CPU seconds of the daemon's process tree per scheduled run that finds nothing new."""
        self.wait_runs(1)
        before = sum(map(cpu_seconds, process_tree(self.daemon.pid)))
        self.wait_runs(runs)
        return (sum(map(cpu_seconds, process_tree(self.daemon.pid))) - before) / runs

    def stop(self) -> None:
        self.daemon.send_signal(signal.SIGTERM)
        self.daemon.wait(timeout=60)

    def cold_crawl_cpu(self) -> tuple[float, float]:
        """CPU seconds (the crawl and its workers, which it waits for) and wall seconds of
        `wiredesk crawl portal` started from scratch; call once the daemon has been waited for."""
        command = [
            WIREDESK,
            "crawl",
            "portal",
            "--sources",
            str(self.sources),
            "--db",
            f"sqlite:///{self.db}",
        ]
        before, started = _children_cpu(), time.perf_counter()
        subprocess.run(
            [*command, "-s", "WIREDESK_PROGRESS=False"], cwd=self.tmp, capture_output=True, check=True
        )
        return _children_cpu() - before, time.perf_counter() - started


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def print_figures(
    timings: list[tuple[float, float]],
    idle_cpu: float,
    cold_cpu: float,
    cold_seconds: float,
    args: argparse.Namespace,
) -> None:
    polls = [poll for poll, _ in timings]
    publications = [publication for _, publication in timings]
    print(f"stories                          {len(timings)} (portal polled every {args.every})")
    print(f"poll to queryable, seconds       median {statistics.median(polls):.2f}  worst {max(polls):.2f}")
    print(
        f"publication to queryable, s      median {statistics.median(publications):.2f}"
        f"  worst {max(publications):.2f}"
    )
    print(
        f"CPU per unchanged run (304)      {idle_cpu:.3f} s"
        f" (daemon, crawl process, workers; {args.idle_runs} runs)"
    )
    print(
        f"same run, crawl started cold     {cold_cpu:.2f} s CPU, {cold_seconds:.2f} s wall"
        " (`wiredesk crawl portal`)"
    )


if __name__ == "__main__":
    main()
