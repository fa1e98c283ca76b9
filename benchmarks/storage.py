"""Insert throughput of the corpus: articles/s stored through `Corpus.store_many`, by corpus size.

    python benchmarks/storage.py [--sizes 10000,100000] [--db sqlite | --db postgresql+psycopg://...]

For each backend it fills a fresh corpus up to each size and measures the rate of storing the next
--sample articles at that size, in the pipeline's batches of 50, with everything the real path does
(lookups, story assignment, raw page, revision, full-text index).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cleaner import CleanArticle  # noqa: E402
from crawler.newsroom.bulk import bulk_article, bulk_story  # noqa: E402
from storage import Corpus, FetchedPage, make_engine  # noqa: E402
from storage.schema import upgrade  # noqa: E402

BATCH = 50
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--db", action="append", help="sqlite, or a PostgreSQL URL (repeatable)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"{'backend':12}" + "".join(f"{f'at {size:,}':>16}" for size in sizes) + f"{'ratio':>8}")
    for backend in args.db or ["sqlite", PG_DEFAULT]:
        rates = measure(backend, sizes, args.sample)
        name = "sqlite" if backend == "sqlite" else "postgresql"
        print(
            f"{name:12}" + "".join(f"{rate:>12.0f} a/s" for rate in rates) + f"{rates[-1] / rates[0]:>8.2f}"
        )


def measure(backend: str, sizes: list[int], sample: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        url, cleanup = _database(backend, Path(tmp))
        engine = make_engine(url)
        upgrade(engine)
        corpus = Corpus(engine)
        stored, rates = 0, []
        for size in sizes:
            while stored < size:
                count = min(BATCH * 20, size - stored)
                _store(corpus, stored, count)
                stored += count
            started = time.perf_counter()
            _store(corpus, stored, sample)
            rates.append(sample / (time.perf_counter() - started))
            stored += sample
        engine.dispose()
        cleanup()
    return rates


def _store(corpus: Corpus, first: int, count: int) -> None:
    for start in range(first, first + count, BATCH):
        corpus.store_many([_article(n) for n in range(start, min(start + BATCH, first + count))])


def _article(number: int) -> tuple[FetchedPage, CleanArticle]:
    story = bulk_story(number)
    url = f"https://bench.example/story/{number}"
    at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=number)
    page = FetchedPage(url, url, url, "bench", at, 200, bulk_article(number, url, None))
    article = CleanArticle(
        text="\n".join(story.paragraphs),
        title=story.headline,
        authors=["Jane Doe"],
        published=at - timedelta(minutes=random.randint(1, 60)),
        language="en",
    )
    return page, article


def _database(backend: str, tmp: Path) -> tuple[str, object]:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    schema = f"wd_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(backend, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return f"{backend}?options=-csearch_path%3D{schema}", drop


if __name__ == "__main__":
    main()
