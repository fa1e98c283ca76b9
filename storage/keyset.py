"""Reading every row of a table for an export, past the rows that cannot be read.

A row whose text is not UTF-8 (SQLite keeps whatever bytes it was given), or whose JSON column is
not JSON, raises while it is fetched, and a cursor that raised gives no more rows: the export
stopped with a traceback at the first bad row, losing every row after it. Rows are read here a
chunk at a time by key (`key > last ORDER BY key LIMIT n`, on the primary key's index); a chunk that
cannot be read is read again one row at a time, and each row that still fails is handed to
`unreadable` with its key and why, and skipped. A database that goes away is no row's fault: its
error is raised, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Row, Select
from sqlalchemy.exc import DBAPIError

from storage.engine import database_away, one_line


@dataclass(frozen=True)
class Unreadable:
    """A row an export could not read or write: its key (`articles.id`, `pages.id`) and why."""

    key: int
    reason: str


Report = Callable[[Unreadable], None]


def about_the_row(error: BaseException) -> bool:
    """Whether `error` is the row's fault (bad bytes, bad JSON), not the database's (gone, busy) nor
    the output's (a full disk, a closed pipe: OSError).

    A decoding error has no driver code, which `database_away` takes for a lost connection; a
    connection SQLAlchemy saw drop is marked invalidated, and a database's own refusals carry a code.
    """
    if isinstance(error, OSError):
        return False
    if not isinstance(error, DBAPIError):
        return True
    if error.connection_invalidated:
        return False
    coded = getattr(error.orig, "sqlite_errorcode", None) is not None or getattr(error.orig, "sqlstate", None)
    return not (coded and database_away(error))


def read_rows(
    connection: Connection, query: Select[Any], key: Column[int], chunk: int, unreadable: Report
) -> Iterator[list[Row[Any]]]:
    """The rows of `query` (which must not be ordered or limited), a chunk at a time in key order;
    those that cannot be read go to `unreadable`. Raises what a database away raises."""
    last: int | None = None
    while True:
        after = query if last is None else query.where(key > last)
        try:
            rows = list(connection.execute(after.order_by(key).limit(chunk)))
            last = getattr(rows[-1], key.name) if rows else None
        except Exception as error:
            if not about_the_row(error):
                raise
            connection.rollback()
            rows, last = _one_by_one(connection, after, key, chunk, unreadable)
        if last is None:
            return
        if rows:
            yield rows


def _one_by_one(
    connection: Connection, after: Select[Any], key: Column[int], chunk: int, unreadable: Report
) -> tuple[list[Row[Any]], int | None]:
    """The chunk's rows read one at a time, those that fail reported; and its last key."""
    keys = list(connection.execute(after.with_only_columns(key).order_by(key).limit(chunk)).scalars())
    rows: list[Row[Any]] = []
    for one in keys:
        try:
            rows += connection.execute(after.where(key == one))
        except Exception as error:
            if not about_the_row(error):
                raise
            connection.rollback()
            unreadable(Unreadable(one, one_line(error)))
    return rows, keys[-1] if keys else None
