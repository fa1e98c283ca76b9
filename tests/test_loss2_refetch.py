"""A refetch answered 200 with a wall or a stub instead of the article (storage/revisions.py `withheld`).

A consent wall, a paywall stub (the first paragraph, then "subscribe to read on") or an error page
the cleaner still finds text in, served at a stored article's URL, became the article's current
text: a revision row kept the good text, but the corpus (search, exports, `articles_latest`) now
held the wall. Such a text is kept (raw page and revision, counted as a revision) and the current
text stays; a text the publisher really revised still becomes current.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import FAST, run_wiredesk
from sqlalchemy import Engine, select, text

from cleaner import CleanArticle
from crawler.newsroom import Newsroom, bulk, pages
from storage import Corpus, FetchedPage, Outcome
from storage.models import Article, Page, Revision

URL = "https://wire.example/a/harbour-plan"
T0 = datetime(2026, 12, 2, 9, tzinfo=UTC)
STORY = bulk.bulk_story(11)
FULL = "\n".join(STORY.paragraphs)
CONSENT = (
    "We and our 842 partners store and access information on your device, such as cookies, and process "
    "personal data, such as unique identifiers and standard information sent by a device, for "
    "personalised advertising and content, advertising and content measurement and audience research."
)
# The first paragraph of the article behind a paywall.
STUB = STORY.paragraphs[0]
CONSENT_WALL = (
    "<html><head><title>Before you continue</title></head><body><div class='consent'>"
    f"<h1>We value your privacy</h1><p>{CONSENT}</p><button>Accept all</button>"
    "<button>Reject all</button></div></body></html>"
)


def _page(at: datetime) -> FetchedPage:
    body = f"<html>{at.isoformat()}</html>".encode()
    return FetchedPage(URL, URL, URL, "wire", at, 200, body, content_type="text/html")


def _article(body: str) -> CleanArticle:
    return CleanArticle(text=body, title=STORY.headline)


def _state(engine: Engine) -> tuple[str, list[str], int]:
    """The current text, the revisions' texts in number order, and the raw pages kept."""
    with engine.connect() as connection:
        current = connection.execute(select(Article.text)).scalar_one()
        kept = connection.execute(select(Revision.text).order_by(Revision.number)).scalars().all()
        pages_kept = len(connection.execute(select(Page.id)).all())
        latest = connection.execute(text("SELECT text FROM articles_latest")).scalar_one()
    assert latest == current
    return current, list(kept), pages_kept


@pytest.mark.parametrize("junk", [CONSENT, STUB], ids=["consent-wall", "paywall-stub"])
def test_a_refetch_far_shorter_is_kept_but_not_made_current(engine: Engine, junk: str) -> None:
    corpus = Corpus(engine)
    corpus.store(_page(T0), _article(FULL))
    assert corpus.store(_page(T0 + timedelta(hours=1)), _article(junk)).outcome is Outcome.REVISION
    assert _state(engine) == (FULL, [junk, FULL], 2)
    # The wall again: nothing more to keep. The article back: the same text, fetched again.
    assert corpus.store(_page(T0 + timedelta(hours=2)), _article(junk)).outcome is Outcome.UNCHANGED
    assert corpus.store(_page(T0 + timedelta(hours=3)), _article(FULL)).outcome is Outcome.UNCHANGED
    assert _state(engine) == (FULL, [junk, FULL], 2)


def test_a_text_the_publisher_revised_still_becomes_current(engine: Engine) -> None:
    corpus = Corpus(engine)
    corpus.store(_page(T0), _article(FULL))
    shorter = "\n".join(STORY.paragraphs[:-1])  # a paragraph cut: a revision
    assert corpus.store(_page(T0 + timedelta(hours=1)), _article(shorter)).outcome is Outcome.REVISION
    assert _state(engine) == (shorter, [FULL, shorter], 2)


def test_a_consent_wall_served_at_a_stored_article_does_not_replace_its_text(tmp_path: Path) -> None:
    """End to end: the cleaner finds the wall's paragraph an article; the feed dates the page later."""
    db, sources = tmp_path / "c.db", tmp_path / "sources.toml"
    path = bulk.bulk_path(11)
    with Newsroom() as newsroom:
        portal = newsroom.portal
        page = portal.add(path, pages.publisher_article(STORY, portal.url(path), []))

        def feed(updated: str) -> None:
            entry = f"<entry><title>Harbour</title><link href='{path}'/><updated>{updated}</updated></entry>"
            portal.add(
                "/wall.xml", f"<feed xmlns='http://www.w3.org/2005/Atom'><title>W</title>{entry}</feed>"
            )

        feed("2026-12-02T09:00:00Z")
        sources.write_text(f'[sources.wall]\nstart_urls = ["{portal.url("/wall.xml")}"]\n', "utf-8")
        crawl = ("crawl", "wall", "--sources", str(sources), "--db", f"sqlite:///{db}", *FAST)
        run_wiredesk(*crawl)
        page.body = CONSENT_WALL.encode()
        feed(datetime.now(UTC).isoformat())
        run_wiredesk(*crawl)
    with sqlite3.connect(db, timeout=30) as connection:
        (current,) = connection.execute("SELECT text FROM articles").fetchone()
        kept = connection.execute("SELECT count(*) FROM pages").fetchone()[0]
    assert "partners store and access" not in current and STORY.paragraphs[-1] in current
    assert kept == 2
