"""Same-story detection on real-text copies: crawled from loopback sites, then the true texts alone.

    python -m benchmarks.dedup --real [--datasets DIR] [--db URL] [--orders 5]

The corpus (benchmarks/dedup_realcorpus.py) is served on loopback sites; the real `wiredesk crawl`
fetches everything into a fresh database; the stories it made are scored pairwise, then the same
texts (the truth, no HTML) are stored directly ("dedup alone"), in publication order and in
--orders shuffled orders, whose partitions are compared. Pages outside their story are listed with
their Jaccard similarity to it, on the stored and on the true texts.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from benchmarks.dedup_realcorpus import RealCopy, real_copies
from benchmarks.dedup_scoring import (
    Items,
    Score,
    fresh_database,
    partition,
    print_agreement,
    store_texts,
    sweep_table,
    text_item,
)
from cleaner.fingerprint import shingles
from crawler.newsroom.transplant import PublisherSites, ServedPage, recorded_pages
from storage import linkrule, make_engine
from storage.containment import Overlap
from storage.linkrule import jaccard
from storage.models import Article, ArticleUrl
from storage.urls import normalise_url

_FAST = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=60")
WIREDESK = Path(sys.executable).parent / "wiredesk"
_UNDATED = datetime(1970, 1, 1, tzinfo=UTC)


def real_text(datasets: Path, db: str, orders: int, seed: int, contained: list[float]) -> None:
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
    with fresh_database(db) as url:
        crawled = crawl(served, copies, url)
    print("\nwhole path (crawl, clean, store):")
    report(copies, crawled)
    print("\ndedup alone (the true texts stored directly, in publication order):")
    by_time = sorted(copies, key=lambda copy: (copy.published, copy.path))
    with fresh_database(db) as url:
        alone = stored_texts(url, by_time)
    report(copies, alone)
    urls = {copy.path: f"https://{copy.publisher}{copy.path}" for copy in by_time}
    items = [text_item(urls[c.path], c.publisher, c.text, c.headline, c.published) for c in by_time]
    reference = partition({urls[path]: result.story for path, result in alone.items()})
    print_agreement(db, items, reference, orders)
    print("\ncontainment rule swept (stories made again from the stored texts, and from the true texts):")
    sweep_table(
        db,
        {copy.path: copy.story for copy in copies},
        [
            ("whole path", stored_items(copies, crawled)),
            ("dedup alone", (items, {path: urls[path] for path in urls})),
        ],
        contained,
    )


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
    article: ArticleAsStored | None = None


@dataclass(frozen=True)
class ArticleAsStored:
    """The stored article a crawled page became: what storing its text again needs."""

    url: str
    site: str
    title: str | None
    published: datetime | None


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
            select(ArticleUrl.url, Article.story_id, Article.text)
            .add_columns(Article.url, Article.site, Article.title, Article.published_at)
            .join(Article, Article.id == ArticleUrl.article_id)
        )
        by_url = {url: Stored(story, body, ArticleAsStored(*article)) for url, story, body, *article in rows}
    engine.dispose()
    return {path: by_url.get(url, Stored(None, None)) for path, url in urls.items()}


def stored_texts(db_url: str, copies: list[RealCopy]) -> dict[str, Stored]:
    """Store the copies' true texts directly, in the order given."""
    urls = {copy.path: f"https://{copy.publisher}{copy.path}" for copy in copies}
    assigned = store_texts(
        db_url,
        [
            text_item(urls[copy.path], copy.publisher, copy.text, copy.headline, copy.published)
            for copy in copies
        ],
    )
    return {copy.path: Stored(assigned.get(urls[copy.path]), copy.text) for copy in copies}


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
            f"  split copies ({len(splits)}; with the pages of their story: best Jaccard of the stored and of"
            " the true texts, and the stored overlap's share of the smaller and the larger text; 'stories'"
            " when the stored texts meet the link rule, 'cleaner' when only the true ones do):"
        )
    for split in splits[:worst]:
        copy = split.copy
        carrier = copy.carrier.name if copy.carrier else "(original)"
        print(
            f"    stored J={split.stored_j:.2f} true J={split.true_j:.2f} shared S/L="
            f"{split.overlap.containment:.2f}/{split.share_of_larger:.2f} {split.cause:8} "
            f"{copy.original.name} in {carrier} {','.join(copy.edits)}"
        )
    causes = Counter(split.cause for split in splits)
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


@dataclass(frozen=True)
class Split:
    """A page outside the story that holds most of its true story's pages, with its best Jaccard to a
    page of that story (stored texts, true texts) and its largest stored overlap with one."""

    stored_j: float
    true_j: float
    overlap: Overlap
    true_linked: bool
    copy: RealCopy

    @property
    def share_of_larger(self) -> float:
        return self.overlap.shared / self.overlap.larger if self.overlap.larger else 0.0

    @property
    def cause(self) -> str:
        """'stories' when the stored texts meet the link rule (sites and times aside), 'cleaner' when
        only the true texts do, 'edits' when neither does."""
        if self.stored_j >= linkrule.SIMILAR or self.overlap.contained():
            return "stories"
        return "cleaner" if self.true_linked else "edits"


def _splits(copies: list[RealCopy], stored: dict[str, Stored]) -> list[Split]:
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
            mine, true = shingles(stored[copy.path].text or ""), shingles(copy.text)
            theirs = [shingles(stored[other.path].text or "") for other in others]
            true_theirs = [shingles(other.text) for other in others]
            overlap = max((Overlap.of(mine, their) for their in theirs), key=lambda found: found.shared)
            splits.append(
                Split(
                    max(jaccard(mine, their) for their in theirs),
                    max(jaccard(true, their) for their in true_theirs),
                    overlap,
                    any(
                        jaccard(true, their) >= linkrule.SIMILAR or Overlap.of(true, their).contained()
                        for their in true_theirs
                    ),
                    copy,
                )
            )
    return sorted(splits, key=lambda found: -found.stored_j)


def _jaccard(first: str | None, second: str | None) -> float:
    a, b = shingles(first or ""), shingles(second or "")
    return len(a & b) / len(a | b) if a | b else 0.0


def stored_items(copies: list[RealCopy], crawled: dict[str, Stored]) -> Items:
    """The crawl's stored articles as items to store again (in publication order), with each page's URL."""
    articles = {
        result.article.url: result
        for result in crawled.values()
        if result.article is not None and result.text is not None
    }
    items = [
        text_item(url, found.article.site, found.text, found.article.title or "", found.article.published)
        for url, found in articles.items()
        if found.article is not None and found.text is not None
    ]
    items.sort(key=lambda item: (item[1].published or _UNDATED, item[0].url))
    urls = {
        copy.path: crawled[copy.path].article.url  # type: ignore[union-attr]
        for copy in copies
        if crawled[copy.path].article is not None
    }
    return items, urls
