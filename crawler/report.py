"""What a crawl (or a WARC import) did: one typed record, added to as each page meets its end.

The spider, the corpus gate, the middlewares and the pipelines add to the crawl's `CrawlReport`
(`crawl_report(crawler)`) through its methods; the live progress line, the end-of-crawl summary,
the `--report` JSON (`figures`), a daemon's `crawl_runs` row and the import's summary all read its
fields. Each count is also fed to Scrapy's stats under a `wiredesk/...` key, for Scrapy's own log
("Dumping Scrapy stats"); nothing reads those keys back.

The counts add up: every page fetched is an article page or another page (listing, robots.txt,
HTTP error), and every article page ends in exactly one of stored (new or copy), duplicate,
revision, unchanged, no article (skipped on purpose), spooled or lost (to an error, with its
kind); until then it is in progress. A copy is a new article of a story seen elsewhere: it counts
among the stored ("new", copies included) and once more under `copies`, never as a duplicate.

This module imports no part of the crawl (Scrapy, the pipelines): `crawler.output` reads the
record, and commands that only read the corpus must start fast.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crawler.reasons import DropReason, LossKind, Skip
from storage.records import Outcome

if TYPE_CHECKING:
    from crawler.discovery import Kind
    from crawler.reclean import RecleanReport


STORED = (Outcome.NEW, Outcome.COPY)
"""The outcomes that add an article to the corpus."""


@dataclass
class SourceReport:
    """One source's figures: pages fetched, what storing did, and errors by kind."""

    fetched: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def new(self) -> int:
        """Articles this source added to the corpus, copies included, as the crawl's `new` counts."""
        return sum(self.outcomes[outcome] for outcome in STORED)

    @property
    def failed(self) -> bool:
        """Nothing fetched at all: the source is unreachable or every start URL failed."""
        return self.fetched == 0 and bool(self.errors)


@dataclass
class ImportFigures:
    """What only a WARC import has: its files and records (`wiredesk import`'s last lines)."""

    files: Counter[str] = field(default_factory=Counter)
    """Files by what became of them: imported, resumed, already_done, unreadable, damaged."""
    records: int = 0
    other_records: Counter[str] = field(default_factory=Counter)
    """Records that are not responses, by WARC-Type (request, warcinfo, metadata)."""
    not_cleaned: Counter[str] = field(default_factory=Counter)
    """Response and revisit records not cleaned, by reason (not_html, http-404, revisit, site...)."""

    def lines(self, responses: int) -> list[str]:
        """What a crawl's summary does not say about an import: files, and records not cleaned."""

        def tally(counts: Counter[str]) -> str:
            return ", ".join(f"{kind} ×{count}" for kind, count in sorted(counts.items())) or "none"

        return [
            f"files: {tally(self.files)}",
            f"records read: {self.records} = {responses} responses + other records "
            f"({tally(self.other_records)})",
            f"responses and revisits not cleaned: {tally(self.not_cleaned)}",
        ]


