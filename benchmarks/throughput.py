"""Crawl throughput: the real `wiredesk crawl` against a loopback newsroom, next to bare trafilatura.

    python benchmarks/throughput.py [--articles 3000] [--pages DIR] [--workers N]

A newsroom process serves N article pages (generated, or the pages of DIR served in turn under
many URLs); `wiredesk crawl` stores them into a fresh SQLite file. In the same run, on the same
pages, bare `trafilatura.extract` runs in a loop in one process. Prints articles/s of both, their
ratio, and the peak resident memory of all the crawl's processes.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import trafilatura

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.newsroom import bulk  # noqa: E402
from crawler.newsroom.__main__ import _read_pages  # noqa: E402

WIREDESK = str(Path(sys.executable).parent / "wiredesk")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--pages", type=Path, help="serve the pages of this directory (*.html, *.html.gz)")
    parser.add_argument("--workers", type=int, help="WIREDESK_CLEAN_WORKERS (default: one per CPU)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wiredesk-bench-") as tmp:
        crawl_rate, peak_rss, stored, seconds = measure_crawl(args, Path(tmp))
    baseline_rate = measure_baseline(args)
    print(f"pages served            {args.articles}")
    print(f"article pages stored    {stored} in {seconds:.1f} s (new, copies and duplicates: one URL each)")
    print(f"crawl                   {crawl_rate:.1f} articles/s")
    print(f"bare trafilatura        {baseline_rate:.1f} pages/s (one process, extract() in a loop)")
    print(f"ratio crawl/baseline    {crawl_rate / baseline_rate:.2f}")
    print(f"peak RSS of the crawl   {peak_rss / 2**20:.0f} MiB (all its processes)")


def measure_crawl(args: argparse.Namespace, tmp: Path) -> tuple[float, int, int, float]:
    sources = tmp / "sources.toml"
    server_cmd = [
        sys.executable,
        "-m",
        "crawler.newsroom",
        "--bulk",
        str(args.articles),
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
        started = time.perf_counter()
        crawl = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
        peak = PeakMemory(crawl.pid)
        _, stderr = crawl.communicate()
        seconds = time.perf_counter() - started
        peak.stop()
        if crawl.returncode != 0:
            raise SystemExit(f"crawl failed:\n{stderr}")
        with sqlite3.connect(db) as connection:
            stored = connection.execute("SELECT count(*) FROM article_urls").fetchone()[0]
        return stored / seconds, peak.value, stored, seconds
    finally:
        server.terminate()
        server.wait()


def measure_baseline(args: argparse.Namespace) -> float:
    real = _read_pages(args.pages) if args.pages else None
    pages = [bulk.bulk_article(n, f"http://127.0.0.5/story/{n}", real) for n in range(args.articles)]
    started = time.perf_counter()
    for page in pages:
        trafilatura.extract(page)
    return len(pages) / (time.perf_counter() - started)


class PeakMemory:
    """Samples the summed RSS of a process and all its descendants from /proc, every 0.2 s."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.value = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.value = max(self.value, sum(_rss(pid) for pid in _tree(self.pid)))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        for task in Path(f"/proc/{pids[index]}/task").glob("*/children"):
            try:
                pids += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
        index += 1
    return pids


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
