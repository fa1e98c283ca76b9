"""Insert throughput of the corpus: articles/s stored through `Corpus.store_many` by concurrent writers.

    python -m benchmarks.storage [--sizes 10000,100000] [--writers 4] [--sample 2000]
                                 [--db sqlite | --db postgresql+psycopg://...] [--copies 0.2]
                                 [--text bulk|varied] [--fill store|copy|sql]

For each backend it fills a fresh corpus up to each size (the fill rate is reported apart), then
measures `--writers` processes storing the next `--sample` articles together, each in the
pipeline's batches of 50, with everything the real path does (text and URL lookups, the band index
probe and near-copy verification, story assignment and merges, raw page, revision, full-text index,
site memory). A share `--copies` of the articles are near copies, on another site, of the article
stored just before them by another writer: they link into its story, so the writers contend for
the same stories and band locks as copies arriving from many sites do.

Besides articles/s it prints the CPU each article cost the writers and the PostgreSQL server (read
from /proc, the server being local), and what the two cores of this machine would store if they did
nothing else: 2,000 ms / (writers + server CPU per article). The pages carry their text print
(hash, MinHash, anchors) as a crawl's cleaning workers give it (`--no-prints`: not, the writers
compute it); its CPU per article, spent in those workers, is printed apart (`prints ms`). On a
machine shared with other jobs the wall-clock rate says more about the others' load than about the
code; the CPU figure does not. Each writer first stores one batch of its own, not counted, so that
the figures are those of a running writer, not of a new process's start (`--no-warm-up`: counted).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.storage_fill import bench_article, bulk_write, reserve_ids, sql_fill
from cleaner.fingerprint import text_print
from storage import Corpus, make_engine
from storage.schema import upgrade

BATCH = 50
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CORES = 2
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    """Articles stored by the writers together, in how long, at what CPU cost."""

    articles: int
    seconds: float
    writers_cpu: float
    server_cpu: float | None
    prints_cpu: float = 0.0
    """What the crawl's cleaning workers spend on the pages' text prints (not the writers' CPU)."""

    @property
    def rate(self) -> float:
        return self.articles / self.seconds

    def cpu_ms(self) -> float | None:
        """CPU per article, writers and server, in ms (None: the server's CPU is not readable)."""
        if self.server_cpu is None:
            return None
        return 1000 * (self.writers_cpu + self.server_cpu) / self.articles


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--copies", type=float, default=0.2, help="share of articles that are near copies")
    parser.add_argument("--db", action="append", help="sqlite, or a PostgreSQL URL (repeatable)")
    parser.add_argument(
        "--text",
        choices=("bulk", "varied"),
        default="bulk",
        help="bulk: the newsroom's bulk stories (a small vocabulary: texts share many LSH buckets); "
        "varied: Zipf-distributed words (unrelated texts share few buckets, as real ones do)",
    )
    parser.add_argument(
        "--fill",
        choices=("store", "copy", "sql"),
        default="store",
        help="how the corpus is filled up to each size: store_many (the real path); PostgreSQL only: "
        "COPY of rows made in Python (each article its own story, no raw page), or rows generated "
        "in the server (benchmarks/storage_fill.py)",
    )
    parser.add_argument(
        "--keep",
        metavar="SCHEMA",
        help="PostgreSQL: use this schema and keep it (created if missing; sizes it already holds are "
        "not filled again), so that one 1,000,000-article fill serves several measurements",
    )
    parser.add_argument(
        "--no-prints",
        action="store_false",
        dest="prints",
        help="pages carry no text print (hash, MinHash, anchors) as a crawl's cleaning workers give "
        "them: the writers compute it, as for a WARC import or a replay",
    )
    parser.add_argument(
        "--no-warm-up",
        action="store_false",
        dest="warm_up",
        help="do not let each writer store one batch of its own, not counted, before the sample (a "
        "new process's first batch costs it several times a later one: imports, the public-suffix "
        "list, SQLAlchemy's first compilation of each statement, the new backend's caches)",
    )
    parser.add_argument("--bulk", action="store_const", const="copy", dest="fill", help="--fill copy")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(
        f"{args.writers} writers, batches of {BATCH}, {args.text} texts, {args.copies:.0%} near copies, "
        f"sample {args.sample:,}"
    )
    print(f"{'backend':11}{'size':>10}{'fill a/s':>10}{'a/s':>8}", end="")
    print(f"{'writers ms':>12}{'server ms':>11}{'2-core a/s':>12}{'prints ms':>11}")
    for backend in args.db or ["sqlite", PG_DEFAULT]:
        name = "sqlite" if backend == "sqlite" else "postgresql"
        with tempfile.TemporaryDirectory() as tmp:
            url, cleanup = _database(backend, Path(tmp), args.keep)
            try:
                for size, fill, run in measure(url, sizes, args):
                    _print_row(name, size, fill, run)
            finally:
                cleanup()


def _print_row(name: str, size: int, fill: Run | None, run: Run) -> None:
    cpu = run.cpu_ms()
    server = (
        f"{1000 * run.server_cpu / run.articles:>11.2f}" if run.server_cpu is not None else f"{'n/a':>11}"
    )
    free = f"{CORES * 1000 / cpu:>12.0f}" if cpu else f"{'n/a':>12}"
    print(
        f"{name:11}{size:>10,}{fill.rate if fill else 0:>10.0f}{run.rate:>8.0f}"
        f"{1000 * run.writers_cpu / run.articles:>12.2f}{server}{free}"
        f"{1000 * run.prints_cpu / run.articles:>11.2f}",
        flush=True,
    )


def measure(url: str, sizes: list[int], args: argparse.Namespace) -> Iterator[tuple[int, Run | None, Run]]:
    """At each size, as soon as measured: the fill up to it, then the sample stored at that size."""
    engine = make_engine(url)
    upgrade(engine)
    stored = Corpus(engine).count_articles()
    engine.dispose()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.writers, mp_context=context) as pool:
        for size in sizes:
            fill = None
            if size > stored:
                how = args.fill if _is_pg(url) else "store"
                fill = _FILLS[how](pool, url, stored, size - stored, args)
            run = _together(pool, url, max(size, stored), args.sample, args)
            stored = max(size, stored) + args.sample
            yield size, fill, run


