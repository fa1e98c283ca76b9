"""Articles per second of a shared crawl with 1, 2 and 3 worker processes on this machine.

    python benchmarks/scale_out.py [--articles 600] [--pages DIR] [--db URL] [--redis URL]

A newsroom process serves the pages; each run seeds a fresh Redis prefix and a fresh PostgreSQL
schema, starts the seed plus N-1 workers, and times them to the end. On a 2-core machine the
workers compete with each other (and their cleaning pools) for the same two cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
WIREDESK = str(Path(sys.executable).parent / "wiredesk")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--pages", type=Path, help="serve these real pages (*.html, *.html.gz) in turn")
    parser.add_argument("--db", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources.toml"
        server_cmd = [
            sys.executable,
            "-m",
            "crawler.newsroom",
            "--bulk",
            str(args.articles),
            "--sources-out",
            str(sources),
        ] + (["--pages", str(args.pages)] if args.pages else [])
        server = subprocess.Popen(server_cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            print(f"{'workers':>8}{'seconds':>10}{'articles/s':>12}")
            for workers in (1, 2, 3):
                seconds = run(args, sources, workers, Path(tmp))
                print(f"{workers:>8}{seconds:>10.1f}{args.articles / seconds:>12.1f}")
        finally:
            server.terminate()
            server.wait()


def run(args: argparse.Namespace, sources: Path, workers: int, tmp: Path) -> float:
    prefix, schema = f"wiredesk-bench-{uuid.uuid4().hex[:8]}", f"wd_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.db, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    db = f"{args.db}?options=-csearch_path%3D{schema}"
    common = [
        "--redis",
        args.redis,
        "--db",
        db,
        "-s",
        f"WIREDESK_REDIS_PREFIX={prefix}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "WIREDESK_WORKER_IDLE=2",
        "-s",
        "WIREDESK_PROGRESS=False",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    ]
    subprocess.run([WIREDESK, "db", "upgrade", "--db", db], check=True, capture_output=True)
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [WIREDESK, "crawl", "bulk", "--sources", str(sources), *common],
            stderr=(tmp / "seed.log").open("w"),
        )
    ]
    processes += [
        subprocess.Popen(
            [WIREDESK, "worker", "--idle", "2", *common], stderr=(tmp / f"worker{n}.log").open("w")
        )
        for n in range(workers - 1)
    ]
    for process in processes:
        process.wait()
    seconds = time.perf_counter() - started
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()
    server = redis.Redis.from_url(args.redis)
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)
    return seconds


if __name__ == "__main__":
    main()
