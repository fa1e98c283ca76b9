"""Pending-article records written while the database is away are written once it is back.

The crawl records a listing's article URLs (crawler/pending.py) as it reads the listing. A record
the database refused for being away (PostgreSQL restarting, SQLite locked past its busy timeout)
was dropped with a warning: the article was spooled if fetched, but one whose fetch then failed,
or that a kill left in the queue, was lost for good once off its listing, as before pending
articles existed. The records are now kept, in order, and written before the next one and at the
crawl's end; what is still refused then is counted in one warning.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import COMMAND_DEADLINE, Outage, column_values
from scrapy.utils.test import get_crawler

from crawler.pending import PendingArticles
from crawler.sources import Source
from storage import make_engine
from storage.engine import SQLITE_BUSY_TIMEOUT_ENV
from storage.pending import FoundBy
from storage.schema import upgrade

SOURCE = Source("s", ("http://example.com/feed.xml",))
FIRST, LATER = "http://example.com/news/first-story-of-the-day", "http://example.com/news/a-later-story"


@pytest.fixture
def sqlite_outage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Outage]:
    """A SQLite corpus, away while another connection holds its write lock.

    Its busy timeout (how long a write waits for the lock before the database counts as away) is
    0.5 s, not the shipped 30 s ($WIREDESK_SQLITE_BUSY_TIMEOUT): the write is refused by the same
    path, half a minute sooner. The lock is held until the test lets it go, so no wait is timed.
    """
    monkeypatch.setenv(SQLITE_BUSY_TIMEOUT_ENV, "0.5")
    path = tmp_path / "c.db"
    upgrade(make_engine(f"sqlite:///{path}"))
    holder = sqlite3.connect(path, isolation_level=None)
    yield f"sqlite:///{path}", lambda: holder.execute("BEGIN EXCLUSIVE"), lambda: holder.execute("COMMIT")
    holder.close()


@pytest.fixture(params=["sqlite", "pg"])
def outage(request: pytest.FixtureRequest) -> Outage:
    return request.getfixturevalue(f"{request.param}_outage")  # type: ignore[no-any-return]


def _pending_while_away(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> tuple[str, PendingArticles, Callable[[], None]]:
    """The outage's database URL, a PendingArticles writing to it, and what brings it back: the
    database is away from now on, and the pending-articles warnings are captured."""
    url, away, back = outage
    crawler = get_crawler(settings_dict={"WIREDESK_DB": url, "WIREDESK_PENDING_TRIES": 5})
    pending = PendingArticles(crawler, {SOURCE.name: SOURCE})
    caplog.set_level(logging.WARNING, logger="crawler.pending")
    away()
    return url, pending, back


def _wait_for_warning(caplog: pytest.LogCaptureFixture) -> None:
    deadline = time.monotonic() + COMMAND_DEADLINE
    while "pending articles not recorded" not in caplog.text:
        assert time.monotonic() < deadline, "the write never failed"
        time.sleep(0.05)


def test_urls_listed_while_the_database_is_away_are_kept_once_it_is_back(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    url, pending, back = _pending_while_away(outage, caplog)
    pending.listed(SOURCE, [FIRST], FoundBy.FEED)
    _wait_for_warning(caplog)
    back()
    pending.listed(SOURCE, [LATER], FoundBy.FEED)
    pending.finish()
    assert set(column_values(url, "SELECT url FROM pending_articles")) == {FIRST, LATER}
    assert "not written" not in caplog.text


def test_records_still_refused_at_the_end_are_counted_in_one_warning(
    pg_outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    url, pending, back = _pending_while_away(pg_outage, caplog)
    pending.listed(SOURCE, [FIRST], FoundBy.FEED)
    pending.listed(SOURCE, [LATER], FoundBy.SECTION)
    pending.finish()
    back()
    assert "2 pending-article records not written" in caplog.text
    assert set(column_values(url, "SELECT url FROM pending_articles")) == set()
