"""Same-story detection: quality on generated and on real-text copies, and its cost as the corpus grows.

    python benchmarks/dedup.py [--stories 2000] [--fill 10000,100000] [--db URL]
    python benchmarks/dedup.py --real [--datasets DIR] [--db URL] [--orders 5]

Generated corpus (default): every article of crawler/newsroom/syndication.py's corpus goes through
`Corpus.store_many`, in publication order and in the pipeline's batches; pairwise precision and
recall of "same story" compare the stories the corpus assigned with the true ones. Cost: a corpus
is filled with distinct stories up to each --fill size, then the time per article of storing
(lookup + insert) a sample of syndicated copies is measured at that size.

Real text (--real): every article page of the shared datasets (fundus-dev, article-extraction-
benchmark; --datasets or $WIREDESK_DATASETS, default ../shared/datasets) with enough text is a
story, served on its publisher's loopback site; each is also carried by 1-3 other publishers, in
their own page templates (crawler/newsroom/transplant.py), with the edits republishers make:
headline rewrites, trimmed endings, editor's notes, an added paragraph. Templates carry several
stories (hard negatives: different stories in one template, different stories from one
publisher). The real `wiredesk crawl` fetches everything into a fresh database; the stories it
made are scored pairwise, then the same texts (the truth, no HTML) are stored directly ("dedup
alone"), in publication order and in --orders shuffled orders, whose partitions are compared.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text

from cleaner import CleanArticle
from cleaner.fingerprint import shingles
from crawler.newsroom.syndication import Copy, corpus
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
from storage import Corpus, FetchedPage, make_engine
from storage import dedup as dedup_module
from storage.models import Article, ArticleUrl
from storage.schema import upgrade
from storage.urls import normalise_url

BATCH = 50
_FAST = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=60")
WIREDESK = Path(sys.executable).parent / "wiredesk"
DEFAULT_DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
MIN_STORY_CHARS = 400
"""A page whose truth text is shorter is not a story here (a teaser, or text the page loads by script)."""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--fill", default="10000,100000")
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--thresholds", default="0.4,0.5,0.6,0.7")
    parser.add_argument("--db", default="sqlite", help="sqlite (a temporary file) or a PostgreSQL URL")
    parser.add_argument("--real", action="store_true", help="real-text copies crawled from loopback")
    parser.add_argument("--datasets", type=Path, default=None, help="the shared datasets directory")
    parser.add_argument("--orders", type=int, default=5, help="shuffled orders compared")
    parser.add_argument("--seed", type=int, default=1, help="--real: which copies are made")
    parser.add_argument("--no-cost", action="store_true", help="skip the cost measurement")
    args = parser.parse_args()
    if args.real:
        datasets = args.datasets or Path(os.environ.get("WIREDESK_DATASETS", DEFAULT_DATASETS))
        real_text(datasets, args.db, args.orders, args.seed)
        return
    generated(args)


# --- the generated corpus -------------------------------------------------------------------------


def generated(args: argparse.Namespace) -> None:
    copies = corpus(args.stories)
    true_pairs = sum(n * (n - 1) // 2 for n in Counter(c.story for c in copies).values())
    print(f"corpus: {args.stories} stories, {len(copies)} articles, {true_pairs} same-story pairs")
    print(f"{'threshold':>10}{'precision':>11}{'recall':>9}{'F1':>8}")
    default = dedup_module.SIMILAR
    for threshold in (float(t) for t in args.thresholds.split(",")):
        dedup_module.SIMILAR = threshold
        with _database(args.db) as url:
            assigned = store_texts(url, [_generated_item(copy) for copy in copies])
        truth = {copy.url: str(copy.story) for copy in copies}
        score = Score.of(truth, assigned)
        print(f"{threshold:>10.2f}{score.precision:>11.4f}{score.recall:>9.4f}{score.f1:>8.4f}")
    dedup_module.SIMILAR = default
    tangled_orders(args.db, args.stories // 10, args.orders)
    if args.no_cost:
        return
    sizes = [int(size) for size in args.fill.split(",")]
    timings = cost(args.db, sizes, args.sample)
    print(f"{'stored':>10}{'ms/article':>12}")
    for size, ms in zip(sizes, timings, strict=True):
        print(f"{size:>10,}{ms:>12.2f}")
    print(f"ratio {sizes[-1]:,} / {sizes[0]:,}: {timings[-1] / timings[0]:.2f}")


def tangled_orders(db: str, stories: int, orders: int) -> None:
    """Stories whose excerpts hang together only through their original, stored in shuffled orders."""
    items = [_generated_item(copy) for copy in corpus(stories, seed=5, tangled=True)]
    with _database(db) as url:
        reference = store_texts(url, items)
    print(f"tangled corpus ({stories} stories, {len(items)} articles, excerpts):", end=" ")
    _print_agreement(db, items, _partition({page.url: reference[page.url] for page, _ in items}), orders)


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
                    [_generated_item(copy, "fill") for copy in singles[start : min(start + BATCH, size)]]
                )
            stored = size
            batch = [_generated_item(copy, f"probe{size}") for copy in probes]
            started = time.perf_counter()
            for start in range(0, len(batch), BATCH):
                corpus_.store_many(batch[start : start + BATCH])
            timings.append((time.perf_counter() - started) / len(batch) * 1000)
        engine.dispose()
    return timings


def _generated_item(copy: Copy, prefix: str = "") -> tuple[FetchedPage, CleanArticle]:
    url = copy.url.replace("https://", f"https://{prefix}") if prefix else copy.url
    return _item(url, copy.site, copy.text, copy.headline, copy.published)


def _item(
    url: str, site: str, body: str, title: str, published: datetime
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


# --- real text ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealCopy:
    """One served page of the real-text corpus: its true story, where it is, what it says."""

    story: str
    """The original's recorded URL (two recordings of one article are one story)."""
    publisher: str
    path: str
    headline: str
    paragraphs: tuple[str, ...]
    """The story's text as this page carries it, edits included: what a perfect cleaner would keep."""
    published: datetime
    original: RecordedPage
    carrier: RecordedPage | None
    """The page whose template carries the story; None for the original page itself."""
    edits: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def page(self) -> ServedPage:
        if self.carrier is None:
            return ServedPage(self.publisher, self.path, dated(self.original, self.published))
        html = transplant(self.carrier, self.headline, self.paragraphs, self.published)
        return ServedPage(self.publisher, self.path, html)


