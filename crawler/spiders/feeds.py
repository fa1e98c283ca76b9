"""A feed that overflowed between two reads: the entries that scrolled off in between.

A feed lists its newest N entries. When more than N appear between two reads, the ones pushed off
the end are never listed to the crawl, and no count said so: a news corpus with a silent gap. The
sign is on the feed itself: every entry is dated after the feed's last read (`READ_AT_META`, the
start of the last crawl that read it), so nothing the last read saw is still listed. Then the crawl
reads the feed's older entries where the feed names them (RFC 5005: a paged feed's `next` page, an
archived feed's `prev-archive` document), page after page while each page is still all newer, up
to WIREDESK_SECTION_PAGES pages; where it cannot (no such link, or the limit reached), the gap is
counted (`feed_gap`, in the summary, the report and the daemon's runs) and logged with the feed's
URL, so an operator can poll it more often or add the site's sitemap.

Undated entries tell nothing (a feed of undated entries is never taken for overflowed), nor does
a first read (no last read to compare with).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from crawler.corpusgate import READ_AT_META
from crawler.discovery import Entry

FEED_PAGE_META = "wiredesk_feed_page"
"""Request meta of a feed's older page: how many pages from the feed itself (1: the first older)."""


def overflowed(entries: Iterable[Entry], meta: dict[str, Any]) -> bool:
    """Every dated entry is newer than the feed's last read (in its request's `meta`): what was
    published in between may be gone."""
    read_at: datetime | None = meta.get(READ_AT_META)
    dates = [entry.updated for entry in entries if entry.updated is not None]
    return read_at is not None and bool(dates) and min(dates) > read_at


def feed_page(meta: dict[str, Any]) -> int:
    """How many pages back from the feed itself this one is (0: the feed)."""
    return int(meta.get(FEED_PAGE_META, 0))


def older_page_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """The meta of the request for the next older page: the feed's last read, one page deeper."""
    return {READ_AT_META: meta.get(READ_AT_META), FEED_PAGE_META: feed_page(meta) + 1}


def gap_warning(source: str, url: str, meta: dict[str, Any]) -> str:
    """The log line of a feed gap: which feed, since when, and what an operator can do."""
    since = meta[READ_AT_META].isoformat(timespec="seconds")
    return (
        f"{source}: every entry of {url} is dated after its last read ({since}) "
        "and no older page is left to read: articles published in between may have scrolled off; "
        "poll it more often, or add the site's sitemap"
    )
