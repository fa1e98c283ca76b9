"""Site memory, the storage half, on SQLite and PostgreSQL: learnt in the store transaction, counted
per story (never per copy), bounded per site, and safe with concurrent writers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from cleaner import CleanArticle, RemovedBlock, furniture_key
from crawler.newsroom.bulk import bulk_story
from storage import Corpus, FetchedPage, make_engine, sitememory
from storage.models import SiteLine
from storage.sitememory import FURNITURE_STORIES, Sighting, SiteMemory, learn, registered_site

UI_LINE = "Tap the little bell to hear tomorrow's bulletin first."
T0 = datetime(2024, 12, 5, 12, tzinfo=UTC)



def story_text(number: int, extra: str = UI_LINE) -> str:
    """A text of its own (bulk_story's paragraphs differ per number) with the site's UI line."""
    paragraphs = list(bulk_story(number).paragraphs)
    return "\n".join([*paragraphs[:2], extra, *paragraphs[2:]])


def page(url: str, at: datetime = T0) -> FetchedPage:
    return FetchedPage(
        url=url,
        final_url=url,
        canonical_url=url,
        source="memo",
        fetched_at=at,
        http_status=200,
        body=b"<html></html>",
        content_type="text/html",
    )


def article(text: str) -> CleanArticle:
    return CleanArticle(text=text, title="A title", published=T0)


def test_site_is_the_registered_domain() -> None:
    assert registered_site("https://news.example.co.uk/a/b") == "example.co.uk"
    assert registered_site("https://www.example.com/a") == "example.com"
    assert registered_site("http://127.0.0.7:8080/a") == "127.0.0.7"


def test_a_line_on_enough_different_stories_is_furniture(engine: Engine) -> None:
    corpus = Corpus(engine)
    memory = SiteMemory(engine)
    for number in range(FURNITURE_STORIES):
        assert furniture_key(UI_LINE) not in memory.furniture("example.com")
        corpus.store(page(f"https://news.example.com/story/{number}"), article(story_text(number)))
    # Learnt under the registered domain, whichever subdomain stored it; a story's lines are not.
    furniture = memory.furniture("example.com")
    assert furniture == {furniture_key(UI_LINE)}
    assert memory.furniture("other.org") == frozenset()


def test_copies_of_one_story_never_teach_its_lines(engine: Engine) -> None:
    """Near copies of one text (edits, other URLs) are one story: their shared lines are not furniture."""
    corpus = Corpus(engine)
    base = story_text(7)
    for copy in range(FURNITURE_STORIES + 2):
        results = corpus.store(
            page(f"https://example.com/story/7-v{copy}", T0 + timedelta(minutes=copy)),
            article(base + f"\nUpdated at {copy} past the hour with the mayor's reply to the council."),
        )
    assert results.story_id is not None
    assert SiteMemory(engine).furniture("example.com") == frozenset()


def test_lines_the_memory_removed_still_count_as_seen(engine: Engine) -> None:
    """Furniture the cleaner took out stays fresh: the text no longer holds it, `removed` does."""
    corpus = Corpus(engine)
    for number in range(FURNITURE_STORIES):
        text = story_text(number, extra="")
        cleaned = CleanArticle(
            text=text.replace("\n\n", "\n"), title="t", removed=[RemovedBlock(UI_LINE, "site-memory")]
        )
        corpus.store(page(f"https://example.com/s/{number}"), cleaned)
    assert furniture_key(UI_LINE) in SiteMemory(engine).furniture("example.com")


def test_each_site_keeps_only_its_most_recent_lines(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitememory, "MAX_LINES_PER_SITE", 10)
    with engine.begin() as connection:
        for minute in range(25):
            seen_at = T0 + timedelta(minutes=minute)
            learn(
                connection,
                [Sighting("example.com", minute, frozenset({f"line {minute}", "standing"}), seen_at)],
            )
        learn(connection, [Sighting("other.org", 1, frozenset({f"x {n}" for n in range(5)}), T0)])
    with engine.connect() as connection:
        keys = set(connection.scalars(select(SiteLine.key).where(SiteLine.site == "example.com")))
        others = connection.scalar(select(func.count()).where(SiteLine.site == "other.org"))
    assert len(keys) <= 10 and "standing" in keys and "line 24" in keys and "line 0" not in keys
    assert others == 5  # one site's pruning leaves another's lines alone


def test_concurrent_writers_count_each_story_once(engine: Engine) -> None:
    """Threads, each its own transaction, see one key on overlapping stories: none lost, none twice."""
    stories = [story % 4 for story in range(24)]

    def see(story: int) -> None:
        with engine.begin() as connection:
            learn(connection, [Sighting("example.com", story, frozenset({"shared", f"own {story}"}), T0)])

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(see, stories))
    with engine.connect() as connection:
        row = connection.execute(select(SiteLine).where(SiteLine.key == "shared")).one()
    ids = row.story_ids.split(",")
    assert row.stories == len(ids) == len(set(ids)) == FURNITURE_STORIES
    assert SiteMemory(engine).furniture("example.com") == {"shared"}


def test_concurrent_store_batches_learn_the_furniture(engine: Engine) -> None:
    """Whole store transactions from threads (one engine each, as crawl workers would be)."""
    url = engine.url.render_as_string(hide_password=False)

    def store(worker: int) -> None:
        own = make_engine(url)
        try:
            batch = [
                (
                    page(f"https://example.com/w{worker}/{number}"),
                    article(story_text(100 + worker * 10 + number)),
                )
                for number in range(3)
            ]
            Corpus(own).store_many(batch)
        finally:
            own.dispose()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(store, range(4)))
    assert SiteMemory(engine).furniture("example.com") == {furniture_key(UI_LINE)}
