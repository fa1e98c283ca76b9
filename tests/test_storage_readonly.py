"""`wiredesk sql` can read and cannot write, stops in time and streams, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PG_URL, run_wiredesk
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from storage import DatabaseUnavailable, make_engine
from storage.readonly import (
    QueryFailed,
    QueryRefused,
    check_read_only,
    read_only_connection,
    run_query,
    stream_query,
)
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
    with pytest.raises(QueryRefused, match=r"read-only|data-modifying"):
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


# --- statements parsed, not pattern-matched ---------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT 'a;b' AS x", "a;b"),
        ("select/**/'c' AS x", "c"),
        ("SELECT 'd' /* ; DROP TABLE articles */ AS x", "d"),
        ("-- leading; comment\nSELECT 'e' AS x; -- trailing comment", "e"),
        ("SELECT 'it''s; fine' AS x;", "it's; fine"),
        ("SELECT ' :x and pg_read_file(1)' AS x", " :x and pg_read_file(1)"),
        ('SELECT "x" FROM (SELECT \'f\' AS "x") AS t', "f"),
    ],
)
def test_literals_and_comments_are_not_code(corpus_url: str, statement: str, expected: str) -> None:
    assert run_query(corpus_url, statement).rows == [(expected,)]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT $$a; DROP TABLE articles$$ AS x", "a; DROP TABLE articles"),
        ("SELECT $q$it's;$q$ AS x", "it's;"),
        ("SELECT E'back\\'slash;' AS x", "back'slash;"),
        ("SELECT 'g' /* nested /* comment */ ; still comment */ AS x", "g"),
    ],
)
def test_postgresql_literals_are_not_code(pg_url: str, statement: str, expected: str) -> None:
    upgrade(make_engine(pg_url))
    assert run_query(pg_url, statement).rows == [(expected,)]


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("SELECT 'a'; DELETE FROM articles", "one statement"),
        ("SELECT 1 /* unterminated", "never ends"),
        ("SELECT 'unterminated", "never ends"),
        ("SELECT pg_terminate_backend(pg_backend_pid())", "pg_terminate_backend() is refused"),
        ("SELECT pg_catalog.\"pg_read_file\"('/etc/hostname')", "pg_read_file() is refused"),
        ("SELECT pg_reload_conf ( )", "pg_reload_conf() is refused"),
        ("SELECT * FROM pg_ls_dir('.')", "pg_ls_dir() is refused"),
        ("SELECT set_config('role', 'postgres', false)", "set_config() is refused"),
        ("SELECT query_to_xml('select pg_reload_conf()', true, true, '')", "query_to_xml() is refused"),
        ("SELECT pg_advisory_lock(1)", "pg_advisory_lock() is refused"),
        ("SELECT lo_import('/etc/hostname')", "lo_import() is refused"),
        ("SELECT load_extension('x')", "load_extension() is refused"),
        ('SELECT U&"\\0070g_reload_conf"()', "U&"),
    ],
)
def test_side_effect_functions_are_refused(corpus_url: str, statement: str, message: str) -> None:
    with pytest.raises(QueryRefused, match=re.escape(message)):
        run_query(corpus_url, statement)


def test_sqlite_authorizer_refuses_side_effect_functions_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(make_engine(url))
    with read_only_connection(url) as connection, pytest.raises(DBAPIError, match="not authorized"):
        connection.exec_driver_sql("SELECT load_extension('x')")


# --- time limit, row cap, streaming ------------------------------------------------------------------

ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "


def test_a_query_past_its_time_limit_is_stopped(corpus_url: str) -> None:
    """SQLite by its progress handler, PostgreSQL by statement_timeout."""
    with pytest.raises(QueryFailed, match=r"time limit of 0\.5 s reached"):
        run_query(corpus_url, ENDLESS + "SELECT count(*) FROM c", time_limit=0.5)


def test_rows_are_streamed_and_capped(corpus_url: str) -> None:
    """An endless result: only streaming returns at all, with the first rows and `truncated`."""
    result = run_query(corpus_url, ENDLESS + "SELECT x FROM c", max_rows=100, time_limit=60)
    assert result.rows == [(n,) for n in range(1, 101)] and result.truncated
    assert not run_query(corpus_url, "SELECT 1", max_rows=1).truncated


def test_fetching_counts_against_the_time_limit(corpus_url: str) -> None:
    with (
        pytest.raises(QueryFailed, match="time limit"),
        stream_query(corpus_url, ENDLESS + "SELECT x FROM c", max_rows=10**12, time_limit=0.5) as rows,
    ):
        for _ in rows:
            pass


# --- the read-only role ------------------------------------------------------------------------------


@pytest.fixture
def reader_url(pg_url: str) -> Iterator[str]:
    """A role made by `wiredesk db create-readonly-role`, and its URL; dropped after the test."""
    upgrade(make_engine(pg_url))
    name = f"wd_reader_{uuid.uuid4().hex[:10]}"
    result = run_wiredesk("db", "create-readonly-role", "--db", pg_url, "--name", name, "--password", "pw")
    url = result.stdout.strip()
    assert url.startswith("postgresql+psycopg://") and f"{name}:pw@" in url and "search_path" in url
    yield url
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP OWNED BY {name}"))
        connection.execute(text(f"DROP ROLE {name}"))
    admin.dispose()


# Roles and grants live in the server's shared catalogs: two tests granting or dropping at once may
# update one catalog row together ("tuple concurrently updated"), so these run in one process.
ROLE_TESTS = pytest.mark.xdist_group("read_only_role")


@ROLE_TESTS
def test_the_read_only_role_reads_the_corpus(reader_url: str, pg_url: str) -> None:
    run_query(pg_url, "SELECT 1")
    assert run_query(reader_url, "SELECT count(*) FROM articles").rows == [(0,)]
    assert run_query(reader_url, "SELECT count(*) FROM story_copies").rows == [(0,)]
    env = {**os.environ, "WIREDESK_SQL_DB": reader_url, "WIREDESK_DB": "sqlite:////nonexistent/x.db"}
    result = run_wiredesk("sql", "SELECT current_user AS who", "--format", "json", env=env)
    assert json.loads(result.stdout)[0]["who"].startswith("wd_reader_")


@ROLE_TESTS
@pytest.mark.parametrize(
    "statements",
    [
        ["SELECT pg_read_file('/etc/hostname')"],
        ["SELECT pg_reload_conf()"],
        ["SELECT pg_terminate_backend({victim})"],
        ["CREATE TABLE mine (x int)"],
        ["SET default_transaction_read_only = off", "COMMIT", "CREATE TABLE mine (x int)"],
    ],
)
def test_the_read_only_role_is_the_real_guard(reader_url: str, statements: list[str]) -> None:
    """Beneath the deny list: the role itself cannot do these, even outside the READ ONLY transaction."""
    admin = create_engine(PG_URL)
    with admin.connect() as victim, read_only_connection(reader_url) as connection:
        pid = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
        connection.exec_driver_sql("COMMIT")
        *before, last = [statement.format(victim=pid) for statement in statements]
        for statement in before:
            connection.exec_driver_sql(statement)
        with pytest.raises(DBAPIError) as refused:
            connection.exec_driver_sql(last)
        # insufficient_privilege, or read_only_sql_transaction
        assert refused.value.orig.sqlstate in ("42501", "25006"), refused.value.orig
        assert victim.execute(text("SELECT 1")).scalar_one() == 1
    admin.dispose()


def test_create_readonly_role_refuses_sqlite(tmp_path: Path) -> None:
    result = run_wiredesk("db", "create-readonly-role", "--db", f"sqlite:///{tmp_path / 'c.db'}", check=False)
    assert result.returncode == 1 and "for PostgreSQL" in result.stderr


def test_cli_streams_and_says_when_it_truncated(corpus_url: str) -> None:
    result = run_wiredesk(
        "sql", ENDLESS + "SELECT x FROM c", "--db", corpus_url, "--format", "csv", "--max-rows", "3"
    )
    assert result.stdout.split() == ["x", "1", "2", "3"]
    assert "truncated at 3 rows" in result.stderr
    result = run_wiredesk(
        "sql", ENDLESS + "SELECT x FROM c", "--db", corpus_url, "--format", "json", "--max-rows", "2"
    )
    assert json.loads(result.stdout) == [{"x": 1}, {"x": 2}]
    slow = run_wiredesk(
        "sql", ENDLESS + "SELECT max(x) FROM c", "--db", corpus_url, "--time-limit", "0.5", check=False
    )
    assert (
        slow.returncode == 1
        and "time limit of 0.5 s reached" in slow.stderr
        and "Traceback" not in slow.stderr
    )
