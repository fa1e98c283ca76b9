"""`wiredesk sql` can read and cannot write, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from storage import DatabaseUnavailable, make_engine
from storage.readonly import QueryFailed, QueryRefused, check_read_only, read_only_connection, run_query
from storage.schema import upgrade


@pytest.fixture
def corpus_url(db_url: str) -> str:
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    return db_url


def test_select_with_parameters(corpus_url: str) -> None:
    result = run_query(corpus_url, "SELECT count(*) AS n FROM articles WHERE source = :s", {"s": "x"})
    assert result.columns == ["n"] and result.rows == [(0,)]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO stories (first_seen_at) VALUES ('2024-01-01')",
        "UPDATE articles SET title = 'x'",
        "DELETE FROM articles",
        "DROP TABLE articles",
        "CREATE TABLE t (x int)",
        "ATTACH DATABASE '/tmp/evil.db' AS evil",
        "PRAGMA journal_mode = DELETE",
        "SELECT 1; DROP TABLE articles",
        "COPY articles TO PROGRAM 'touch /tmp/pwned'",
        "  -- a comment\n  delete from articles",
    ],
)
def test_writes_are_refused(corpus_url: str, statement: str) -> None:
    with pytest.raises(QueryRefused):
        run_query(corpus_url, statement)
    assert run_query(corpus_url, "SELECT count(*) FROM stories").rows == [(0,)]


def test_a_write_hidden_in_a_cte_is_refused_by_postgresql(pg_url: str) -> None:
    upgrade(make_engine(pg_url))
    with pytest.raises(QueryRefused, match="read-only"):
        run_query(pg_url, "WITH d AS (DELETE FROM articles RETURNING id) SELECT count(*) FROM d")


@pytest.mark.parametrize(
    "statement", ["ATTACH DATABASE ':memory:' AS other", "PRAGMA foreign_keys = OFF", "DELETE FROM articles"]
)
def test_sqlite_connection_itself_refuses_writes(tmp_path: Path, statement: str) -> None:
    """Below the keyword check: the connection's authorizer and mode=ro refuse on their own."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(make_engine(url))
    with read_only_connection(url) as connection, pytest.raises(DBAPIError):
        connection.exec_driver_sql(statement)


def test_errors_are_messages(corpus_url: str, tmp_path: Path) -> None:
    with pytest.raises(QueryFailed, match=r"nosuchtable|no such table|does not exist"):
        run_query(corpus_url, "SELECT * FROM nosuchtable")
    with pytest.raises(DatabaseUnavailable, match="run a crawl first"):
        run_query(f"sqlite:///{tmp_path / 'missing.db'}", "SELECT 1")
    with pytest.raises(QueryRefused, match="empty"):
        check_read_only(" ; ")