_NOTES = (
    "Editor's note: This story was first published by {publisher} and is republished with permission.",
    "Editor's note: This article has been updated with additional information.",
    "This article originally appeared on {publisher}.",
)
_ADDED = (
    "Update: Officials said further details would be released later in the day.",
    "This story has been updated to include additional reporting and reaction.",
    "Reporting by staff writers; additional reporting by our correspondents. Editing by the news desk.",
)


def real_copies(pages: list[RecordedPage], seed: int) -> list[RealCopy]:
    """Originals and their copies on 1-3 other publishers' templates, with republishers' edits."""
    rng = random.Random(seed)
    carriers = usable_carriers(pages)
    stories: dict[str, RecordedPage] = {}
    for page in pages:
        if len(page.text) >= MIN_STORY_CHARS:
            stories.setdefault(page.url, page)
    result: list[RealCopy] = []
    for number, page in enumerate(pages):
        if page.url not in stories:
            continue
        when = page.published or datetime(2019, 10, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(86_400))
        result.append(
            RealCopy(
                page.url,
                page.publisher,
                article_path(page.title, when, number),
                page.title,
                page.paragraphs,
                when,
                page,
                None,
            )
        )
        if stories[page.url] is not page:
            continue
        others = [carrier for carrier in carriers if carrier.publisher != page.publisher]
        wanted, chosen = rng.randint(1, 3), dict[str, RecordedPage]()
        for carrier in rng.sample(others, len(others)):
            chosen.setdefault(carrier.publisher, carrier)
            if len(chosen) == wanted:
                break
        for index, carrier in enumerate(chosen.values()):
            result.append(_republished(rng, page, carrier, when, f"{number}{index}"))
    return result


def usable_carriers(pages: list[RecordedPage]) -> list[RecordedPage]:
    """Pages whose own article can be located and removed: they can carry other stories."""
    usable = []
    for page in pages:
        try:
            transplant(page, "Headline", ["First paragraph.", "Second paragraph."], datetime.now(UTC))
        except BodyNotFound:
            continue
        usable.append(page)
    return usable


def _republished(
    rng: random.Random, page: RecordedPage, carrier: RecordedPage, when: datetime, number: str
) -> RealCopy:
    headline, paragraphs, edits = page.title, list(page.paragraphs), []
    if rng.random() < 0.7:
        headline, edit = _rewrite_headline(rng, headline, carrier.publisher)
        edits.append(edit)
    if rng.random() < 0.4 and len(paragraphs) >= 4:
        del paragraphs[-rng.randint(1, 2) :]
        edits.append("trimmed")
    if rng.random() < 0.3:
        note = rng.choice(_NOTES).format(publisher=page.publisher)
        paragraphs.insert(0 if rng.random() < 0.5 else len(paragraphs), note)
        edits.append("note")
    if rng.random() < 0.25:
        paragraphs.insert(rng.randint(1, len(paragraphs)), rng.choice(_ADDED))
        edits.append("added")
    published = when + timedelta(minutes=rng.randint(5, 12 * 60))
    return RealCopy(
        page.url,
        carrier.publisher,
        article_path(headline, published, int(number)),
        headline,
        tuple(paragraphs),
        published,
        page,
        carrier,
        tuple(edits),
    )


