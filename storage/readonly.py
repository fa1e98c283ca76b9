"""Read-only SQL for users (`wiredesk sql`): the database is opened so that no statement can write.

SQLite is opened with `mode=ro` and an authorizer that also refuses ATTACH and writing PRAGMAs;
PostgreSQL runs the query in a READ ONLY transaction with a statement timeout. On top of that, only
one statement of a reading kind is accepted, so the refusal message is clear rather than a driver
error.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from storage.engine import DatabaseUnavailable, check_connection, make_engine

READING_KEYWORDS = ("select", "with", "explain", "values", "table", "show")
STATEMENT_TIMEOUT_MS = 60_000
_LEADING_COMMENTS = re.compile(r"^(\s*(--[^\n]*\n|/\*.*?\*/))*\s*", re.DOTALL)
_DENIED_SQLITE_ACTIONS = {
    sqlite3.SQLITE_ATTACH,
    sqlite3.SQLITE_DETACH,
    sqlite3.SQLITE_INSERT,
    sqlite3.SQLITE_UPDATE,
    sqlite3.SQLITE_DELETE,
    sqlite3.SQLITE_DROP_TABLE,
    sqlite3.SQLITE_CREATE_TABLE,
    sqlite3.SQLITE_ALTER_TABLE,
}

# PRAGMAs that take an argument and only read; any other PRAGMA with an argument may set something.
_READING_PRAGMAS = frozenset(
    {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list", "table_list"}
)


class QueryRefused(ValueError):
    """The statement is not a single read: the message says why."""


class QueryFailed(RuntimeError):
    """The database rejected the query (syntax error, unknown column...): the message is its own."""


@dataclass
class QueryResult:
    """Column names and rows of a read-only query."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def check_read_only(sql: str) -> str:
    """Return the statement without a trailing semicolon, or raise QueryRefused."""
    body = _LEADING_COMMENTS.sub("", sql).strip().rstrip(";").strip()
    if not body:
        raise QueryRefused("empty query")
    if ";" in body:
        raise QueryRefused("one statement at a time: remove the ';' between statements")
    keyword = body.split(None, 1)[0].lower()
    if keyword not in READING_KEYWORDS:
        raise QueryRefused(f"{keyword.upper()} is refused: `wiredesk sql` only reads (SELECT, WITH, EXPLAIN)")
    return body


def run_query(db_url: str | None, sql: str, params: dict[str, Any] | None = None) -> QueryResult:
    """Run one reading statement on a read-only connection."""
    statement = check_read_only(sql)
    with read_only_connection(db_url) as connection:
        try:
            result = connection.execute(text(statement), params or {})
            return QueryResult(list(result.keys()), [tuple(row) for row in result])
        except (OperationalError, ProgrammingError, DBAPIError) as error:
            message = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            if "readonly" in message or "read-only" in message or "not authorized" in message:
                raise QueryRefused(f"refused: {message}") from error
            raise QueryFailed(message) from error


@contextmanager
def read_only_connection(db_url: str | None) -> Iterator[Connection]:
    """A connection that cannot write, whichever the backend."""
    engine = make_engine(db_url, read_only=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _install_authorizer)
    check_connection(engine)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
            yield connection
            connection.rollback()
    finally:
        engine.dispose()


def _install_authorizer(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.set_authorizer(_authorize)


def _authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action in _DENIED_SQLITE_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and arg2 is not None and (arg1 or "").lower() not in _READING_PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


__all__ = ["DatabaseUnavailable", "QueryFailed", "QueryRefused", "QueryResult", "run_query"]
