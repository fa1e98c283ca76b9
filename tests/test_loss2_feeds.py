"""A feed that overflows between two crawls (crawler/spiders/feeds.py).

A feed lists its newest five entries; eight articles are published between two crawls. The three
pushed off the feed's first page were never listed to the crawl, and nothing counted them. Now a
feed whose entries are all dated after its last read is read further back where it names its older
entries (RFC 5005 `next`), and where it does not, the gap is counted and logged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from conftest import FAST, column_values, run_wiredesk

from crawler.newsroom import Newsroom, Site, bulk, pages

PER_PAGE = 5
FEED = "/paged.xml"
OLD = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _publish(site: Site, dates: dict[int, datetime], paged: bool) -> None:
    """The feed's pages, newest first, PER_PAGE entries each (`?page=N`), and the articles they list."""
    for number in dates:
        path = bulk.bulk_path(number)
        site.add(path, pages.publisher_article(bulk.bulk_story(number), site.url(path), []))
    newest_first = sorted(dates, key=dates.__getitem__, reverse=True)
    chunks = [newest_first[start : start + PER_PAGE] for start in range(0, len(newest_first), PER_PAGE)]
    for index, numbers in enumerate(chunks, start=1):
        entries = "".join(
            f"<entry><title>{escape(bulk.bulk_story(n).headline)}</title>"
            f"<link href='{bulk.bulk_path(n)}'/><updated>{dates[n].isoformat()}</updated></entry>"
            for n in numbers
        )
        older = f"<link rel='next' href='{FEED}?page={index + 1}'/>" if paged and index < len(chunks) else ""
        feed = f"<feed xmlns='http://www.w3.org/2005/Atom'><title>Paged</title>{older}{entries}</feed>"
        site.add(FEED if index == 1 else f"{FEED}?page={index}", feed, "application/atom+xml")


def _crawl(tmp_path: Path, newsroom: Newsroom, run: int) -> tuple[dict[str, object], str]:
    sources, report = tmp_path / "sources.toml", tmp_path / f"report{run}.json"
    sources.write_text(f'[sources.paged]\nstart_urls = ["{newsroom.portal.url(FEED)}"]\n', "utf-8")
    result = run_wiredesk(
        "crawl", "paged", "--sources", str(sources), "--db", f"sqlite:///{tmp_path / 'c.db'}",
        "--report", str(report), *FAST,
    )  # fmt: skip
    return json.loads(report.read_text()), result.stderr


def _stored(tmp_path: Path) -> set[str]:
    return {urlsplit(url).path for url in column_values(tmp_path / "c.db", "SELECT url FROM articles")}


def _between_two_crawls(tmp_path: Path, paged: bool) -> tuple[Newsroom, dict[str, object], str]:
    """Five articles crawled, then eight more published: the feed's first page lists the newest five."""
    with Newsroom() as newsroom:
        dates = {n: OLD + timedelta(hours=n) for n in range(PER_PAGE)}
        _publish(newsroom.portal, dates, paged)
        _crawl(tmp_path, newsroom, 1)
        now = datetime.now(UTC)
        dates |= {n: now + timedelta(minutes=n) for n in range(PER_PAGE, PER_PAGE + 8)}
        _publish(newsroom.portal, dates, paged)
        report, stderr = _crawl(tmp_path, newsroom, 2)
    return newsroom, report, stderr


def test_a_paged_feed_that_overflowed_is_read_back_to_its_last_read(tmp_path: Path) -> None:
    newsroom, report, _ = _between_two_crawls(tmp_path, paged=True)
    assert _stored(tmp_path) == {bulk.bulk_path(n) for n in range(PER_PAGE + 8)}
    assert "feed_gap" not in report["skipped"]  # type: ignore[operator]
    asked = [path for site, path in newsroom.requests if site == "portal" and path.startswith(FEED)]
    # The first crawl had no last read: its first page only. The second read back until a page
    # reached its last read (page 3 holds only entries it had seen).
    assert asked == [FEED, FEED, f"{FEED}?page=2"]


def test_a_feed_that_overflowed_with_no_older_page_counts_its_gap(tmp_path: Path) -> None:
    _, report, stderr = _between_two_crawls(tmp_path, paged=False)
    assert len(_stored(tmp_path)) == PER_PAGE + PER_PAGE
    assert report["skipped"]["feed_gap"] == 1  # type: ignore[index]
    assert "may have scrolled off" in stderr and FEED in stderr
