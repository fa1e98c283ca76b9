"""Live progress of a crawl: one line on a terminal, refreshed each second; periodic lines in logs.

The line is the crawl's report (crawler/report.py) as it stands, so the line, the final summary
and a daemon's run record all agree; this extension also counts the responses into it.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from scrapy import signals
from twisted.internet import task

from crawler.report import CrawlReport, LossKind, crawl_report


class Progress:
    """Scrapy extension: counts the responses per source; shows the line unless WIREDESK_PROGRESS is off."""

    def __init__(self, report: CrawlReport, stream: TextIO, live: bool, log_interval: float) -> None:
        self.report = report
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
            crawl_report(crawler),
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
        self.report.response(request.meta.get("source"))

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        """A pipeline raised where it should have dropped (a bug): the page is lost, and counted."""
        self.report.lose(getattr(item, "source", "?"), LossKind.INTERNAL_ERROR)

    def show(self) -> None:
        line = self.report.line(time.monotonic() - self.started)
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
