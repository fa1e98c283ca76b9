"""`wiredesk reclean`: clean stored raw pages again with today's cleaner and each site's memory.

A text that changed is stored as a re-cleaning (`revisions.cause = 'reclean'`, not a publisher
revision) and goes through story assignment again; an unchanged one writes nothing, so running it
twice changes nothing the second time. Each chunk of articles is cleaned, then committed in one
transaction: an interrupted run keeps every chunk it finished, and the next run finds those
unchanged.

After a crawl (`reclean_after_crawl`), the articles of the sites it stored that still carry a line
their site's memory now knows as furniture are cleaned again: the first pages of a new site were
stored before its memory formed, and must not keep the furniture the later ones shed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

import cleaner
from crawler.cleaning import clean_in_time, declared_charset
from crawler.settings import WIREDESK_CLEAN_TIME_LIMIT
from storage import Corpus
from storage.engine import one_line
from storage.reclean import RawPage, Selection, article_ids, carrying, raw_pages, sites_fetched_since
from storage.repository import Recleaned
from storage.sitememory import SiteMemory, furniture_formed_since, registered_site

logger = logging.getLogger(__name__)
CHUNK = 50


@dataclass
class RecleanReport:
    """What a re-cleaning did: articles examined, texts changed or not, and failures by reason."""

    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def fail(self, reason: str, count: int = 1) -> None:
        self.failed += count
        self.reasons[reason] += count

    def line(self) -> str:
        """One line for people: the four counts, then failures by reason."""
        reasons = "; ".join(f"{reason}: {count}" for reason, count in self.reasons.most_common())
        failed = f" ({reasons})" if reasons else ""
        return (
            f"examined {self.examined}, changed {self.changed}, unchanged {self.unchanged}, "
            f"failed {self.failed}{failed}"
        )


def reclean(
    engine: Engine,
    selection: Selection,
    options: cleaner.CleanOptions = cleaner.DEFAULT_OPTIONS,
    time_limit: float = WIREDESK_CLEAN_TIME_LIMIT,
    progress: Callable[[RecleanReport], None] | None = None,
) -> RecleanReport:
    """Re-clean the chosen articles, a chunk at a time in id order."""
    return reclean_chunks(engine, _chunks(engine, selection), options, time_limit, progress)


def _chunks(engine: Engine, selection: Selection) -> Iterator[list[int]]:
    after = 0
    while True:
        with engine.connect() as connection:
            ids = article_ids(connection, selection, after, CHUNK)
        if not ids:
            return
        after = ids[-1]
        yield ids


def reclean_chunks(
    engine: Engine,
    chunks: Iterable[list[int]],
    options: cleaner.CleanOptions = cleaner.DEFAULT_OPTIONS,
    time_limit: float = WIREDESK_CLEAN_TIME_LIMIT,
    progress: Callable[[RecleanReport], None] | None = None,
) -> RecleanReport:
    """Re-clean these chunks of article ids, each committed on its own."""
    report = RecleanReport()
    corpus, memory = Corpus(engine), SiteMemory(engine)
    for ids in chunks:
        with engine.connect() as connection:
            pages = raw_pages(connection, ids)
        report.examined += len(ids)
        if len(pages) < len(ids):
            report.fail("no raw page", len(ids) - len(pages))
        furniture: dict[str, frozenset[str]] = {}
        cleaned = (_clean(page, options, time_limit, furniture, memory, report) for page in pages.values())
        items = [item for item in cleaned if item is not None]
        _store(corpus, items, report)
        if progress is not None:
            progress(report)
    return report


def _clean(
    page: RawPage,
    options: cleaner.CleanOptions,
    time_limit: float,
    furniture: dict[str, frozenset[str]],
    memory: SiteMemory,
    report: RecleanReport,
) -> Recleaned | None:
    """The page cleaned with its site's memory (read once a chunk), or None, counted as failed."""
    site = registered_site(page.final_url)
    if site not in furniture:
        furniture[site] = memory.furniture(site)
    try:
        article = clean_in_time(
            page.body,
            page.final_url,
            declared_charset(page.content_type),
            time_limit,
            options,
            furniture[site],
        )
    except Exception as error:
        logger.warning("article %d: the cleaner raised %s", page.article_id, one_line(error))
        report.fail("cleaner error")
        return None
    if not article.found:
        report.fail(f"no article now: {(article.error or 'no text').split('(')[0].strip()}")
        return None
    return Recleaned(page.article_id, page.page_id, page.final_url, page.fetched_at, article)


def _store(corpus: Corpus, items: list[Recleaned], report: RecleanReport) -> None:
    if not items:
        return
    try:
        results = corpus.store_recleaned(items)
    except Exception as error:
        logger.warning("a chunk of %d re-cleaned articles not stored: %s", len(items), one_line(error))
        report.fail("store error", len(items))
        return
    for result in results:
        if result is None:
            report.fail("not stored")
        elif result:
            report.changed += 1
        else:
            report.unchanged += 1


def reclean_after_crawl(
    engine: Engine,
    started_at: datetime,
    sources: list[str],
    options: cleaner.CleanOptions = cleaner.DEFAULT_OPTIONS,
    time_limit: float = WIREDESK_CLEAN_TIME_LIMIT,
) -> RecleanReport:
    """Re-clean what a crawl of `sources` that started at `started_at` left with furniture its sites
    now know.

    For each site it fetched articles of, with a memory: when a line became furniture during this
    crawl, every stored article of the site is checked (those of earlier crawls too); else only
    the articles this crawl fetched (some were cleaned before the crawl read the newest memory).
    Only articles whose text holds a furniture line are cleaned again.
    """
    memory = SiteMemory(engine)
    with engine.connect() as connection:
        sites = sites_fetched_since(connection, started_at, sources)
    report = RecleanReport()
    for site, hosts in sites.items():
        furniture = memory.furniture(site)
        if not furniture:
            continue
        with engine.connect() as connection:
            whole_site = furniture_formed_since(connection, site, started_at)
        chunks = _carrying(engine, hosts, furniture, None if whole_site else started_at)
        _add(report, reclean_chunks(engine, chunks, options, time_limit))
    return report


def _carrying(
    engine: Engine, hosts: list[str], furniture: frozenset[str], since: datetime | None
) -> Iterator[list[int]]:
    """Chunks of the hosts' articles that carry furniture, each read in a short transaction."""
    with engine.connect() as connection:
        found = list(carrying(connection, hosts, furniture, since, CHUNK * 4))
    yield from found


def _add(total: RecleanReport, part: RecleanReport) -> None:
    total.examined += part.examined
    total.changed += part.changed
    total.unchanged += part.unchanged
    total.failed += part.failed
    total.reasons.update(part.reasons)
