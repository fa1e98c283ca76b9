"""A batch's new rows written by COPY on PostgreSQL: one statement per table, the same SQL each time.

A multi-row `INSERT ... VALUES` of a batch's 50 articles is new SQL whenever the row count changes
and has some 1,300 parameters: psycopg parses such a statement in Python every time (it caches only
short ones), and the server parses and plans it every time. That was about a fifth of what a batch
cost the writer. COPY sends the rows as data (psycopg formats them in C) and the server inserts
them page by page. Only rows whose ids are known beforehand go this way (no RETURNING): the batch
takes its ids from the sequences first (storage/rows.py, `reserve_ids`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from operator import itemgetter
from typing import Any

import psycopg
from sqlalchemy import JSON, Connection, Executable, Table

from storage.types import UTCDateTime

_Convert = Callable[[Any], Any]
_Bind = tuple[str, Any, _Convert]


def copy_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys, every column a value) into `table` by COPY, in the
    transaction's own connection; bound as SQLAlchemy would bind them (JSON text, datetimes in UTC)."""
    if not rows:
        return
    columns = tuple(rows[0])
    converts = _converters(table, columns, connection.dialect)
    values_of = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    with copy_in(connection, f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            values = list(values_of(row))
            for at, convert in converts:
                values[at] = convert(values[at])
            copy.write_row(values)


@contextmanager
def copy_in(connection: Connection, statement: str) -> Iterator[psycopg.Copy]:
    """A `COPY ... FROM STDIN` in the transaction's own connection. The driver's errors are raised as
    SQLAlchemy raises those of any statement (IntegrityError, OperationalError, a lost connection
    invalidated), which is what the store's retries and `database_away` look at."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor, cursor.copy(statement) as copy:
            yield copy
    except psycopg.Error as error:
        connection._handle_dbapi_exception(error, statement, None, cursor, None)  # raises, wrapped


@cache
def _converters(table: Table, columns: tuple[str, ...], dialect: Any) -> list[tuple[int, _Convert]]:
    """The columns whose Python value is not the value COPY takes (by position), and what turns it
    into that value; the others are passed as they are (no call per value)."""
    found: list[tuple[int, _Convert]] = []
    for at, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, JSON):
            found.append((at, json.dumps))  # None too: SQLAlchemy's JSON stores it as JSON null
        elif isinstance(kind, UTCDateTime):
            found.append((at, lambda value, _type=kind: _type.process_bind_param(value, dialect)))
    return found


def execute_many(connection: Connection, statement: Executable, rows: list[dict[str, Any]]) -> None:
    """SQLite: run `statement` once per row (dicts with the same keys) through the driver's own
    executemany, each value bound as SQLAlchemy binds it (its type's bind processor), the fixed
    values of the statement and the columns' fixed defaults as compiled. SQLAlchemy's executemany
    builds a parameter dict per row in Python: for a batch's 3,700 band rows and its site memory's
    lines, most of what they cost."""
    if not rows:
        return
    sql, binds = _compiled(statement, tuple(rows[0]), connection.dialect)
    values = [tuple(process(row.get(name, fixed)) for name, fixed, process in binds) for row in rows]
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, values)
    except connection.dialect.loaded_dbapi.Error as error:
        connection._handle_dbapi_exception(error, sql, values, cursor, None)  # raises, wrapped
    finally:
        cursor.close()


@cache
def _compiled(statement: Executable, keys: tuple[str, ...], dialect: Any) -> tuple[str, list[_Bind]]:
    """The statement's SQL with positional parameters, and per parameter: its row key, its fixed
    value, and its bind processor (the identity when its type has none)."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    assert compiled.positiontup is not None, "a positional paramstyle (SQLite's qmark)"
    defaults = {column.key: column.default for column in compiled.insert_prefetch}
    binds = []
    for name in compiled.positiontup:
        bind, default = compiled.binds[name], defaults.get(name)
        assert default is None or default.is_scalar, f"{name}: only a fixed default is filled in here"
        process = bind.type._cached_bind_processor(dialect) or _same
        binds.append((name, bind.value if default is None else default.arg, process))
    return compiled.string, binds


def _same(value: Any) -> Any:
    return value
