"""Read-only SQL for users (`wiredesk sql`): the database is opened so that no statement can write,
no query runs for ever, and no result fills the client's memory.

- SQLite is opened with `mode=ro` and an authorizer that also refuses ATTACH, writing PRAGMAs and
  side-effect functions (load_extension...); a progress handler stops a query at its time limit.
- PostgreSQL runs the query in a READ ONLY transaction with a statement timeout, through a
  server-side cursor. The real guard there is a role that can only read (`wiredesk db
  create-readonly-role`): a superuser's read-only transaction may still call
  pg_terminate_backend or pg_read_file, so those are refused by name too (DENIED_FUNCTIONS).
- Before any of that, the text is tokenized (storage/sqltext.py): one statement of a reading kind,
  no denied function, or a clear refusal rather than a driver error.
- Rows are streamed, at most `max_rows` of them (the result says when it was truncated), and the
  time limit holds for the whole result, fetching included.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from storage.engine import DatabaseUnavailable, check_connection, database_fault, database_url, make_engine
from storage.sqltext import SqlSyntaxError, Token, called_functions, escape_colons, statements, tokenize

# The URL `wiredesk sql` uses before WIREDESK_DB: the read-only role's (create_readonly_role).
SQL_DB_ENV = "WIREDESK_SQL_DB"
READING_KEYWORDS = ("select", "with", "explain", "values", "table", "show")
TIME_LIMIT_SECONDS = 60.0
MAX_ROWS = 10_000
# Rows fetched from a PostgreSQL server-side cursor at a time...
_FETCH_ROWS = 500
# ...for the statements a cursor can run (not SHOW or EXPLAIN, whose few rows come at once).
_CURSOR_KEYWORDS = frozenset({"select", "with", "values", "table"})
# SQLite calls the time-limit check every this many virtual-machine instructions.
_PROGRESS_STEPS = 10_000
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

# Functions with effects beyond reading the corpus: signalling sessions, the server's files, WAL and
# replication, settings (set_config can change the role), locks, and SQL run from a string, which
# no check of the text can see. A read-only role cannot call most of them anyway.
DENIED_FUNCTIONS = frozenset(
    {
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_promote",
        "pg_log_backend_memory_contexts",
        "pg_stat_file",
        "pg_switch_wal",
        "pg_backup_start",
        "pg_backup_stop",
        "pg_start_backup",
        "pg_stop_backup",
        "pg_notify",
        "pg_import_system_collations",
        "set_config",
        "query_to_xml",
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "cursor_to_xml",
        "cursor_to_xmlschema",
        "ts_stat",
        "ts_rewrite",
        "load_extension",
        "fts3_tokenizer",
        "readfile",
        "writefile",
        "edit",
    }
)
DENIED_FUNCTION_PREFIXES = (
    "pg_read_",
    "pg_ls_",
    "pg_file_",
    "lo_",
    "dblink",
    "pg_advisory_",
    "pg_try_advisory_",
    "pg_create_",
    "pg_drop_",
    "pg_copy_",
    "pg_replication_",
    "pg_logical_",
    "pg_wal_replay_",
)


class QueryRefused(ValueError):
    """The statement is not a single read: the message says why."""


class QueryFailed(RuntimeError):
    """The database rejected the query (syntax error, unknown column, time limit): its own message."""


@dataclass
class QueryResult:
    """Column names and rows of a read-only query; `truncated` when there were more than were kept."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False


def check_read_only(sql: str, dialect: str = "sqlite") -> str:
    """The statement to run (colons of literals escaped for text()), or QueryRefused saying why not."""
    return _checked(sql, dialect)[0]