@dataclass
class CrawlReport:
    """What one crawl or import did, counted as it happened (module docstring)."""

    finish_reason: str = "unknown"
    elapsed: float = 0.0
    fetched: int = 0
    """Responses received: article pages, listings, robots.txt, HTTP error pages."""
    article_pages: int = 0
    """Article pages handed to the pipelines."""
    stored: Counter[Outcome] = field(default_factory=Counter)
    """What storing did to the article pages: new, copy, duplicate, revision, unchanged, spooled."""
    no_article: Counter[DropReason] = field(default_factory=Counter)
    """Article pages fetched and not stored on purpose, by reason."""
    lost: Counter[LossKind] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    """Every error by kind: failed fetches (dns, http-503...), unreadable listings, lost articles."""
    skipped: Counter[Skip] = field(default_factory=Counter)
    """URLs not fetched, by reason (each URL counted once)."""
    replayed: Counter[Outcome] = field(default_factory=Counter)
    """Spooled articles written back, by outcome; `failed`: refused, quarantined (each an error)."""
    listings_not_modified: int = 0
    listings: Counter[Kind] = field(default_factory=Counter)
    """Start URLs and listings read, by what they turned out to be (feed, sitemap, html...)."""
    older_feed_pages: int = 0
    """Older pages of feeds that overflowed since their last read, asked for (crawler/spiders/feeds.py)."""
    database_unavailable: int = 0
    """Questions the corpus gate could not ask, the database away: their URLs were fetched as if
    nothing was stored (storing them again changes nothing)."""
    spool_error: str | None = None
    """Why the spool could not be written (the crawl stopped then)."""
    recleaned: RecleanReport | None = None
    """The re-cleaning after the crawl, when it ran."""
    sources: dict[str, SourceReport] = field(default_factory=dict)
    archive: ImportFigures | None = None
    """A WARC import's own figures; None for a crawl."""
    scrapy_stats: Any = field(default=None, repr=False, compare=False)
    """Scrapy's stats collector, fed each count for Scrapy's log; None outside Scrapy."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    """Counts come from the reactor thread, the store pipeline's writer thread and an import's reader."""

    # --- counting (the spider, the corpus gate, the middlewares, the pipelines) --------------------

    def name_sources(self, names: list[str]) -> None:
        """Give each source a row, fetched or not (an unreachable source shows as failed)."""
        for name in names:
            self.sources.setdefault(name, SourceReport())

    def response(self, source: str | None) -> None:
        """A response received (`source` None: robots.txt and other requests of no source)."""
        with self._lock:
            self.fetched += 1
            if source:
                self._source(source).fetched += 1
        if source:
            self._feed(f"wiredesk/source/{source}/fetched")

    def article_page(self, source: str | None = None) -> None:
        """An article page handed to the pipelines. `source`: also a page fetched for it (an
        import, where a source is known only for the records that are pages)."""
        with self._lock:
            self.article_pages += 1
            if source:
                self._source(source).fetched += 1
        self._feed("wiredesk/article_pages")
        if source:
            self._feed(f"wiredesk/source/{source}/fetched")

    def store(self, source: str, outcome: Outcome) -> None:
        """What storing did to one article page (each page counted under one outcome)."""
        with self._lock:
            self.stored[outcome] += 1
            self._source(source).outcomes[outcome] += 1
        self._feed(f"wiredesk/store/{outcome.value}")
        self._feed(f"wiredesk/source/{source}/{outcome.value}")

    def drop(self, reason: DropReason) -> None:
        """An article page fetched and not stored on purpose: no article in it, not an article."""
        drop = DropReason(reason)
        with self._lock:
            self.no_article[drop] += 1
        self._feed(f"wiredesk/clean/{drop.value}")

    def lose(self, source: str, kind: LossKind | str) -> None:
        """An article page lost to an error: an error of its source, and the crawl exits non-zero."""
        loss = LossKind(kind)
        with self._lock:
            self.lost[loss] += 1
        self._feed(f"wiredesk/lost/{loss.value}")
        self.error(source, loss.value)

    def error(self, source: str | None, kind: str) -> None:
        """An error of `kind` (a failed fetch, an unreadable listing), of a source when it has one."""
        with self._lock:
            self.errors[kind] += 1
            if source:
                self._source(source).errors[kind] += 1
        self._feed(f"wiredesk/error/{kind}")
        if source:
            self._feed(f"wiredesk/source/{source}/error/{kind}")

    def skip(self, reason: Skip | str, count: int = 1, stats_key: str = "skip") -> None:
        """A URL not fetched, by reason; `count` -1 takes one back (a URL wanted after all).
        `stats_key`: the Scrapy stats key's family (`drop`: a middleware's refusal)."""
        skip = Skip(reason)
        with self._lock:
            self.skipped[skip] += count
        self._feed(f"wiredesk/{stats_key}/{skip.value}", count)

    def replay(self, outcome: Outcome) -> None:
        """A spooled article written back (`failed`: refused and quarantined, an error)."""
        with self._lock:
            self.replayed[outcome] += 1
        self._feed(f"wiredesk/replay/{outcome.value}")
        if outcome is Outcome.FAILED:
            self.error(None, "replay_failed")

    def listing_not_modified(self) -> None:
        """A feed or sitemap answered 304 to its conditional GET: nothing new in it since last time."""
        with self._lock:
            self.listings_not_modified += 1
        self._feed("wiredesk/listing/not_modified")

    def listing_read(self, kind: Kind) -> None:
        """A start URL or listing read, found to be of `kind` (crawler.discovery.Kind)."""
        with self._lock:
            self.listings[kind] += 1
        self._feed(f"wiredesk/discovery/{kind.value}")

    def older_feed_page(self) -> None:
        """The older page of a feed that overflowed since its last read, asked for."""
        with self._lock:
            self.older_feed_pages += 1
        self._feed("wiredesk/listing/feed_older_page")

    def corpus_unavailable(self) -> None:
        """The corpus gate's question failed, the database away: fetched as if nothing was stored."""
        with self._lock:
            self.database_unavailable += 1
        self._feed("wiredesk/listing/database_unavailable")

    def spool_failed(self, why: str) -> None:
        """The spool could not be written: the crawl stops, and the summary says why."""
        self.spool_error = why
        if self.scrapy_stats is not None:
            self.scrapy_stats.set_value("wiredesk/spool_error", why)

    def _source(self, name: str) -> SourceReport:
        return self.sources.setdefault(name, SourceReport())

    def _feed(self, key: str, count: int = 1) -> None:
        if self.scrapy_stats is not None:
            self.scrapy_stats.inc_value(key, count)

    # --- reading (the progress line, the summary, --report, crawl_runs) ---------------------------

    @property
    def new(self) -> int:
        """Articles added to the corpus, copies included."""
        return sum(self.stored[outcome] for outcome in STORED)

    @property
    def spooled(self) -> int:
        return self.stored[Outcome.SPOOLED]

    @property
    def replay_failed(self) -> int:
        return self.replayed[Outcome.FAILED]

    @property
    def articles_lost(self) -> int:
        """Articles lost to an error, those of this crawl and spooled ones refused when written back."""
        return self.lost.total() + self.replay_failed

    @property
    def not_fetched(self) -> dict[str, int]:
        """URLs not fetched by reason (the reasons still counted: one may have been taken back)."""
        return {reason.value: count for reason, count in self.skipped.items() if count > 0}

    @property
    def in_progress(self) -> int:
        """Article pages still being cleaned or stored: zero once the crawl has ended."""
        ended = sum(count for outcome, count in self.stored.items() if outcome is not Outcome.FAILED)
        return self.article_pages - ended - self.no_article.total() - self.lost.total()

    def line(self, elapsed: float) -> str:
        """fetched = articles + other pages; articles = stored + ... + lost (+ in progress)."""
        rate = self.fetched / elapsed if elapsed > 0 else 0.0
        parts = [
            f"fetched {self.fetched} = {self.article_pages} articles + "
            f"{self.fetched - self.article_pages} other pages",
            f"articles: stored {self.new} (copies {self.stored[Outcome.COPY]})",
            f"duplicates {self.stored[Outcome.DUPLICATE]}",
            f"revisions {self.stored[Outcome.REVISION]}",
            f"unchanged {self.stored[Outcome.UNCHANGED]}",
            f"no article {self.no_article.total()}",
            f"spooled {self.spooled}",
            f"lost {self.lost.total()}",
        ]
        if self.in_progress:
            parts.append(f"in progress {self.in_progress}")
        return " · ".join([*parts, f"errors {self.errors.total()}", f"{rate:.1f} pages/s"])

    def figures(self) -> dict[str, Any]:
        """What `--report` writes and a daemon's run keeps (docs/cli.md): pages, what became of the
        articles, errors by kind (failed fetches and lost articles alike), URLs not fetched by reason,
        listings read by kind, corpus questions the database was away for.
        `new` holds the copies too; `lost` counts the articles lost, of `articles` fetched."""
        return {
            "finish_reason": self.finish_reason,
            "fetched": self.fetched,
            "articles": self.article_pages,
            "new": self.new,
            "copies": self.stored[Outcome.COPY],
            "duplicates": self.stored[Outcome.DUPLICATE],
            "revisions": self.stored[Outcome.REVISION],
            "unchanged": self.stored[Outcome.UNCHANGED],
            "no_article": self.no_article.total(),
            "spooled": self.spooled,
            "lost": self.articles_lost,
            "errors": dict(self.errors),
            "skipped": self.not_fetched,
            "listings": {kind.value: count for kind, count in self.listings.items()},
            "older_feed_pages": self.older_feed_pages,
            "database_unavailable": self.database_unavailable,
        }


REPORT_ATTRIBUTE = "wiredesk_report"
"""Where a crawler keeps its report: one per crawler, however many run in a process."""
_MADE = threading.Lock()


def crawl_report(crawler: Any) -> CrawlReport:
    """The report of a Scrapy crawler, made on first use: the one every component of it adds to.

    Several crawls may share a process (the daemon's warm crawl process): each has its own.
    """
    with _MADE:
        report = getattr(crawler, REPORT_ATTRIBUTE, None)
        if report is None:
            report = CrawlReport(scrapy_stats=crawler.stats)
            setattr(crawler, REPORT_ATTRIBUTE, report)
        return report
