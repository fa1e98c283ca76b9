"""Engines for SQLite and PostgreSQL, set up the same way wherever wiredesk opens a database."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

DEFAULT_DB_URL = "sqlite:///wiredesk.db"
DB_ENV = "WIREDESK_DB"
# How long a SQLite statement waits for another process's lock before "database is locked" (the
# store then retries once, then spools the batch). $WIREDESK_SQLITE_BUSY_TIMEOUT, in seconds,
# changes it for the processes it is set in: a test waits out a short one on purpose.
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_BUSY_TIMEOUT_ENV = "WIREDESK_SQLITE_BUSY_TIMEOUT"
# Tries at switching a new SQLite database to WAL while another connection creates it too.
_WAL_ATTEMPTS = 20


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened or reached; the message names it, without its password."""


# Errors that mean "the database cannot be reached now", as opposed to a bug or a bad row.
DB_UNAVAILABLE = (OperationalError, InterfaceError, DatabaseUnavailable)
# SQLite primary result codes that say the database cannot be written now, whatever the row:
# BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL, NOTADB.
_SQLITE_AWAY = frozenset({5, 6, 7, 8, 10, 11, 13, 14, 15, 26})
# PostgreSQL SQLSTATE classes of the same kind: connection exception, transaction rollback
# (deadlock, serialization), insufficient resources (disk full), object not in prerequisite state
# (lock not available, database closed to connections), operator intervention (shutdown,
# terminated backend), system error (I/O).
_PG_AWAY_CLASSES = frozenset({"08", "40", "53", "55", "57", "58"})
# ...and single states: a read-only transaction (a standby, until it is promoted).
_PG_AWAY_STATES = frozenset({"25006"})