def _checked(sql: str, dialect: str) -> tuple[str, str]:
    """The statement to run and its first keyword."""
    try:
        tokens = tokenize(sql, dialect)
    except SqlSyntaxError as error:
        raise QueryRefused(str(error)) from error
    found = statements(tokens)
    if not found:
        raise QueryRefused("empty query")
    if len(found) > 1:
        raise QueryRefused("one statement at a time: remove the ';' between statements")
    statement = found[0]
    keyword = statement[0].identifier or statement[0].text
    if statement[0].kind != "word" or keyword not in READING_KEYWORDS:
        raise QueryRefused(f"{keyword.upper()} is refused: `wiredesk sql` only reads (SELECT, WITH, EXPLAIN)")
    denied = [name for name in called_functions(statement) if is_denied_function(name)]
    if denied:
        raise QueryRefused(f"{denied[0]}() is refused: `wiredesk sql` only reads the corpus")
    if _unicode_escaped_name(statement):
        raise QueryRefused('U&"..." names are refused: spell the name out')
    end = next((t.start for t in tokens if t.kind == "symbol" and t.text == ";"), len(sql))
    return escape_colons(sql[:end], [t for t in tokens if t.end <= end]), keyword


def is_denied_function(name: str) -> bool:
    """A function `wiredesk sql` refuses to call (see DENIED_FUNCTIONS)."""
    return name in DENIED_FUNCTIONS or name.startswith(DENIED_FUNCTION_PREFIXES)


def _unicode_escaped_name(tokens: list[Token]) -> bool:
    """PostgreSQL's U&"\\0070g_read_file": a name no deny list can read."""
    return any(
        a.identifier == "u" and b.text == "&" and a.end == b.start and c.start == b.end and c.kind == "name"
        for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)
    )