def _together(pool: ProcessPoolExecutor, url: str, first: int, count: int, args: argparse.Namespace) -> Run:
    """The writers store numbers first .. first+count, interleaved (writer w every writers-th), each
    after a warm-up batch of its own (not counted: `--no-warm-up` says why); the time runs from the
    first writer's start to the last one's end."""
    futures = [
        pool.submit(
            _write,
            url,
            first + writer,
            first + count,
            args.writers,
            Texts(args.copies, args.text == "varied", args.prints),
            args.warm_up,
        )
        for writer in range(args.writers)
    ]
    results = [future.result() for future in futures]
    seconds = max(result.ended for result in results) - min(result.started for result in results)
    server = [result.server for result in results]
    return Run(
        count,
        seconds,
        sum(result.cpu for result in results),
        None if None in server else sum(filter(None, server)),
        sum(result.prints for result in results),
    )


@dataclass(frozen=True)
class Texts:
    """What the writers' articles are: the share of near copies, varied or bulk texts, printed or not."""

    copies: float
    varied: bool
    prints: bool


@dataclass(frozen=True)
class Written:
    """One writer's figures: its CPU storing, its backend's, the prints', when it started and ended."""

    cpu: float
    server: float | None
    prints: float
    started: float
    ended: float


WARM_UP_NUMBERS = 10**9
"""Warm-up articles are numbered from here on, apart from the corpus' (numbered by count)."""


