"""What the dedup benchmarks share: storing texts in the pipeline's batches, scoring the stories.

benchmarks/dedup.py (the generated corpus) and benchmarks/dedup_real.py (real-text copies) store
texts through `Corpus.store_many` into a fresh database, read which story each URL got, and score
the result pairwise against the true stories, or compare the partitions of shuffled orders.
"""

from __future__ import annotations

import random
import tempfile
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import create_engine, select, text

from cleaner import CleanArticle
from storage import Corpus, FetchedPage, containment, make_engine
from storage.models import Article, ArticleUrl
from storage.schema import upgrade

BATCH = 50
OFF = 2.0
"""A containment threshold no pair reaches: the Jaccard rule alone."""
Items = tuple[list[tuple[FetchedPage, CleanArticle]], dict[str, str]]
"""Texts to store, in order, and the URL each scored page is stored under."""


def text_item(
    url: str, site: str, body: str, title: str, published: datetime | None
) -> tuple[FetchedPage, CleanArticle]:
    page = FetchedPage(url, url, url, site, datetime.now(UTC), 200, b"<html></html>")
    return page, CleanArticle(text=body, title=title, published=published)


def store_texts(url: str, items: list[tuple[FetchedPage, CleanArticle]]) -> dict[str, int]:
    """Store the items in the pipeline's batches, in the order given; the story of each URL."""
    engine = make_engine(url)
    upgrade(engine)
    corpus_ = Corpus(engine)
    for start in range(0, len(items), BATCH):
        corpus_.store_many(items[start : start + BATCH])
    assigned = stories_by_url(engine)
    engine.dispose()
    return assigned


def stories_by_url(engine: object) -> dict[str, int]:
    """Every URL the corpus knows, with its article's story."""
    with engine.connect() as connection:  # type: ignore[attr-defined]
        rows = connection.execute(
            select(ArticleUrl.url, Article.story_id).join(Article, Article.id == ArticleUrl.article_id)
        )
        return dict(rows.all())


@dataclass(frozen=True)
class Score:
    """Pairwise precision and recall of "same story": assigned stories against true ones."""

    true_positives: int
    predicted_pairs: int
    true_pairs: int

    @classmethod
    def of(cls, truth: dict[str, str], assigned: dict[str, int]) -> Score:
        """`truth`: URL to true story; `assigned`: URL to stored story (a URL not stored is alone)."""
        predicted = {url: assigned.get(url, f"missing:{url}") for url in truth}
        cells = Counter((truth[url], predicted[url]) for url in truth)
        return cls(
            sum(n * (n - 1) // 2 for n in cells.values()),
            sum(n * (n - 1) // 2 for n in Counter(predicted.values()).values()),
            sum(n * (n - 1) // 2 for n in Counter(truth.values()).values()),
        )

    @property
    def precision(self) -> float:
        return self.true_positives / max(self.predicted_pairs, 1)

    @property
    def recall(self) -> float:
        return self.true_positives / max(self.true_pairs, 1)

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def partition(assigned: dict[str, int | None]) -> frozenset[frozenset[str]]:
    """The stories as sets of URLs (a URL not stored is a story of its own)."""
    groups: dict[object, set[str]] = defaultdict(set)
    for url, story in assigned.items():
        groups[story if story is not None else url].add(url)
    return frozenset(frozenset(group) for group in groups.values())


def print_agreement(
    db: str, items: list[tuple[FetchedPage, CleanArticle]], reference: frozenset[frozenset[str]], orders: int
) -> None:
    """Store the items in shuffled orders: how many give the stories of the reference order."""
    agree = 0
    for order in range(orders):
        with fresh_database(db) as url:
            assigned = store_texts(url, random.Random(order).sample(items, len(items)))
        agree += partition({page.url: assigned.get(page.url) for page, _ in items}) == reference
    if orders:
        print(f"shuffled orders giving the stories of publication order: {agree}/{orders}")


class fresh_database:
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


def sweep_table(db: str, truth: dict[str, str], runs: list[tuple[str, Items]], values: list[float]) -> None:
    """Precision and recall of each run's stories with the containment rule off (both of its branches),
    then at each threshold of its first branch (one text inside the other; "mostly shared" stays on)."""
    default, mostly = containment.CONTAINED, containment.MOSTLY_SMALLER
    print(f"{'contained':>10}" + "".join(f"{name + ' P':>16}{'R':>8}" for name, _ in runs))
    for value in [OFF, *values]:
        containment.CONTAINED = value
        containment.MOSTLY_SMALLER = OFF if value == OFF else mostly
        row = f"{'off' if value == OFF else f'{value:.2f}':>10}"
        for _, (items, urls) in runs:
            with fresh_database(db) as url:
                assigned = store_texts(url, items)
            predicted = {key: assigned[stored] for key, stored in urls.items() if stored in assigned}
            score = Score.of(truth, predicted)
            row += f"{score.precision:>16.4f}{score.recall:>8.4f}"
        print(row, flush=True)
    containment.CONTAINED, containment.MOSTLY_SMALLER = default, mostly
