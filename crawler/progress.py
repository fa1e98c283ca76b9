"""Live progress of a crawl: one line on a terminal, refreshed each second; periodic lines in logs.

Counts come from the crawler's stats (the pipelines and the spider write them), so the line, the
final summary and a daemon's run record all agree.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

from scrapy import signals
from twisted.internet import task

from storage.records import Outcome


@dataclass(frozen=True)
class Counts:
    """The headline numbers of a crawl, read from its stats."""

    fetched: int
    stored: int
    copies: int
    duplicates: int
    revisions: int
    unchanged: int
    errors: int

    @classmethod
    def from_stats(cls, stats: dict[str, Any]) -> Counts:
        def total(suffix: str) -> int:
            return int(stats.get(f"wiredesk/store/{suffix}", 0))

        return cls(
            fetched=int(stats.get("response_received_count", 0)),
            stored=total(Outcome.NEW) + total(Outcome.COPY),
            copies=total(Outcome.COPY),
            duplicates=total(Outcome.DUPLICATE),
            revisions=total(Outcome.REVISION),
            unchanged=total(Outcome.UNCHANGED),
            errors=sum(int(v) for k, v in stats.items() if k.startswith("wiredesk/error/")),
        )

    def line(self, elapsed: float) -> str:
        rate = self.fetched / elapsed if elapsed > 0 else 0.0
        return (
            f"fetched {self.fetched} · stored {self.stored} (copies {self.copies}) · "
            f"duplicates {self.duplicates} · "
            f"revisions {self.revisions} · errors {self.errors} · {rate:.1f} pages/s"
        )


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
        shown = settings.getbool("WIREDESK_PROGRESS", True)
        extension = cls(
            crawler.stats,
            stream,
            live=shown and stream.isatty(),
            log_interval=settings.getfloat("WIREDESK_PROGRESS_LOG_INTERVAL", 60) if shown else 0,
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
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