def _write(url: str, start: int, end: int, step: int, texts: Texts, warm_up: bool) -> Written:
    """One writer: store its numbers in batches; its CPU storing them (not making them), its server
    backend's, and the text prints' (what a crawl's cleaning workers compute), in seconds."""
    engine = make_engine(url)
    corpus = Corpus(engine)
    with engine.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar() if _is_pg(url) else None
    if warm_up:
        _store(corpus, range(WARM_UP_NUMBERS + start, WARM_UP_NUMBERS + start + BATCH * step, step), texts)
    started, server_before = time.perf_counter(), _process_cpu(backend)
    cpu, prints_cpu = _store(corpus, range(start, end, step), texts)
    server_after = _process_cpu(backend)
    engine.dispose()
    server = None if server_before is None or server_after is None else server_after - server_before
    return Written(cpu, server, prints_cpu, started, time.perf_counter())


def _store(corpus: Corpus, numbers: range, texts: Texts) -> tuple[float, float]:
    """Store these articles in batches: the CPU it took, and the CPU of their text prints."""
    cpu, prints_cpu = 0.0, 0.0
    for at in range(0, len(numbers), BATCH):
        batch = [bench_article(number, texts.copies, texts.varied) for number in numbers[at : at + BATCH]]
        cpu_before = time.process_time()
        if texts.prints:
            batch = [(page.printed(text_print(article.text)), article) for page, article in batch]
            prints_cpu += time.process_time() - cpu_before
            cpu_before = time.process_time()
        corpus.store_many(batch)
        cpu += time.process_time() - cpu_before
    return cpu, prints_cpu


def _bulk_fill(pool: ProcessPoolExecutor, url: str, first: int, count: int, args: argparse.Namespace) -> Run:
    """Load numbers first .. first+count with COPY: what a corpus of that size holds, fast.

    Articles, stories, URLs, revisions and the band index, as `store_many` writes them for a new
    article in a new story; no raw pages (their table is not read when storing) and no site memory
    (bounded per site). Ids are reserved from the sequences first, so `store_many` carries on after.
    The last tenth (at most 1,000) goes through `store_many`, which fills what COPY left empty (site
    memory, raw pages), then ANALYZE: the planner sees the tables as a running corpus has them.
    """
    settle = min(1000, count // 10)
    count -= settle
    engine = make_engine(url)
    with engine.begin() as connection:
        bases = [reserve_ids(connection, table, count) for table in ("articles", "stories")]
    started = time.perf_counter()
    futures = [
        pool.submit(
            bulk_write, url, first, first + writer, first + count, args.writers, bases, args.text == "varied"
        )
        for writer in range(args.writers)
    ]
    cpu = sum(future.result() for future in futures)
    cpu += _together(pool, url, first + count, settle, args).writers_cpu
    with engine.begin() as connection:
        # What autovacuum would do soon after a load this size: plans for the tables as they are now.
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return Run(count + settle, time.perf_counter() - started, cpu, None)


def _sql_fill(pool: ProcessPoolExecutor, url: str, first: int, count: int, args: argparse.Namespace) -> Run:
    """Generate numbers first .. first+count in the server, the last tenth (at most 1,000) through
    `store_many` (site memory, raw pages), then ANALYZE, as `_bulk_fill` does."""
    settle = min(1000, count // 10)
    engine = make_engine(url)
    started = time.perf_counter()
    sql_fill(engine, first, count - settle)
    cpu = _together(pool, url, first + count - settle, settle, args).writers_cpu
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return Run(count, time.perf_counter() - started, cpu, None)


_FILLS = {"store": _together, "copy": _bulk_fill, "sql": _sql_fill}


def _is_pg(url: str) -> bool:
    return url.startswith("postgresql")


def _process_cpu(pid: int | None) -> float | None:
    """User and system CPU of a local process, in seconds (None when it is not readable here).

    The pool keeps the writer's connection (the same backend) from before to after its batches.
    """
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _database(backend: str, tmp: Path, keep: str | None) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    schema = keep or f"wd_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(backend, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    if keep:
        admin.dispose()
        return f"{backend}?options=-csearch_path%3D{schema}", lambda: None

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return f"{backend}?options=-csearch_path%3D{schema}", drop


if __name__ == "__main__":
    main()
