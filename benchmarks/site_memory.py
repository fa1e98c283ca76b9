"""Site memory on real templates: what a crawl stores with and without it, side by side in one run.

    python -m benchmarks.site_memory [--datasets DIR] [--sample 30] [--siblings 4] [--seed 1]
    python -m benchmarks.site_memory --store-cost [--articles 3000] [--db sqlite --db postgresql+psycopg://...]

For each sampled page of the shared datasets (fundus-dev, article-extraction-benchmark; --datasets
or $WIREDESK_DATASETS, default ../shared/datasets) whose own article can be located in its page
(crawler/newsroom/transplant.py), a loopback site serves the page and `--siblings` pages built from
its template carrying other sampled pages' article text: several stories of one site, as a crawl
sees them. The real `wiredesk crawl` fetches every site twice into fresh SQLite databases, once
with the site memory (and the re-cleaning after the crawl) and once without; what is stored is
scored against the true text of each page (token P/R/F1, fundus' scoring: NFKC, lower case, runs
of \\w), macro over pages. The cleaner's time per page is then measured on the same pages, in this
process, without memory and with each site's learnt memory, alternating page by page.

--store-cost: what learning costs the store transaction. Generated articles (10 sites, six to
eight lines each) are stored in the pipeline's batches of 50 into two fresh databases per backend,
batch by batch alternately, one learning the site memory and one not; prints articles/s of each.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text

import cleaner
from benchmarks.extraction_sets import datasets_dir
from cleaner import CleanArticle
from crawler.newsroom.bulk import bulk_story
from crawler.newsroom.transplant import (
    BodyNotFound,
    PublisherSites,
    RecordedPage,
    ServedPage,
    article_path,
    dated,
    recorded_pages,
    transplant,
)
from storage import Corpus, FetchedPage, make_engine, sitememory
from storage.models import Article, ArticleUrl, SiteLine
from storage.schema import upgrade
from storage.sitememory import SiteMemory, registered_site
from storage.urls import normalise_url

WIREDESK = Path(sys.executable).parent / "wiredesk"
_FAST = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=60")
_TOKEN = re.compile(r"\w+")
_START = datetime(2024, 6, 3, 8, tzinfo=UTC)


@dataclass(frozen=True)
class Served:
    """One served page and the true text it carries."""

    page: ServedPage
    truth: str
    own: bool
    """The recorded page itself (not a transplant)."""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=datasets_dir())
    parser.add_argument("--sample", type=int, default=30, help="recorded pages (one site each)")
    parser.add_argument("--siblings", type=int, default=4, help="transplanted pages per site")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store-cost", action="store_true", help="cost of learning in the store")
    parser.add_argument("--articles", type=int, default=3000, help="--store-cost: articles per database")
    parser.add_argument(
        "--db", action="append", help="--store-cost: sqlite, or a PostgreSQL URL (repeatable)"
    )
    args = parser.parse_args()
    if args.store_cost:
        for db in args.db or ["sqlite"]:
            store_cost(db, args.articles)
        return
    pages = recorded_pages(args.datasets)
    if not pages:
        raise SystemExit(f"no datasets under {args.datasets}: give --datasets or WIREDESK_DATASETS")
    served = build_sites(pages, args.sample, args.siblings, random.Random(args.seed))
    sites = len({item.page.publisher for item in served})
    print(f"{len(served)} pages on {sites} sites ({args.siblings} transplants per recorded page)")
    with PublisherSites([item.page for item in served]) as loopback, tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources.toml"
        sources.write_text(loopback.sources_toml(), encoding="utf-8")
        urls = [normalise_url(loopback.url(item.page)) for item in served]
        results = {}
        for label, memory in (("without memory", False), ("with memory", True)):
            db = f"sqlite:///{Path(tmp) / (label.replace(' ', '-') + '.db')}"
            results[label] = crawl(sources, db, memory), stored(db, urls)
        print_scores(served, urls, {label: texts for label, (_, texts) in results.items()})
        memory_db = next(db for label, (db, _) in results.items() if label == "with memory")
        cleaner_time(served, [loopback.url(item.page) for item in served], memory_db)


def build_sites(pages: list[RecordedPage], sample: int, siblings: int, rng: random.Random) -> list[Served]:
    """Each sampled page on its own site with `siblings` transplants of its template."""
    usable = [page for page in pages if len(page.paragraphs) >= 3]
    rng.shuffle(usable)
    served: list[Served] = []
    carriers = 0
    for carrier in usable:
        if carriers == sample:
            break
        others = rng.sample([page for page in usable if page is not carrier], siblings)
        published = [_START + timedelta(hours=hour) for hour in range(siblings + 1)]
        try:
            site = [
                Served(
                    ServedPage(carrier.name, article_path(o.title or "story", when, n), text), o.text, False
                )
                for n, (o, when) in enumerate(zip(others, published[1:], strict=True))
                for text in [transplant(carrier, o.title or "Story", o.paragraphs, when)]
            ]
        except BodyNotFound:
            continue
        path = article_path(carrier.title or "story", published[0], siblings)
        served += [
            Served(ServedPage(carrier.name, path, dated(carrier, published[0])), carrier.text, True),
            *site,
        ]
        carriers += 1
    return served


def crawl(sources: Path, db: str, memory: bool) -> str:
    """Crawl every site into `db` with or without the site memory; returns `db`."""
    switches = ("-s", f"WIREDESK_SITE_MEMORY={memory}", "-s", f"WIREDESK_RECLEAN_AFTER_CRAWL={memory}")
    started = time.perf_counter()
    result = subprocess.run(
        [str(WIREDESK), "crawl", "--all", "--sources", str(sources), "--db", db, *_FAST, *switches],
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - started
    print(f"crawl ({'with' if memory else 'without'} memory): exit {result.returncode}, {took:.0f} s")
    if result.returncode not in (0, 1):
        print(result.stderr[-3000:], file=sys.stderr)
    return db


def stored(db: str, urls: list[str]) -> list[str]:
    """The text stored for each URL ('' when nothing was)."""
    engine = make_engine(db)
    with engine.connect() as connection:
        rows = connection.execute(
            select(ArticleUrl.url, Article.text).join(Article, Article.id == ArticleUrl.article_id)
        )
        by_url = {url: text for url, text in rows}
    engine.dispose()
    return [by_url.get(url, "") for url in urls]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def score(got_text: str, want_text: str) -> tuple[float, float, float]:
    """Token precision, recall and F1 of a stored text against the truth (bag of tokens)."""
    got, want = tokens(got_text), Counter(tokens(want_text))
    overlap = sum(min(count, want[token]) for token, count in Counter(got).items())
    precision = overlap / len(got) if got else 0.0
    recall = overlap / sum(want.values()) if want else 0.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def print_scores(served: list[Served], urls: list[str], texts: dict[str, list[str]]) -> None:
    print(f"\n{'':16} {'P':>6} {'R':>6} {'F1':>6} {'missing':>8}   (macro over {len(served)} pages)")
    per_page: dict[str, list[float]] = {}
    for label, stored_texts in texts.items():
        scores = [score(text, item.truth) for text, item in zip(stored_texts, served, strict=True)]
        per_page[label] = [f1 for *_, f1 in scores]
        p, r, f1 = (sum(column) / len(scores) for column in zip(*scores, strict=True))
        print(f"{label:16} {p:6.3f} {r:6.3f} {f1:6.3f} {sum(not t for t in stored_texts):8d}")
    without, with_memory = per_page["without memory"], per_page["with memory"]
    better = sum(b > a + 0.01 for a, b in zip(without, with_memory, strict=True))
    worse = [(b - a, url) for a, b, url in zip(without, with_memory, urls, strict=True) if b < a - 0.01]
    print(f"pages better with memory: {better}; worse: {len(worse)}")
    for delta, url in sorted(worse)[:8]:
        print(f"  {delta:+.3f} {url}")


def cleaner_time(served: list[Served], urls: list[str], memory_db: str) -> None:
    """Cleaner time per page without and with each site's learnt memory, alternating page by page."""
    engine = make_engine(memory_db)
    memory = SiteMemory(engine)
    furniture = {site: memory.furniture(site) for site in {registered_site(url) for url in urls}}
    engine.dispose()
    learnt = sum(map(len, furniture.values()))
    spent = {"without": 0.0, "with": 0.0}
    for item, url in zip(served, urls, strict=True):
        for label, keys in (("without", frozenset()), ("with", furniture[registered_site(url)])):
            started = time.perf_counter()
            cleaner.clean(item.page.html, url, furniture=keys)
            spent[label] += time.perf_counter() - started
    per_page = {label: 1000 * seconds / len(served) for label, seconds in spent.items()}
    print(
        f"\ncleaner time per page: {per_page['without']:.1f} ms without memory, {per_page['with']:.1f} ms "
        f"with ({per_page['with'] / per_page['without']:.2f}x; {learnt} furniture keys learnt on "
        f"{sum(bool(keys) for keys in furniture.values())} of {len(furniture)} sites)"
    )


