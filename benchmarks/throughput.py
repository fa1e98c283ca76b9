"""Crawl throughput: the real `wiredesk crawl` against a loopback newsroom, next to bare trafilatura.

    python -m benchmarks.throughput [--articles 3000] [--pages DIR] [--workers N] [--memory-at 30000]

A newsroom process serves N article pages (generated, or the pages of DIR served in turn under
many URLs); `wiredesk crawl` stores them into a fresh SQLite file. In the same run, on the same
pages, bare `trafilatura.extract` runs in a loop in one process, then in a pool of as many
processes as the crawl has cleaning workers (each imports trafilatura and extracts a first page
before the clock starts, as the crawl's workers do), the two alternating over `--rounds` slices of
the pages. Prints pages/s of all three, the crawl's ratio
to each, the machine's measured parallel scaling (pool ÷ one process: on a shared machine, not the
process count), the CPU per page of each kind of process (the crawl's main process: Scrapy and
storing; its cleaning workers; the newsroom; bare trafilatura alone and in the pool; on a shared
machine wall time is noisy, CPU time much less so) and the peak resident memory of the crawl's
processes. `--memory-at M` then crawls M pages too and compares peak memory at both sizes (the
goal: within 1.2x).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trafilatura

from crawler.newsroom import bulk
from crawler.newsroom.__main__ import read_pages

REPO = Path(__file__).resolve().parent.parent

WIREDESK = str(Path(sys.executable).parent / "wiredesk")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--pages", type=Path, help="serve the pages of this directory (*.html, *.html.gz)")
    parser.add_argument("--workers", type=int, help="WIREDESK_CLEAN_WORKERS (default: one per CPU)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternate one process and the pool over this many slices"
    )
    parser.add_argument("--memory-at", type=int, help="also crawl this many pages and compare peak memory")
    parser.add_argument(
        "-s", "--set", action="append", default=[], metavar="KEY=VALUE", help="a setting of the crawl"
    )
    args = parser.parse_args()
    crawl = run_crawl(args, args.articles)
    alone, pool = measure_baselines(_pages(args), crawl_workers(args), args.rounds)
    report(args, crawl, alone, pool)
    if args.memory_at:
        large = run_crawl(args, args.memory_at)
        print(f"peak RSS at {args.memory_at} pages {_memory(large)} ({large.stored} stored)")
        ratio = large.peak_rss / crawl.peak_rss
        print(f"peak RSS ratio          {ratio:.2f} ({args.memory_at} / {args.articles} pages)")


def report(args: argparse.Namespace, crawl: CrawlFigures, alone: Baseline, pool: Baseline) -> None:
    stored = f"{crawl.stored} in {crawl.seconds:.1f} s"
    main_ms = crawl.per_page(crawl.main_cpu)
    print(f"pages served            {args.articles}")
    print(f"article pages stored    {stored} (new, copies and duplicates: one URL each)")
    print(f"crawl                   {crawl.rate:.1f} pages/s ({pool.processes} cleaning workers)")
    print(f"bare trafilatura        {alone.rate:.1f} pages/s (one process, extract() in a loop)")
    print(f"bare trafilatura pool   {pool.rate:.1f} pages/s ({pool.processes} processes)")
    print(f"parallel scaling        {pool.rate / alone.rate:.2f} (pool / one process, measured now)")
    print(f"ratio crawl/one process {crawl.rate / alone.rate:.2f}")
    print(f"ratio crawl/pool        {crawl.rate / pool.rate:.2f}")
    print(f"CPU, crawl main process {main_ms:.1f} ms/page (Scrapy, storing, start-up)")
    print(f"CPU, cleaning workers   {crawl.per_page(crawl.workers_cpu):.1f} ms/page")
    print(f"CPU, crawl in all       {crawl.per_page(crawl.main_cpu + crawl.workers_cpu):.1f} ms/page")
    print(f"CPU, newsroom server    {crawl.per_page(crawl.server_cpu):.1f} ms/page")
    print(f"CPU, bare trafilatura   {alone.cpu_per_page:.1f} ms/page (one process)")
    print(f"CPU, bare pool          {pool.cpu_per_page:.1f} ms/page (its processes)")
    whole = crawl.per_page(crawl.main_cpu + crawl.workers_cpu) / alone.cpu_per_page
    print(f"CPU ratio crawl/bare    {whole:.2f} (whole crawl per page / one-process trafilatura)")
    print(f"peak RSS of the crawl   {_memory(crawl)}")
    # The three figures of issue 22's goals, on one line: main process, crawl / pool, CPU / bare.
    print(
        f"== main process {main_ms:.1f} ms CPU/page | crawl/pool {crawl.rate / pool.rate:.2f} (goal >= 0.95)"
        f" | CPU crawl/bare {whole:.2f} (goal <= 1.0) =="
    )


def _memory(crawl: CrawlFigures) -> str:
    total, main, pss = crawl.peak_rss / 2**20, crawl.peak_main_rss / 2**20, crawl.peak_pss / 2**20
    return f"{total:.0f} MiB (all its processes; main process {main:.0f}; {pss:.0f} PSS, shared pages once)"


@dataclass(frozen=True)
class CrawlFigures:
    """What one measured crawl did."""

    stored: int
    seconds: float
    peak_rss: int
    """Summed over the crawl's processes."""
    peak_pss: int
    """The same for proportional set sizes: a page the cleaning workers share with their template
    (crawler/forkserver.py) counts once, where RSS counts it in each."""
    peak_main_rss: int
    main_cpu: float
    """CPU seconds (user + system) of the crawl's own process."""
    workers_cpu: float
    """CPU seconds of all its descendants (the cleaning workers)."""
    server_cpu: float
    """CPU seconds of the newsroom while it served the crawl: it shares the machine's cores."""

    @property
    def rate(self) -> float:
        return self.stored / self.seconds

    def per_page(self, cpu_seconds: float) -> float:
        """Milliseconds of CPU per stored page."""
        return 1000 * cpu_seconds / max(self.stored, 1)