def _rewrite_headline(rng: random.Random, headline: str, publisher: str) -> tuple[str, str]:
    words = headline.split()
    choices = [
        (f"UPDATE: {headline}", "headline prefix"),
        (f"{headline} | {publisher}", "headline suffix"),
        (" ".join(words[: max(3, len(words) * 2 // 3)]), "headline cut"),
    ]
    if ":" in headline:
        choices.append((headline.split(":", 1)[1].strip(), "headline kicker dropped"))
    return rng.choice(choices)


def real_text(datasets: Path, db: str, orders: int, seed: int) -> None:
    pages = recorded_pages(datasets)
    if not pages:
        raise SystemExit(f"no datasets under {datasets}: give --datasets or WIREDESK_DATASETS")
    started = time.perf_counter()
    copies = real_copies(pages, seed)
    served = [copy.page() for copy in copies]
    truth_pairs = sum(n * (n - 1) // 2 for n in Counter(c.story for c in copies).values())
    print(
        f"real-text corpus: {len(set(c.story for c in copies))} stories, {len(copies)} pages on "
        f"{len(set(c.publisher for c in copies))} sites, {truth_pairs} same-story pairs "
        f"(built in {time.perf_counter() - started:.0f} s)"
    )
    templates = _stories_per(copies, lambda copy: (copy.carrier or copy.original).name)
    sites = _stories_per(copies, lambda copy: copy.publisher)
    print(f"hard negatives: {templates} templates and {sites} sites carry two stories or more")
    with _database(db) as url:
        crawled = crawl(served, copies, url)
    print("\nwhole path (crawl, clean, store):")
    report(copies, crawled)
    print("\ndedup alone (the true texts stored directly, in publication order):")
    by_time = sorted(copies, key=lambda copy: (copy.published, copy.path))
    with _database(db) as url:
        alone = stored_texts(url, by_time)
    report(copies, alone)
    urls = {copy.path: f"https://{copy.publisher}{copy.path}" for copy in by_time}
    items = [_item(urls[c.path], c.publisher, c.text, c.headline, c.published) for c in by_time]
    reference = _partition({urls[path]: result.story for path, result in alone.items()})
    _print_agreement(db, items, reference, orders)


def _stories_per(copies: list[RealCopy], key: Callable[[RealCopy], str]) -> int:
    """How many values of `key` (a template, a site) have pages of two stories or more."""
    stories: dict[str, set[str]] = defaultdict(set)
    for copy in copies:
        stories[key(copy)].add(copy.story)
    return sum(len(found) >= 2 for found in stories.values())


@dataclass(frozen=True)
class Stored:
    """What the corpus made of a served page: its story and the text it stored (None: not stored)."""

    story: int | None
    text: str | None


def crawl(served: list[ServedPage], copies: list[RealCopy], db_url: str) -> dict[str, Stored]:
    """Serve the pages, crawl them with the real `wiredesk crawl`, and read what was stored by path."""
    with PublisherSites(served) as sites, tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources.toml"
        sources.write_text(sites.sources_toml(), encoding="utf-8")
        started = time.perf_counter()
        result = subprocess.run(
            [str(WIREDESK), "crawl", "--all", "--sources", str(sources), "--db", db_url, *_FAST],
            capture_output=True,
            text=True,
            check=False,
        )
        print(f"crawl: exit {result.returncode} in {time.perf_counter() - started:.0f} s")
        if result.returncode not in (0, 1):
            print(result.stderr[-3000:], file=sys.stderr)
        urls = {copy.path: normalise_url(sites.url(page)) for copy, page in zip(copies, served, strict=True)}
    engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(ArticleUrl.url, Article.story_id, Article.text).join(
                Article, Article.id == ArticleUrl.article_id
            )
        )
        by_url = {url: Stored(story, body) for url, story, body in rows}
    engine.dispose()
    return {path: by_url.get(url, Stored(None, None)) for path, url in urls.items()}


def stored_texts(db_url: str, copies: list[RealCopy]) -> dict[str, Stored]:
    """Store the copies' true texts directly, in the order given."""
    urls = {copy.path: f"https://{copy.publisher}{copy.path}" for copy in copies}
    assigned = store_texts(
        db_url,
        [_item(urls[copy.path], copy.publisher, copy.text, copy.headline, copy.published) for copy in copies],
    )
    return {copy.path: Stored(assigned.get(urls[copy.path]), copy.text) for copy in copies}


def _partition(assigned: dict[str, int | None]) -> frozenset[frozenset[str]]:
    """The stories as sets of URLs (a URL not stored is a story of its own)."""
    groups: dict[object, set[str]] = defaultdict(set)
    for url, story in assigned.items():
        groups[story if story is not None else url].add(url)
    return frozenset(frozenset(group) for group in groups.values())


def _print_agreement(
    db: str, items: list[tuple[FetchedPage, CleanArticle]], reference: frozenset[frozenset[str]], orders: int
) -> None:
    """Store the items in shuffled orders: how many give the stories of the reference order."""
    agree = 0
    for order in range(orders):
        with _database(db) as url:
            assigned = store_texts(url, random.Random(order).sample(items, len(items)))
        agree += _partition({page.url: assigned.get(page.url) for page, _ in items}) == reference
    if orders:
        print(f"shuffled orders giving the stories of publication order: {agree}/{orders}")


def report(copies: list[RealCopy], stored: dict[str, Stored], worst: int = 8) -> None:
    """Pairwise scores, then the worst false merges and splits with their Jaccard similarities."""
    truth = {copy.path: copy.story for copy in copies}
    assigned = {path: result.story for path, result in stored.items() if result.story is not None}
    score = Score.of(truth, assigned)
    missing = sum(result.story is None for result in stored.values())
    print(
        f"  precision {score.precision:.4f}  recall {score.recall:.4f}  F1 {score.f1:.4f}  "
        f"({score.true_positives} of {score.true_pairs} pairs found, {score.predicted_pairs} predicted; "
        f"{missing} pages not stored)"
    )
    merges = _false_merges(copies, stored)
    if merges:
        print("  false merges (stories joined, with the most similar pair's Jaccard):")
    for similarity, first, second in merges[:worst]:
        print(f"    J={similarity:.2f}  {first.original.name}  +  {second.original.name}")
    splits = _splits(copies, stored)
    if splits:
        print(
            f"  split copies ({len(splits)}; Jaccard with the original of the stored and of the true texts;"
            " 'cleaner' when the true texts are similar and the stored ones are not):"
        )
    for stored_j, true_j, copy in splits[:worst]:
        cause = "cleaner" if true_j >= 0.5 > stored_j else "stories" if stored_j >= 0.5 else "edits"
        carrier = copy.carrier.name if copy.carrier else "(original)"
        print(
            f"    stored J={stored_j:.2f} true J={true_j:.2f} {cause:8} {copy.original.name} in {carrier} "
            f"{','.join(copy.edits)}"
        )
    causes = Counter(
        "cleaner" if true_j >= 0.5 > stored_j else "stories" if stored_j >= 0.5 else "edits"
        for stored_j, true_j, _ in splits
    )
    if causes:
        print("  split copies by cause: " + ", ".join(f"{cause} {n}" for cause, n in causes.most_common()))


def _false_merges(
    copies: list[RealCopy], stored: dict[str, Stored]
) -> list[tuple[float, RealCopy, RealCopy]]:
    groups: dict[int, list[RealCopy]] = defaultdict(list)
    for copy in copies:
        story = stored[copy.path].story
        if story is not None:
            groups[story].append(copy)
    merges = []
    for members in groups.values():
        by_story: dict[str, list[RealCopy]] = defaultdict(list)
        for copy in members:
            by_story[copy.story].append(copy)
        for first, second in itertools.combinations(by_story.values(), 2):
            pairs = (
                (_jaccard(stored[a.path].text, stored[b.path].text), a, b) for a in first for b in second
            )
            merges.append(max(pairs, key=lambda found: found[0]))
    return sorted(merges, key=lambda found: found[0])


def _splits(copies: list[RealCopy], stored: dict[str, Stored]) -> list[tuple[float, float, RealCopy]]:
    """Pages outside the story that holds most of their true story's pages, each with its best Jaccard
    to a page of that story: of the stored texts, and of the true texts."""
    by_story: dict[str, list[RealCopy]] = defaultdict(list)
    for copy in copies:
        by_story[copy.story].append(copy)
    splits = []
    for members in by_story.values():
        main = Counter(stored[copy.path].story for copy in members).most_common(1)[0][0]
        joined = [copy for copy in members if main is not None and stored[copy.path].story == main]
        for copy in members:
            if copy in joined:
                continue
            others = joined or [other for other in members if other is not copy]
            stored_j = max(_jaccard(stored[copy.path].text, stored[other.path].text) for other in others)
            true_j = max(_jaccard(copy.text, other.text) for other in others)
            splits.append((stored_j, true_j, copy))
    return sorted(splits, key=lambda found: -found[0])


def _jaccard(first: str | None, second: str | None) -> float:
    a, b = shingles(first or ""), shingles(second or "")
    return len(a & b) / len(a | b) if a | b else 0.0


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
