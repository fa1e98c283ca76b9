"""WARC import throughput and memory, next to a pool of bare trafilatura; warcio vs FastWARC reading.

    python -m benchmarks.warc_import [--pages DIR] [--records 5000] [--memory-at 50000] [--workers N]

Builds a WARC of the pages of DIR (default: the 181 AEB pages of the shared datasets, or
$WIREDESK_DATASETS/article-extraction-benchmark/html) repeated under new URLs on --sites sites (97), to
--records response records (each with its request record, as a crawler writes them). In one run:

- a pool of N bare `trafilatura.extract` processes over the same HTML (N = the import's workers);
- the real `wiredesk import` of the file into a fresh SQLite corpus, N cleaning workers: pages/s,
  and the peak resident memory of its main process and of all its processes (sampled from /proc);
- with --memory-at M, the import of an M-record file too, and the ratio of the peaks;
- the reading speed of warcio and FastWARC over the same file (records/s, best of three).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

import trafilatura
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from benchmarks.extraction_sets import datasets_dir
from benchmarks.throughput import ProcessTree
from crawler.newsroom.__main__ import read_pages

REPO = Path(__file__).resolve().parent.parent

WIREDESK = str(Path(sys.executable).parent / "wiredesk")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=Path, help="directory of *.html[.gz] pages (default: the AEB pages)")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--memory-at", type=int, help="also import this many records and compare peak memory")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--sites",
        type=int,
        default=97,
        help="sites the pages are spread over (1: repeats are same-site duplicates)",
    )
    args = parser.parse_args()
    pages = read_pages(args.pages or _aeb_pages())
    print(f"pages                   {len(pages)} distinct, repeated to {args.records} records")
    with tempfile.TemporaryDirectory(prefix="wiredesk-warc-bench-") as tmp:
        warc = write_warc(Path(tmp) / "bench.warc.gz", pages, args.records, args.sites)
        print(f"WARC file               {warc.stat().st_size / 2**20:.1f} MiB")
        baseline, baseline_cpu = bare_pool_rate(pages, args.records, args.workers)
        print(f"bare trafilatura pool   {baseline:.1f} pages/s ({args.workers} processes)")
        stored, seconds, tree = run_import(warc, Path(tmp), args.workers)
        rate = args.records / seconds
        main_cpu = tree.cpu.get(tree.pid, 0.0)
        import_cpu = sum(tree.cpu.values())
        print(
            f"wiredesk import         {rate:.1f} pages/s ({args.records} in {seconds:.1f} s, {stored} stored)"
        )
        print(f"ratio import/pool       {rate / baseline:.2f} (wall clock)")
        print(f"CPU, bare pool          {1000 * baseline_cpu:.1f} ms/page")
        print(
            f"CPU, import             {1000 * import_cpu / args.records:.1f} ms/page "
            f"(main process {1000 * main_cpu / args.records:.1f}, cleaning workers "
            f"{1000 * (import_cpu - main_cpu) / args.records:.1f}; start-up included)"
        )
        cpu_ratio = baseline_cpu * args.records / import_cpu
        print(f"ratio by CPU            {cpu_ratio:.2f} (CPU per page: pool / import)")
        print(f"peak RSS                {_mib(tree.peak_main_rss)} main process, {_mib(tree.peak_rss)} all")
        for name, reader in (("warcio", read_warcio), ("FastWARC", read_fastwarc)):
            records, best = reading_speed(reader, warc)
            print(f"reading, {name:<14} {records / best:,.0f} records/s ({records} records in {best:.2f} s)")
        if args.memory_at:
            large = write_warc(Path(tmp) / "large.warc.gz", pages, args.memory_at, args.sites)
            warc.unlink()
            stored_large, seconds_large, tree_large = run_import(large, Path(tmp), args.workers)
            large_rate = args.memory_at / seconds_large
            print(f"at {args.memory_at} records       {large_rate:.1f} pages/s ({stored_large} stored)")
            peaks = f"{_mib(tree_large.peak_main_rss)} main process, {_mib(tree_large.peak_rss)} all"
            print(f"peak RSS there          {peaks}")
            main_ratio = tree_large.peak_main_rss / tree.peak_main_rss
            all_ratio = tree_large.peak_rss / tree.peak_rss
            print(f"peak RSS ratio          {main_ratio:.2f} main process, {all_ratio:.2f} all processes")


def _aeb_pages() -> Path:
    return datasets_dir() / "article-extraction-benchmark" / "html"


def _mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def write_warc(path: Path, pages: list[bytes], records: int, sites: int) -> Path:
    """`records` responses (with their requests), the pages in turn under new URLs on `sites` sites.

    Spread over many sites, a repeated page is a copy (an insert, linked into its story); on one
    site it is a same-site duplicate (no insert): the storage cost per page differs several-fold.
    """
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True, warc_version="1.1")
        for number in range(records):
            url = f"http://site{number % sites}.bench.test/story/{number}"
            request = StatusAndHeaders(
                f"GET /story/{number} HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True
            )
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            body = pages[number % len(pages)]
            headers = StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )
            writer.write_record(
                writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=headers)
            )
    return path


def _extract(page: bytes) -> int:
    return len(trafilatura.extract(page) or "")


def _warm_up() -> None:
    trafilatura.extract("<html><body><article><p>" + "A first page. " * 20 + "</p></article></body></html>")


def bare_pool_rate(pages: list[bytes], records: int, workers: int) -> tuple[float, float]:
    """Pages/s of `workers` spawned processes running trafilatura.extract over the same HTML, and
    their CPU seconds per page (the pool's processes and this one's feeding them)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_warm_up) as pool:
        pool.map(_extract, pages[:workers])  # started and warm before the clock starts
        tree = ProcessTree(os.getpid())
        cpu_before = _tree_cpu()
        started = time.perf_counter()
        for _ in pool.imap_unordered(_extract, (pages[n % len(pages)] for n in range(records)), chunksize=8):
            pass
        seconds = time.perf_counter() - started
        cpu = _tree_cpu() - cpu_before
        tree.stop()
        return records / seconds, cpu / records


def _tree_cpu() -> float:
    """CPU seconds of this process and its live children (the pool's workers)."""
    from benchmarks.throughput import cpu_seconds, process_tree

    return sum(cpu_seconds(pid) for pid in process_tree(os.getpid()))


def run_import(warc: Path, tmp: Path, workers: int) -> tuple[int, float, ProcessTree]:
    """The real command, timed from start (its workers' start-up included) to exit."""
    db = tmp / f"corpus-{warc.stem}.db"
    command = [WIREDESK, "import", str(warc), "--db", f"sqlite:///{db}", "--workers", str(workers)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
    tree = ProcessTree(process.pid)
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    tree.stop()
    if process.returncode != 0:
        raise SystemExit(f"import failed ({process.returncode}):\n{stderr}")
    with sqlite3.connect(db) as connection:
        stored = connection.execute("SELECT count(*) FROM article_urls").fetchone()[0]
    db.unlink()
    return stored, seconds, tree


def read_warcio(path: Path) -> int:
    count = 0
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                record.content_stream().read()
                count += 1
    return count


def read_fastwarc(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator as FastIterator
    from fastwarc.warc import WarcRecordType

    count = 0
    with path.open("rb") as stream:
        for record in FastIterator(stream, record_types=WarcRecordType.response, parse_http=True):
            record.reader.read()
            count += 1
    return count


def reading_speed(reader: object, path: Path) -> tuple[int, float]:
    best, records = float("inf"), 0
    for _ in range(3):
        started = time.perf_counter()
        records = reader(path)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return records, best


if __name__ == "__main__":
    main()
