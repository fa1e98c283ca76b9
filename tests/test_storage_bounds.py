"""The storage boundary, on SQLite and PostgreSQL: a hostile page is stored within bounds or fails
alone with its reason; a row the database refuses fails alone; only a database away stops a batch."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from cleaner import CleanArticle
from storage import Corpus, FetchedPage, Outcome, make_engine
from storage.bounds import AUTHOR_CHARS, AUTHORS, MAX_URL_BYTES, TITLE_CHARS
from storage.engine import database_away
from storage.failures import failed_attempts
from storage.models import Article, ArticleUrl, ListingState, Page, Story
from storage.repository import StoreInterrupted
from storage.schema import upgrade

T0 = datetime(2024, 12, 5, 12, tzinfo=UTC)
# Scrapy requests URLs of up to 2,083 characters; VARCHAR(2048) refused those over 2,048.
LONG_URL = "https://wire.example/a/" + "long-slug-" * 206
HOSTILE_TITLE = "Harbour \ud800 reopens\x00 after storm " + "very " * 400_000


def story(number: int) -> str:
    return f"Story {number}. " + " ".join(f"w{number}x{i}" for i in range(60))


def page(url: str, **fields: object) -> FetchedPage:
    values: dict[str, object] = {"source": "wire", "fetched_at": T0, "http_status": 200, "body": b"<html/>"}
    return FetchedPage(url, url, url, **{**values, **fields})  # type: ignore[arg-type]



def test_hostile_values_are_stored_within_bounds(engine: Engine) -> None:
    """Each of these failed a whole batch on PostgreSQL (or on both, for the surrogate): now the page
    is stored, the same on both backends."""
    hostile = page(
        LONG_URL,
        content_type="text/html; " + "x" * 2000,
        etag='"' + "e" * 600 + '"',
        last_modified="Thu, 05 Dec 2024 12:00:00 GMT" + " " * 100,
    )
    article = CleanArticle(
        text=story(1) + " \ud83d\ude00 \udc00\x00",
        title=HOSTILE_TITLE,
        authors=["Ann \ud800 Lee", "x" * 1000, *(f"Author {n}" for n in range(40))],
        language="en-GB-x-" + "private" * 5,
        dateline="VALLETTA " * 100,
        agency="AP" * 100,
        published=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
    )
    assert Corpus(engine).store(hostile, article).outcome is Outcome.NEW
    with engine.connect() as connection:
        row = connection.execute(select(Article)).one()
        content_type = connection.scalar(select(Page.content_type))
    assert row.url == LONG_URL and len(LONG_URL) > 2048
    assert row.text == story(1) + " \U0001f600 \ufffd"
    assert row.title.startswith("Harbour \ufffd reopens after storm very") and len(row.title) == TITLE_CHARS
    assert row.authors[0] == "Ann \ufffd Lee" and len(row.authors) == AUTHORS
    assert len(row.authors[1]) == AUTHOR_CHARS
    assert (row.language, row.last_modified, row.published_at) == (None, None, None)
    assert (len(row.etag), len(row.dateline), len(row.agency), len(content_type)) == (602, 300, 100, 1000)


def test_a_page_with_a_url_too_long_to_index_fails_alone_and_is_kept(engine: Engine) -> None:
    too_long = "https://wire.example/a/" + "x" * MAX_URL_BYTES
    items = [(page(f"https://wire.example/a/{n}"), CleanArticle(text=story(n))) for n in range(3)]
    items.insert(1, (page(too_long), CleanArticle(text=story(9))))
    results = Corpus(engine).store_many(items)
    assert [result.outcome for result in results] == [Outcome.NEW, Outcome.FAILED, Outcome.NEW, Outcome.NEW]
    assert results[1].error == f"URL longer than {MAX_URL_BYTES} bytes"
    with engine.connect() as connection:
        failed = connection.execute(select(Page.url, Page.error).where(Page.outcome == "failed")).one()
    assert len(failed.url) == MAX_URL_BYTES and failed.error == results[1].error


def _poison(engine: Engine) -> None:
    """The database itself refuses an article whose title says POISON: a row no bound foresaw.

    On PostgreSQL with SQLSTATE 54000 (program limit exceeded, as for an index entry too large),
    which psycopg raises as an OperationalError, the class that also means "connection lost".
    """
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER poison BEFORE INSERT ON articles WHEN instr(NEW.title, 'POISON') > 0 "
                "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF strpos(NEW.title, 'POISON') > 0 THEN "
                "RAISE EXCEPTION USING ERRCODE = '54000', MESSAGE = 'poisoned row'; END IF; "
                "RETURN NEW; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER poison BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION poison()"
            )


def test_a_row_the_database_refuses_fails_alone_and_is_kept_as_failed(engine: Engine) -> None:
    _poison(engine)
    items = [
        (page(f"https://wire.example/a/{n}"), CleanArticle(text=story(n), title="POISON" if n == 2 else None))
        for n in range(5)
    ]
    results = Corpus(engine).store_many(items)
    assert [result.outcome for result in results] == [Outcome.NEW] * 2 + [Outcome.FAILED] + [Outcome.NEW] * 2
    assert "poisoned row" in (results[2].error or "")
    assert failed_attempts(engine, ["https://wire.example/a/2"]) == {"https://wire.example/a/2": 1}
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Article)) == 4


def test_the_database_away_interrupts_a_batch_but_a_refused_page_is_not_waiting(tmp_path: Path) -> None:
    """Pages not written come back without a result (the pipeline spools them); a page refused for
    what it holds has its failure, so it never enters the spool."""
    corpus = Corpus(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/gone"))
    items = [
        (page("https://wire.example/a/1"), CleanArticle(text=story(1))),
        (page("https://wire.example/a/" + "x" * MAX_URL_BYTES), CleanArticle(text=story(2))),
    ]
    with pytest.raises(StoreInterrupted) as interrupted:
        corpus.store_many(items)
    first, refused = interrupted.value.results
    assert first is None and refused is not None and refused.outcome is Outcome.FAILED


def _error(engine: Engine, statement: str) -> DBAPIError:
    with pytest.raises(DBAPIError) as raised, engine.begin() as connection:
        connection.exec_driver_sql(statement)
    return raised.value


def test_what_counts_as_the_database_away(engine: Engine, tmp_path: Path) -> None:
    """Only errors of the connection or the whole database, never those of a row, whatever their class."""
    assert not database_away(_error(engine, "INSERT INTO stories (id) VALUES (NULL)"))
    _poison(engine)
    poisoned = (
        "INSERT INTO articles (url, source, site, story_id, title, authors, text, text_hash, "
        "revision_count, http_status, first_fetched_at, last_fetched_at) VALUES "
        "('u', 's', 's', 1, 'POISON', '[]', 't', 'h', 1, 200, '2024-01-01', '2024-01-01')"
    )
    assert not database_away(_error(engine, poisoned))
    gone = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/gone")
    assert database_away(_error(gone, "SELECT 1"))


def test_a_locked_sqlite_database_is_away(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    upgrade(make_engine(f"sqlite:///{path}"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    impatient = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.1})
    try:
        assert database_away(_error(impatient, "DELETE FROM stories"))
    finally:
        holder.rollback()
        holder.close()
        impatient.dispose()


def test_listing_validators_too_long_to_be_validators_are_not_kept(engine: Engine) -> None:
    corpus = Corpus(engine)
    validators = {LONG_URL: ('"' + "e" * 2000 + '"', "Thu, 05 Dec 2024 12:00:00 GMT")}
    validators["https://wire.example/" + "x" * MAX_URL_BYTES] = ('"v"', None)
    corpus.save_listing_validators(validators, T0)
    with engine.connect() as connection:
        rows = connection.execute(
            select(ListingState.url, ListingState.etag, ListingState.last_modified)
        ).all()
    assert rows == [(LONG_URL, None, "Thu, 05 Dec 2024 12:00:00 GMT")]


def test_a_canonical_url_naming_another_stored_article_does_not_replace_it(engine: Engine) -> None:
    corpus = Corpus(engine)
    original = corpus.store(page("https://pub.example/news/a"), CleanArticle(text=story(1), title="A"))
    hijack = FetchedPage(
        "https://pub.example/news/b",
        "https://pub.example/news/b",
        "https://pub.example/news/a",
        "pub",
        T0 + timedelta(hours=1),
        200,
        b"<html/>",
    )
    result = corpus.store(hijack, CleanArticle(text=story(2), title="B"))
    assert result.outcome is Outcome.NEW and result.article_id != original.article_id
    again = corpus.store(hijack, CleanArticle(text=story(2), title="B"))
    assert (again.outcome, again.article_id) == (Outcome.UNCHANGED, result.article_id)
    same_text = FetchedPage(
        "https://pub.example/news/c",
        "https://pub.example/news/c",
        "https://pub.example/news/a",
        "pub",
        T0 + timedelta(hours=2),
        200,
        b"<html/>",
    )
    assert corpus.store(same_text, CleanArticle(text=story(1), title="A")).outcome is Outcome.DUPLICATE
    with engine.connect() as connection:
        articles = connection.execute(
            select(Article.url, Article.title, Article.text).order_by(Article.id)
        ).all()
        urls = dict(connection.execute(select(ArticleUrl.url, ArticleUrl.article_id)).all())
    assert articles == [
        ("https://pub.example/news/a", "A", story(1)),
        ("https://pub.example/news/b", "B", story(2)),
    ]
    assert urls["https://pub.example/news/c"] == original.article_id


def test_a_declared_original_on_another_site_is_kept_and_joins_its_story(engine: Engine) -> None:
    corpus = Corpus(engine)
    wire = corpus.store(page("https://wire.example/a/1"), CleanArticle(text=story(1)))
    copy = FetchedPage(
        "https://portal.example/n/1",
        "https://portal.example/n/1",
        "https://portal.example/n/1",
        "portal",
        T0,
        200,
        b"<html/>",
        declared_original="https://wire.example/a/1",
    )
    # Rewritten beyond recognition as a copy, but it names its original: same story.
    result = corpus.store(copy, CleanArticle(text=story(2)))
    assert (result.outcome, result.story_id) == (Outcome.COPY, wire.story_id)
    with engine.connect() as connection:
        declared = select(Article.declared_original).where(Article.site == "portal.example")
        assert connection.scalar(declared) == "https://wire.example/a/1"
        assert connection.scalar(select(func.count()).select_from(Story)) == 1


def test_migration_0003_keeps_the_corpus_and_widens_the_columns(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0002")
    with engine.begin() as connection:  # a corpus of the old schema: no declared_original yet
        connection.execute(text("INSERT INTO stories (title, first_seen_at) VALUES ('S', '2024-12-05')"))
        story_id = connection.scalar(text("SELECT max(id) FROM stories"))
        connection.execute(
            text(
                "INSERT INTO articles (url, source, site, story_id, authors, text, text_hash, "
                "revision_count, http_status, first_fetched_at, last_fetched_at) VALUES "
                "('https://wire.example/a/1', 'wire', 'wire.example', :story, '[]', 'T', 'h', 1, 200, "
                "'2024-12-05 12:00', '2024-12-05 12:00')"
            ),
            {"story": story_id},
        )
    upgrade(engine)
    new = Corpus(engine).store(page(LONG_URL, etag="e" * 600), CleanArticle(text=story(3)))
    assert new.outcome is Outcome.NEW
    with engine.connect() as connection:
        copies = connection.execute(text("SELECT url, story_id FROM story_copies ORDER BY article_id")).all()
    assert copies == [("https://wire.example/a/1", story_id), (LONG_URL, new.story_id)]
    engine.dispose()
