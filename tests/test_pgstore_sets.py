"""A PostgreSQL batch is written in sets: its SQL does not grow with it, and its COPYs fail as
statements do.

A batch's new rows go by COPY and its other writes by statements over arrays
(storage/copyrows.py), so a batch of 12 articles sends the server the same SQL as a batch of 5:
psycopg and the server parse each statement once, whatever the batch. An error in a COPY is raised
as SQLAlchemy raises a statement's (the store's retries and `database_away` read those).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, Table, event, select
from sqlalchemy.exc import IntegrityError

from cleaner import CleanArticle
from storage import Corpus, FetchedPage, Outcome, make_engine
from storage.copyrows import copy_rows
from storage.engine import database_away
from storage.models import Article, ArticleUrl, Page, Revision, Story
from storage.schema import upgrade

T0 = datetime(2024, 12, 5, 12, tzinfo=UTC)


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _items(first: int, count: int) -> list[tuple[FetchedPage, CleanArticle]]:
    """`count` unrelated new articles (random words: no two share a story)."""
    items = []
    for number in range(first, first + count):
        rng = random.Random(number)
        body = "\n".join(" ".join(f"word{rng.randrange(50_000)}" for _ in range(40)) + "." for _ in range(4))
        url = f"https://site{number % 3}.example/story/{number}"
        page = FetchedPage(url, url, url, "bench", T0 + timedelta(minutes=number), 200, body.encode())
        items.append((page, CleanArticle(text=body, title=f"Story {number}", published=T0)))
    return items


def _statements(engine: Engine, items: list[tuple[FetchedPage, CleanArticle]]) -> set[str]:
    """The SQL texts sent while storing `items` as one batch."""
    sent: set[str] = set()

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.add(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        results = Corpus(engine).store_many(items)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [result.outcome for result in results] == [Outcome.NEW] * len(items)
    return sent


def test_a_batch_sends_the_same_sql_whatever_its_size(engine: Engine) -> None:
    small = _statements(engine, _items(0, 5))
    large = _statements(engine, _items(100, 12))
    assert small == large
    assert not any("VALUES" in statement for statement in large)


def test_a_failed_copy_is_raised_as_the_statement_error(engine: Engine) -> None:
    row = {"id": 1, "title": "t", "first_seen_at": T0, "first_published_at": None}
    with engine.begin() as connection:
        copy_rows(connection, Story.__table__, [row])
    with pytest.raises(IntegrityError) as raised, engine.begin() as connection:
        copy_rows(connection, Story.__table__, [row])
    assert not database_away(raised.value)


def _rows(url: str, table: Table) -> list[tuple[object, ...]]:
    """The table's rows, but for ids (sequences differ by backend), in a stable order."""
    engine = make_engine(url)
    columns = [column for column in table.c if not column.name.endswith("id")]
    with engine.connect() as connection:
        found = sorted(connection.execute(select(*columns)).all(), key=repr)
    engine.dispose()
    return found


def test_copied_rows_read_back_as_sqlite_stores_them(pg_url: str, sqlite_url: str) -> None:
    """COPY binds values as SQLAlchemy does: JSON lists and an absent free_access, naive fetch
    times taken as UTC, bytes, booleans read back the same from both backends."""
    naive = datetime(2024, 12, 5, 12, 30)
    page = FetchedPage(
        "https://a.example/n/1",
        "https://a.example/n/1",
        "https://a.example/n/1",
        "a",
        naive,
        200,
        b"<html>\x00\xff</html>",
        "text/html",
        '"etag"',
        "Thu, 05 Dec 2024 12:00:00 GMT",
    )
    article = CleanArticle(
        text="First line of the story.\nSecond line, with a tab\there and a backslash \\ too.",
        title="Tab\tand\nnewline",
        authors=["Jane Doe", "Kim Lee"],
        published=naive - timedelta(hours=1),
        language="en",
        language_detected=True,
        images=[{"url": "https://a.example/i.jpg", "caption": None}],
        keywords=["treaty"],
    )
    for url in (pg_url, sqlite_url):
        engine = make_engine(url)
        upgrade(engine)
        assert Corpus(engine).store_many([(page, article), *_items(0, 3)])[0].outcome is Outcome.NEW
        engine.dispose()
    for table in (
        Article.__table__,
        Story.__table__,
        Page.__table__,
        Revision.__table__,
        ArticleUrl.__table__,
    ):
        assert _rows(pg_url, table) == _rows(sqlite_url, table), table.name
