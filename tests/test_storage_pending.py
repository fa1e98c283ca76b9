"""storage/pending.py on both backends: what is kept, counted, asked for again and given up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select

from storage import note_done, note_failed, note_listed, take_due
from storage.models import Article, ArticleUrl, PendingArticle, Story
from storage.pending import MAX_DAYS

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _store(engine: Engine, url: str) -> None:
    """An article stored under `url`, as far as the pending table cares: an article_urls row."""
    with engine.begin() as connection:
        story = connection.execute(insert(Story).values(first_seen_at=NOW).returning(Story.id)).scalar_one()
        article = connection.execute(
            insert(Article)
            .values(
                url=url,
                source="s",
                site="example.com",
                story_id=story,
                text="t",
                text_hash="h",
                http_status=200,
                first_fetched_at=NOW,
                last_fetched_at=NOW,
                authors=[],
            )
            .returning(Article.id)
        ).scalar_one()
        connection.execute(insert(ArticleUrl).values(url=url, article_id=article, first_seen_at=NOW))


def _rows(engine: Engine) -> dict[str, tuple[int, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(select(PendingArticle.url, PendingArticle.tries, PendingArticle.last_error))
        return {url: (tries, error) for url, tries, error in rows}


def test_listed_urls_not_stored_are_kept_until_done(engine: Engine) -> None:
    _store(engine, "http://example.com/stored")
    note_listed(
        engine, "s", ["http://example.com/a", "http://example.com/b", "http://example.com/stored"], NOW
    )
    note_listed(engine, "s", ["http://example.com/a"], NOW + timedelta(hours=1))  # listed again: one row
    assert set(_rows(engine)) == {"http://example.com/a", "http://example.com/b"}
    note_failed(
        engine, [("s", "http://example.com/a", "http-503"), ("s", "http://example.com/x", "dns")], NOW
    )
    assert _rows(engine)["http://example.com/a"] == (1, "http-503")
    note_done(engine, [("s", "http://example.com/b")])
    assert list(take_due(engine, "s", 5, NOW).urls) == ["http://example.com/a"]
    assert not take_due(engine, "other", 5, NOW).urls


def test_stored_meanwhile_is_forgotten_and_old_or_failing_given_up(engine: Engine) -> None:
    urls = [f"http://example.com/{name}" for name in ("due", "stored", "failing", "old")]
    note_listed(engine, "s", urls[:3], NOW)
    note_listed(engine, "s", urls[3:], NOW - timedelta(days=MAX_DAYS + 1))
    note_failed(engine, [("s", urls[2], "timeout")] * 3, NOW)
    _store(engine, urls[1])
    due = take_due(engine, "s", 3, NOW)
    assert (list(due.urls), due.given_up) == ([urls[0]], 2)
    assert set(_rows(engine)) == {urls[0]}