def run_query(
    db_url: str | None,
    sql: str,
    params: dict[str, Any] | None = None,
    max_rows: int = MAX_ROWS,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> QueryResult:
    """Run one reading statement on a read-only connection; at most `max_rows` rows, kept in memory."""
    with stream_query(db_url, sql, params, max_rows=max_rows, time_limit=time_limit) as stream:
        rows = list(stream)
    return QueryResult(stream.columns, rows, stream.truncated)


class RowStream:
    """The rows of a running query, fetched as they are read; `truncated` once past `max_rows`."""

    def __init__(self, result: CursorResult[Any], max_rows: int, time_limit: float, ends_at: float) -> None:
        self.columns = list(result.keys())
        self.truncated = False
        self._result = result
        self._max_rows = max_rows
        self._time_limit = time_limit
        self._ends_at = ends_at

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        with _query_errors(self._time_limit):
            for count, row in enumerate(self._result):
                if count == self._max_rows:
                    self.truncated = True
                    return
                if self._time_limit and time.monotonic() > self._ends_at:
                    raise QueryFailed(_time_limit_message(self._time_limit))
                yield tuple(row)


@contextmanager
def stream_query(
    db_url: str | None,
    sql: str,
    params: dict[str, Any] | None = None,
    *,
    max_rows: int = MAX_ROWS,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> Iterator[RowStream]:
    """Run one reading statement and yield its rows as a stream, within `time_limit` seconds in all."""
    dialect = _dialect(db_url)
    statement, keyword = _checked(sql, dialect)
    with read_only_connection(db_url, time_limit) as connection:
        ends_at = time.monotonic() + time_limit
        with _query_errors(time_limit):
            if dialect == "postgresql" and keyword in _CURSOR_KEYWORDS:
                connection = connection.execution_options(stream_results=True, max_row_buffer=_FETCH_ROWS)
            result = connection.execute(text(statement), params or {})
        yield RowStream(result, max_rows, time_limit, ends_at)


@contextmanager
def _query_errors(time_limit: float) -> Iterator[None]:
    """Driver errors as QueryRefused (a write the database refused) or QueryFailed (the rest)."""
    try:
        yield
    except DBAPIError as error:
        if database_fault(error):
            raise  # the database, not the query: its caller says what to do (describe_database_error)
        message = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        if any(sign in message for sign in ("readonly", "read-only", "not authorized", "data-modifying")):
            raise QueryRefused(f"refused: {message}") from error
        # SQLite's progress handler interrupts; PostgreSQL's statement_timeout cancels.
        if message == "interrupted" or "statement timeout" in message:
            raise QueryFailed(_time_limit_message(time_limit)) from error
        raise QueryFailed(message) from error


def _time_limit_message(limit: float) -> str:
    return f"time limit of {limit:g} s reached: narrow the query, or raise --time-limit"


def _dialect(db_url: str | None) -> str:
    try:
        return make_url(database_url(db_url)).get_backend_name()
    except ArgumentError:  # make_engine then says what is wrong with the URL
        return "sqlite"


@contextmanager
def read_only_connection(db_url: str | None, time_limit: float = TIME_LIMIT_SECONDS) -> Iterator[Connection]:
    """A connection that cannot write, whichever the backend; its statements end after `time_limit` s."""
    engine = make_engine(db_url, read_only=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _install_authorizer)
    check_connection(engine)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(time_limit * 1000)}")
            else:
                _limit_sqlite(connection, time_limit)
            yield connection
            connection.rollback()
    finally:
        engine.dispose()


def _limit_sqlite(connection: Connection, time_limit: float) -> None:
    """Interrupt any statement of this connection still running `time_limit` seconds from now."""
    if not time_limit:
        return
    ends_at = time.monotonic() + time_limit
    raw = connection.connection.dbapi_connection
    raw.set_progress_handler(lambda: time.monotonic() > ends_at, _PROGRESS_STEPS)  # type: ignore[union-attr]


def _install_authorizer(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.set_authorizer(_authorize)


def _authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action in _DENIED_SQLITE_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and arg2 is not None and (arg1 or "").lower() not in _READING_PRAGMAS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and is_denied_function((arg2 or "").lower()):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def create_readonly_role(engine: Engine, name: str, password: str | None) -> str:
    """Create (or bring up to date) a PostgreSQL role that can only read the corpus's schema.

    Returns the schema it reads. The role logs in, is no superuser, reads every table and view of
    the corpus's schema, present and future (default privileges of the role running this, which
    should be the one that runs migrations), and its transactions are read-only by default.
    """
    if engine.dialect.name != "postgresql":
        raise QueryRefused("read-only roles are for PostgreSQL; `wiredesk sql` opens SQLite read-only itself")
    with engine.begin() as connection:
        quote = _server_quoting(connection)
        role, schema_name = (
            quote("ident", name),
            connection.execute(text("SELECT current_schema()")).scalar_one(),
        )
        database = quote("ident", connection.execute(text("SELECT current_database()")).scalar_one())
        schema = quote("ident", schema_name)
        exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
        attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"
        if password is not None:
            attributes += f" PASSWORD {quote('literal', password)}"
        connection.exec_driver_sql(f"{'ALTER' if exists else 'CREATE'} ROLE {role} {attributes}")
        for statement in (
            f"GRANT CONNECT ON DATABASE {database} TO {role}",
            f"GRANT USAGE ON SCHEMA {schema} TO {role}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role}",
            f"ALTER ROLE {role} SET default_transaction_read_only = on",
            f"ALTER ROLE {role} SET statement_timeout = '{int(TIME_LIMIT_SECONDS)}s'",
            f"ALTER ROLE {role} IN DATABASE {database} SET search_path = {schema}",
        ):
            connection.exec_driver_sql(statement)
    return str(schema_name)


def _server_quoting(connection: Connection) -> Callable[[str, str], str]:
    """Quote identifiers and literals with the server's own quote_ident and quote_literal."""

    def quote(kind: str, value: str) -> str:
        return str(connection.execute(text(f"SELECT quote_{kind}(:v)"), {"v": value}).scalar_one())

    return quote


__all__ = ["DatabaseUnavailable", "QueryFailed", "QueryRefused", "QueryResult", "run_query", "stream_query"]