def run_crawl(args: argparse.Namespace, articles: int) -> CrawlFigures:
    with tempfile.TemporaryDirectory(prefix="wiredesk-bench-") as tmp:
        return measure_crawl(args, articles, Path(tmp))


def measure_crawl(args: argparse.Namespace, articles: int, tmp: Path) -> CrawlFigures:
    sources = tmp / "sources.toml"
    server_cmd = [
        sys.executable,
        "-m",
        "crawler.newsroom",
        "--bulk",
        str(articles),
        "--sources-out",
        str(sources),
    ]
    if args.pages:
        server_cmd += ["--pages", str(args.pages)]
    server = subprocess.Popen(server_cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        db = tmp / "bench.db"
        command = [
            WIREDESK,
            "crawl",
            "bulk",
            "--sources",
            str(sources),
            "--db",
            f"sqlite:///{db}",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "CONCURRENT_REQUESTS=32",
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=32",
            "-s",
            "WIREDESK_PROGRESS=False",
        ]
        if args.workers is not None:
            command += ["-s", f"WIREDESK_CLEAN_WORKERS={args.workers}"]
        for setting in args.set:
            command += ["-s", setting]
        started, server_cpu = time.perf_counter(), cpu_seconds(server.pid)
        crawl = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
        tree = ProcessTree(crawl.pid)
        _, stderr = crawl.communicate()
        seconds = time.perf_counter() - started
        server_cpu = cpu_seconds(server.pid) - server_cpu
        tree.stop()
        if crawl.returncode != 0:
            raise SystemExit(f"crawl failed:\n{stderr}")
        with sqlite3.connect(db) as connection:
            stored = connection.execute("SELECT count(*) FROM article_urls").fetchone()[0]
        main_cpu = tree.cpu.get(crawl.pid, 0.0)
        workers_cpu = sum(tree.cpu.values()) - main_cpu
        return CrawlFigures(
            stored,
            seconds,
            tree.peak_rss,
            tree.peak_pss,
            tree.peak_main_rss,
            main_cpu,
            workers_cpu,
            server_cpu,
        )
    finally:
        server.terminate()
        server.wait()


@dataclass(frozen=True)
class Baseline:
    """Bare trafilatura over the same pages: in one process, or split over a pool."""

    processes: int
    pages: int
    seconds: float
    cpu: float
    """CPU seconds of the extraction itself, summed over the processes (start-up excluded)."""

    @property
    def rate(self) -> float:
        return self.pages / self.seconds

    @property
    def cpu_per_page(self) -> float:
        return 1000 * self.cpu / self.pages

    def __add__(self, other: Baseline) -> Baseline:
        """Two measurements of the same kind as one."""
        return Baseline(
            self.processes, self.pages + other.pages, self.seconds + other.seconds, self.cpu + other.cpu
        )


def crawl_workers(args: argparse.Namespace) -> int:
    """How many cleaning workers the crawl had (WIREDESK_CLEAN_WORKERS' default: one per CPU)."""
    return max(1, args.workers if args.workers is not None else os.cpu_count() or 1)


def _pages(args: argparse.Namespace) -> list[bytes]:
    real = read_pages(args.pages) if args.pages else None
    return [bulk.bulk_article(n, f"http://127.0.0.5/story/{n}", real) for n in range(args.articles)]


def measure_baselines(pages: list[bytes], processes: int, rounds: int) -> tuple[Baseline, Baseline]:
    """One process and the pool, alternately over `rounds` slices of the pages: on a shared
    machine the load drifts in minutes, and alternating spreads it over both alike."""
    alone, pool = Baseline(1, 0, 0.0, 0.0), Baseline(processes, 0, 0.0, 0.0)
    for index in range(rounds):
        part = pages[index::rounds]
        alone, pool = alone + measure_baseline(part), pool + measure_pool(part, processes)
    return alone, pool


def measure_baseline(pages: list[bytes]) -> Baseline:
    trafilatura.extract(pages[0])  # trafilatura builds parts of itself on its first page
    started, cpu = time.perf_counter(), time.process_time()
    for page in pages:
        trafilatura.extract(page)
    return Baseline(1, len(pages), time.perf_counter() - started, time.process_time() - cpu)


def measure_pool(pages: list[bytes], processes: int) -> Baseline:
    """`processes` spawned processes, each with its share of the pages, started together once all
    have imported trafilatura and extracted a first page; the clock stops when the last is done."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes + 1)
    results = context.Queue()
    shares = [pages[index::processes] for index in range(processes)]
    workers = [context.Process(target=_extract_share, args=(share, ready, results)) for share in shares]
    for worker in workers:
        worker.start()
    ready.wait()
    started = time.perf_counter()
    done = [results.get() for _ in workers]
    seconds = max(finished for finished, _ in done) - started
    for worker in workers:
        worker.join()
    return Baseline(processes, len(pages), seconds, sum(cpu for _, cpu in done))


def _extract_share(pages: list[bytes], ready: Any, results: Any) -> None:
    """In a pool process: warm up, wait for the others, extract; report when it finished and its CPU."""
    trafilatura.extract(pages[0])
    ready.wait()
    cpu = time.process_time()
    for page in pages:
        trafilatura.extract(page)
    results.put((time.perf_counter(), time.process_time() - cpu))


class ProcessTree:
    """Samples a process and all its descendants from /proc every 0.2 s: RSS, CPU time of each.

    A process's CPU time is its last sample, so up to 0.2 s of its end goes uncounted.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_main_rss = 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            pids = process_tree(self.pid)
            rss = {pid: _rss(pid) for pid in pids}
            self.peak_rss = max(self.peak_rss, sum(rss.values()))
            self.peak_pss = max(self.peak_pss, sum(map(_pss, pids)))
            self.peak_main_rss = max(self.peak_main_rss, rss[self.pid])
            for pid in pids:
                self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu_seconds(pid))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def process_tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        for task in Path(f"/proc/{pids[index]}/task").glob("*/children"):
            try:
                pids += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
        index += 1
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system time of the process, from /proc/PID/stat (fields 14 and 15, after the name)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