def store_cost(db: str, articles: int, batch: int = 50) -> None:
    """Articles/s stored with and without learning, batch by batch alternately, each in its own database."""
    learn = sitememory.learn
    spent = {True: 0.0, False: 0.0}
    with tempfile.TemporaryDirectory() as tmp, _Databases(db, Path(tmp)) as (learning, plain):
        corpora = {True: Corpus(learning), False: Corpus(plain)}
        for start in range(0, articles, batch):
            items = [_generated(number) for number in range(start, min(start + batch, articles))]
            for memory in (True, False):
                sitememory.learn = learn if memory else _no_learning
                started = time.perf_counter()
                corpora[memory].store_many(items)
                spent[memory] += time.perf_counter() - started
        sitememory.learn = learn
        with learning.connect() as connection:
            lines = connection.scalar(select(func.count()).select_from(SiteLine))
    backend = db.split(":")[0]
    print(
        f"{backend}: {articles / spent[True]:.0f} articles/s learning the site memory, "
        f"{articles / spent[False]:.0f} without ({spent[True] / spent[False]:.2f}x the time; "
        f"{lines} lines kept)"
    )


def _no_learning(*_: object) -> None:
    """Stands for `sitememory.learn` in the database that does not learn."""


def _generated(number: int) -> tuple[FetchedPage, CleanArticle]:
    story = bulk_story(number)
    url = f"https://site{number % 10}.example/{story.slug}"
    page = FetchedPage(url, url, url, "bench", _START + timedelta(seconds=number), 200, b"<html></html>")
    return page, CleanArticle(text="\n".join(story.paragraphs), title=story.headline)


class _Databases:
    """Two fresh databases of one backend (SQLite files, or PostgreSQL schemas dropped after)."""

    def __init__(self, db: str, directory: Path) -> None:
        self.db, self.directory = db, directory
        self.engines: list[Engine] = []
        self.schemas: list[str] = []

    def __enter__(self) -> tuple[Engine, Engine]:
        for name in ("learning", "plain"):
            if self.db == "sqlite":
                url = f"sqlite:///{self.directory / name}.db"
            else:
                schema = f"wd_memory_{uuid.uuid4().hex[:10]}"
                with create_engine(self.db, isolation_level="AUTOCOMMIT").connect() as connection:
                    connection.execute(text(f"CREATE SCHEMA {schema}"))
                self.schemas.append(schema)
                separator = "&" if "?" in self.db else "?"
                url = f"{self.db}{separator}options=-csearch_path%3D{schema}"
            engine = make_engine(url)
            upgrade(engine)
            self.engines.append(engine)
        return self.engines[0], self.engines[1]

    def __exit__(self, *exc: object) -> None:
        for engine in self.engines:
            engine.dispose()
        if self.schemas:
            with create_engine(self.db, isolation_level="AUTOCOMMIT").connect() as connection:
                for schema in self.schemas:
                    connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
