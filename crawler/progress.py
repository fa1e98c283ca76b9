"""Live progress of a crawl: one line on a terminal, refreshed each second; periodic lines in logs.

Counts come from the crawler's stats (the pipelines and the spider write them), so the line, the
final summary and a daemon's run record all agree. They add up: every page fetched is an article
page or another page (listing, robots.txt, HTTP error), and every article page ends in exactly one
of stored, duplicate, revision, unchanged, no article (skipped on purpose), spooled or lost (to
an error, counted with its reason: `count_loss`); until then it is in progress.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

from scrapy import signals
from twisted.internet import task

from storage.records import Outcome

ARTICLE_PAGES = "wiredesk/article_pages"
"""Stats key: article pages the spider handed to the pipelines."""
LOST_PREFIX = "wiredesk/lost/"
"""Stats keys of article pages fetched but lost to an error, by kind (each also an error)."""
SKIPPED_PREFIX = "wiredesk/clean/"
"""Stats keys of article pages not stored on purpose: no article in them, not an article."""
SKIP_PREFIX = "wiredesk/skip/"
"""Stats keys of URLs the spider chose not to fetch, by reason (each URL counted once)."""
DROP_PREFIX = "wiredesk/drop/"
"""Stats keys of requests a middleware refused to send (off-site redirects, bad addresses)."""
SKIP_LABELS = {
    "not_article_shaped": "not article-shaped",
    "not_in_article_allow": "not in article_allow",
    "article_deny": "article_deny",
    "before_since": "older than --days",
    "offsite": "off-site",
    "not_http": "not http(s)",
    "bad_url": "unreadable URL",
    "section_page_limit": "past WIREDESK_SECTION_PAGES",
    "stored_unchanged": "stored, unchanged",
    "failed_before": "failed before",
    "max_articles": "past --max-articles",
}
"""How the summary names a reason for not fetching a URL; others are shown by their key."""
INTERNAL_ERROR = "internal_error"
"""The kind of loss of a page a pipeline raised on instead of dropping it."""
REPLAY_PREFIX = "wiredesk/replay/"
"""Stats keys of spooled articles written back (by outcome), or quarantined (`failed`)."""


def count_loss(stats: Any, source: str, kind: str) -> None:
    """Count an article page lost to an error of `kind` (time_limit, worker_died, store_failed...).

    A loss is an error of its source, like a failed fetch, and makes the crawl's exit status
    non-zero (crawler.run.exit_status).
    """
    stats.inc_value(f"{LOST_PREFIX}{kind}")
    stats.inc_value(f"wiredesk/error/{kind}")
    stats.inc_value(f"wiredesk/source/{source}/error/{kind}")


def not_fetched(stats: dict[str, Any]) -> dict[str, int]:
    """URLs the crawl decided not to fetch, by reason (stats key), the spider's and the middlewares'."""
    reasons: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith((SKIP_PREFIX, DROP_PREFIX)) and int(value):
            reason = key.split("/", 2)[2]
            reasons[reason] = reasons.get(reason, 0) + int(value)
    return reasons


@dataclass(frozen=True)
class Counts:
    """The headline numbers of a crawl, read from its stats."""

    fetched: int
    """Responses received: article pages, listings, robots.txt, HTTP error pages."""
    articles: int
    stored: int
    copies: int
    duplicates: int
    revisions: int
    unchanged: int
    skipped: int
    spooled: int
    lost: int
    errors: int
    """Every error: failed fetches and lost articles."""
    replayed: int = 0
    """Spooled articles written back to the database (of this crawl or earlier ones)."""
    replay_failed: int = 0
    """Spooled articles that could not be stored when written back: quarantined, lost to an error."""

    @classmethod
    def from_stats(cls, stats: dict[str, Any]) -> Counts:
        def total(suffix: str) -> int:
            return int(stats.get(f"wiredesk/store/{suffix}", 0))

        def prefixed(prefix: str) -> dict[str, int]:
            return {k.removeprefix(prefix): int(v) for k, v in stats.items() if k.startswith(prefix)}

        replays = prefixed(REPLAY_PREFIX)
        return cls(
            fetched=int(stats.get("response_received_count", 0)),
            articles=int(stats.get(ARTICLE_PAGES, 0)),
            stored=total(Outcome.NEW) + total(Outcome.COPY),
            copies=total(Outcome.COPY),
            duplicates=total(Outcome.DUPLICATE),
            revisions=total(Outcome.REVISION),
            unchanged=total(Outcome.UNCHANGED),
            skipped=sum(prefixed(SKIPPED_PREFIX).values()),
            spooled=total(Outcome.SPOOLED),
            lost=sum(prefixed(LOST_PREFIX).values()),
            errors=sum(prefixed("wiredesk/error/").values()),
            replayed=sum(count for outcome, count in replays.items() if outcome != Outcome.FAILED),
            replay_failed=replays.get(Outcome.FAILED, 0),
        )

    @property
    def in_progress(self) -> int:
        """Article pages still being cleaned or stored: zero once the crawl has ended."""
        done = self.stored + self.duplicates + self.revisions + self.unchanged
        return self.articles - done - self.skipped - self.spooled - self.lost

    def line(self, elapsed: float) -> str:
        """fetched = articles + other pages; articles = stored + ... + lost (+ in progress)."""
        rate = self.fetched / elapsed if elapsed > 0 else 0.0
        parts = [
            f"fetched {self.fetched} = {self.articles} articles + {self.fetched - self.articles} other pages",
            f"articles: stored {self.stored} (copies {self.copies})",
            f"duplicates {self.duplicates}",
            f"revisions {self.revisions}",
            f"unchanged {self.unchanged}",
            f"no article {self.skipped}",
            f"spooled {self.spooled}",
            f"lost {self.lost}",
        ]
        if self.in_progress:
            parts.append(f"in progress {self.in_progress}")
        return " · ".join([*parts, f"errors {self.errors}", f"{rate:.1f} pages/s"])


class Progress:
    """Scrapy extension: counts fetched pages per source; shows the line unless WIREDESK_PROGRESS is off."""

    def __init__(self, stats: Any, stream: TextIO, live: bool, log_interval: float) -> None:
        self.stats = stats
        self.stream = stream
        self.live = live
        self.interval = 1.0 if live else log_interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> Progress:
        settings = crawler.settings
        stream = sys.stderr
        shown = settings.getbool("WIREDESK_PROGRESS")
        extension = cls(
            crawler.stats,
            stream,
            live=shown and stream.isatty(),
            log_interval=settings.getfloat("WIREDESK_PROGRESS_LOG_INTERVAL") if shown else 0,
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        if self.interval > 0:
            self.loop = task.LoopingCall(self.show)
            self.loop.start(self.interval, now=False)

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        source = request.meta.get("source")
        if source:
            self.stats.inc_value(f"wiredesk/source/{source}/fetched")

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        """A pipeline raised where it should have dropped (a bug): the page is lost, and counted."""
        count_loss(self.stats, getattr(item, "source", "?"), INTERNAL_ERROR)

    def show(self) -> None:
        line = Counts.from_stats(self.stats.get_stats()).line(time.monotonic() - self.started)
        if self.live:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def spider_closed(self, spider: Any) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live:
            self.stream.write("\r\033[K")
            self.stream.flush()
