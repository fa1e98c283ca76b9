"""Same-story detection on a generated syndication corpus, and its cost as the corpus grows.

    python benchmarks/dedup.py [--stories 2000] [--fill 10000,100000] [--db URL]

Quality: every article of benchmarks/syndication.py's corpus goes through `Corpus.store_many`, in
publication order and in the pipeline's batches; pairwise precision and recall of "same story"
compare the stories the corpus assigned with the true ones, for several similarity thresholds.
Cost: a corpus is filled with distinct stories up to each --fill size, then the time per article
of storing (lookup + insert) a sample of syndicated copies is measured at that size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, select, text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.syndication import Copy, corpus  # noqa: E402
from cleaner import CleanArticle  # noqa: E402
from storage import Corpus, FetchedPage, make_engine  # noqa: E402
from storage import dedup as dedup_module  # noqa: E402
from storage.models import Article  # noqa: E402
from storage.schema import upgrade  # noqa: E402

BATCH = 50


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--fill", default="10000,100000")
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--thresholds", default="0.4,0.5,0.6,0.7")
    parser.add_argument("--db", default="sqlite", help="sqlite (a temporary file) or a PostgreSQL URL")
    args = parser.parse_args()
    copies = corpus(args.stories)
    true_pairs = sum(n * (n - 1) // 2 for n in Counter(c.story for c in copies).values())
    print(f"corpus: {args.stories} stories, {len(copies)} articles, {true_pairs} same-story pairs")
    print(f"{'threshold':>10}{'precision':>11}{'recall':>9}{'F1':>8}")
    for threshold in (float(t) for t in args.thresholds.split(",")):
        dedup_module.SIMILAR = threshold
        precision, recall = quality(args.db, copies)
        f1 = 2 * precision * recall / (precision + recall)
        print(f"{threshold:>10.2f}{precision:>11.4f}{recall:>9.4f}{f1:>8.4f}")
    dedup_module.SIMILAR = 0.5
    sizes = [int(size) for size in args.fill.split(",")]
    timings = cost(args.db, sizes, args.sample)
    print(f"{'stored':>10}{'ms/article':>12}")
    for size, ms in zip(sizes, timings, strict=True):
        print(f"{size:>10,}{ms:>12.2f}")
    print(f"ratio {sizes[-1]:,} / {sizes[0]:,}: {timings[-1] / timings[0]:.2f}")


def quality(db: str, copies: list[Copy]) -> tuple[float, float]:
    with _database(db) as url:
        engine = make_engine(url)
        upgrade(engine)
        corpus_ = Corpus(engine)
        for start in range(0, len(copies), BATCH):
            corpus_.store_many([_item(copy) for copy in copies[start : start + BATCH]])
        with engine.connect() as connection:
            assigned = dict(connection.execute(select(Article.url, Article.story_id)).all())
        engine.dispose()
    cells = Counter((copy.story, assigned[copy.url]) for copy in copies)
    predicted = Counter(assigned[copy.url] for copy in copies)
    truth = Counter(copy.story for copy in copies)
    tp = sum(n * (n - 1) // 2 for n in cells.values())
    predicted_pairs = sum(n * (n - 1) // 2 for n in predicted.values())
    true_pairs = sum(n * (n - 1) // 2 for n in truth.values())
    return tp / max(predicted_pairs, 1), tp / max(true_pairs, 1)


def cost(db: str, sizes: list[int], sample: int) -> list[float]:
    filler = corpus(sizes[-1] + sample, seed=11)
    singles = [copy for copy in filler if copy.url.count("/") == 3][: sizes[-1]]
    probes = corpus(sample // 4, seed=13)[:sample]
    timings = []
    with _database(db) as url:
        engine = make_engine(url)
        upgrade(engine)
        corpus_ = Corpus(engine)
        stored = 0
        for size in sizes:
            for start in range(stored, size, BATCH):
                corpus_.store_many(
                    [_item(copy, "fill") for copy in singles[start : min(start + BATCH, size)]]
                )
            stored = size
            batch = [_item(copy, f"probe{size}") for copy in probes]
            started = time.perf_counter()
            for start in range(0, len(batch), BATCH):
                corpus_.store_many(batch[start : start + BATCH])
            timings.append((time.perf_counter() - started) / len(batch) * 1000)
        engine.dispose()
    return timings


def _item(copy: Copy, prefix: str = "") -> tuple[FetchedPage, CleanArticle]:
    url = copy.url.replace("https://", f"https://{prefix}") if prefix else copy.url
    page = FetchedPage(url, url, url, copy.site, datetime.now(UTC), 200, b"<html></html>")
    return page, CleanArticle(text=copy.text, title=copy.headline, published=copy.published)


class _database:
    """A fresh SQLite file, or a fresh schema in the given PostgreSQL database."""

    def __init__(self, db: str) -> None:
        self.db = db

    def __enter__(self) -> str:
        if self.db == "sqlite":
            self.tmp = tempfile.TemporaryDirectory()
            return f"sqlite:///{self.tmp.name}/dedup.db"
        self.schema = f"wd_dedup_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(self.db, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {self.schema}"))
        return f"{self.db}?options=-csearch_path%3D{self.schema}"

    def __exit__(self, *exc: object) -> None:
        if self.db == "sqlite":
            self.tmp.cleanup()
            return
        with self.admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))
        self.admin.dispose()


if __name__ == "__main__":
    main()