def database_away(error: BaseException) -> bool:
    """True when `error` says the database cannot be reached or written now, whatever is written.

    Such a failure is waited out, or the articles go to the spool. Anything else (a value out of
    its column's range, an index entry too large, a constraint, a bug) is about the rows being
    written: those fail alone and the others are stored. Exception types alone cannot tell: psycopg
    raises OperationalError for an index entry too large, SQLite for a locked database; the
    driver's code can (`sqlite_errorcode`, `sqlstate`). An error without a code came from the
    connection itself.
    """
    if isinstance(error, DatabaseUnavailable | PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlite_code = getattr(error.orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_AWAY
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] in _PG_AWAY_CLASSES or sqlstate in _PG_AWAY_STATES
    return isinstance(error, OperationalError | InterfaceError)


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else $WIREDESK_DB, else ./wiredesk.db."""
    return url or os.environ.get(DB_ENV) or DEFAULT_DB_URL


def redact(url: str) -> str:
    """The URL with its password hidden, for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def make_engine(url: str | None = None, *, read_only: bool = False) -> Engine:
    """An engine for `url` with wiredesk's connection settings.

    SQLite gets WAL (readers never block the crawler), foreign keys and a busy timeout; a read-only
    engine opens the file with `mode=ro`, so not even a PRAGMA can write.
    """
    url = database_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise DatabaseUnavailable(
            f"not a database URL: {url!r} (expected e.g. sqlite:///wiredesk.db)"
        ) from error
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed.database or "", read_only=read_only)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("psycopg2", "default"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


# The process's engines, one per database URL, and the URLs whose schema this process brought up to date.
_SHARED: dict[str, Engine] = {}
_MIGRATED: set[str] = set()
_SHARED_LOCK = threading.Lock()


def shared_engine(url: str | None = None, *, migrate: bool = False) -> Engine:
    """The one engine this process uses for `url`, made on first use; `migrate`: checked reachable
    and brought up to date once, however many components ask.

    A crawl's components (the run, the corpus gate, both pipelines, the site memory) each used to
    open an engine of their own, and two of them ran the migrations: one pool per process is what
    SQLite's single writer and a PostgreSQL connection limit want.
    """
    key = database_url(url)
    with _SHARED_LOCK:
        engine = _SHARED.get(key)
        if engine is None:
            engine = _SHARED[key] = make_engine(key)
        if migrate and key not in _MIGRATED:
            from storage.schema import upgrade  # Alembic: only for commands that write

            check_connection(engine)
            upgrade(engine)
            _MIGRATED.add(key)
    return engine


def release_shared_engine(url: str | None = None) -> None:
    """Close the process's engine for `url` (its next use opens and, if asked, migrates anew)."""
    key = database_url(url)
    with _SHARED_LOCK:
        engine = _SHARED.pop(key, None)
        _MIGRATED.discard(key)
    if engine is not None:
        engine.dispose()


def sqlite_busy_timeout_ms() -> int:
    """The busy timeout new SQLite engines get: $WIREDESK_SQLITE_BUSY_TIMEOUT seconds, else 30 s."""
    raw = os.environ.get(SQLITE_BUSY_TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return SQLITE_BUSY_TIMEOUT_MS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise DatabaseUnavailable(f"{SQLITE_BUSY_TIMEOUT_ENV}={raw!r}: expected a number of seconds >= 0")
    return round(seconds * 1000)


def _sqlite_engine(path: str, *, read_only: bool) -> Engine:
    busy_ms = sqlite_busy_timeout_ms()
    if read_only:
        if not path or path == ":memory:" or not Path(path).exists():
            raise DatabaseUnavailable(f"no SQLite database at {path or ':memory:'!r}: run a crawl first")
        engine = create_engine(
            f"sqlite:///file:{Path(path).resolve()}?mode=ro&uri=true",
            connect_args={"timeout": busy_ms / 1000},
        )
    else:
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": busy_ms / 1000})
    event.listen(engine, "connect", _sqlite_on_connect(read_only, busy_ms))
    return engine


def _sqlite_on_connect(read_only: bool, busy_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            _ensure_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    return on_connect


def _ensure_wal(cursor: Any) -> None:
    """Switch a new database to WAL (it then stays so). Two processes creating the same database
    at once can get "database is locked" straight away, without SQLite's busy wait: try again."""
    for attempt in range(_WAL_ATTEMPTS):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == _WAL_ATTEMPTS - 1:
                raise  # a read-only or damaged file does not get better by waiting
            time.sleep(0.05 * (attempt + 1))


def one_line(error: BaseException) -> str:
    """What went wrong, in one line: the driver's own error for a database error, without the SQL."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__


def check_connection(engine: Engine) -> None:
    """Open one connection, turning driver errors into DatabaseUnavailable with a useful message."""
    try:
        with engine.connect():
            pass
    except DBAPIError as error:
        raise DatabaseUnavailable(
            describe_database_error(error, engine.url, "cannot reach {where}: {reason}; set --db or {env}")
        ) from error


# What a driver's message means, and what to do about it: (words in the message, advice).
_ADVICE = (
    (
        ("file is not a database", "disk image is malformed"),
        "{where} is not a SQLite database, or is damaged ({reason}): check --db or {env}, "
        "or restore the file from a backup",
    ),
    (
        ("readonly database", "read-only file system"),
        "cannot write to {where} ({reason}): SQLite needs the file and its directory writable, even to "
        "read a WAL database; fix their permissions, or use another --db",
    ),
    (
        ("unable to open database file",),
        "cannot open {where} ({reason}): check that the file and its directory exist and may be "
        "read (and written, for commands that write)",
    ),
    (
        ("password authentication failed", "no password supplied", "authentication failed", 'role "'),
        "cannot log in to {where} ({reason}): check the user and password in --db or {env}",
    ),
    (("database is locked",), "{where} is locked by another process ({reason}): try again later"),
)


def database_fault(error: BaseException) -> bool:
    """Whether a driver error is about the database itself (damaged, read-only, login refused,
    locked), not about the statement that met it."""
    return any(word in _reason(error) for words, _ in _ADVICE for word in words)


def _reason(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def describe_database_error(
    error: BaseException, url: str | URL | None, default: str = "database error on {where}: {reason}"
) -> str:
    """One line for a database failure: which database (password hidden), what happened, what to do."""
    try:
        parsed = url if isinstance(url, URL) else make_url(database_url(url))
    except ArgumentError:
        parsed = make_url(DEFAULT_DB_URL).set(database="<invalid database URL>")
    reason = _reason(error)
    if parsed.password:
        reason = reason.replace(str(parsed.password), "***")
    where = parsed.render_as_string(hide_password=True)
    template = next((advice for words, advice in _ADVICE if any(w in reason for w in words)), default)
    return template.format(where=where, reason=reason, env=DB_ENV)
