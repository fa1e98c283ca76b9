"""`wiredesk reclean` while a crawl runs: a publisher's revision stored meanwhile must stay the text.

A chunk's raw pages are read, cleaned (seconds), then stored. A crawl that stored a newer revision
of one of them in between had it replaced by the older page cleaned again: the article's text went
back to what the publisher had since changed, until the page was fetched again (a crawl skips a
stored page its listing does not date later: maybe never).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

import crawler.reclean
from cleaner import CleanArticle
from crawler.reclean import reclean
from storage import Corpus, FetchedPage
from storage.models import Article, Revision
from storage.reclean import Selection

URL = "https://wire.example/news/harbour-bridge-reopens-after-repairs"
FIRST = datetime(2024, 12, 5, 12, tzinfo=UTC)


def _text(words: str) -> str:
    return " ".join(f"{words} {n}." for n in range(40))


OLD_CLEANER = _text("The bridge reopened on Monday") + "\nShare this story"
RECLEANED = _text("The bridge reopened on Monday")
REVISED = _text("The bridge reopened on Tuesday after a delay")


def _page(fetched_at: datetime, body: bytes) -> FetchedPage:
    return FetchedPage.fetched(URL, URL, source="wire", fetched_at=fetched_at, http_status=200, body=body)


def test_a_revision_stored_during_the_recleaning_stays_the_text(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = Corpus(engine)
    corpus.store(_page(FIRST, b"<html>first</html>"), CleanArticle(text=OLD_CLEANER, title="Bridge"))

    def a_crawl_revises_it_meanwhile(*args: Any, **kwargs: Any) -> CleanArticle:
        corpus.store(
            _page(FIRST + timedelta(hours=2), b"<html>revised</html>"),
            CleanArticle(text=REVISED, title="Bridge"),
        )
        return CleanArticle(text=RECLEANED, title="Bridge")

    monkeypatch.setattr(crawler.reclean, "clean_in_time", a_crawl_revises_it_meanwhile)
    report = reclean(engine, Selection())
    assert (report.examined, report.failed) == (1, 0)
    with engine.connect() as connection:
        assert connection.scalar(select(Article.text)) == REVISED
        revisions = connection.execute(select(Revision.number, Revision.text).order_by(Revision.number)).all()
    assert [text for _, text in revisions] == [OLD_CLEANER, REVISED]
