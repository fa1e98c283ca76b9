"""What every `wiredesk` command shares: the options (`--db`, `--sources`, `-s`, `--redis`), the one
error handler, and the corpus engine opened, checked and migrated in one place.

Nothing heavy is imported here (no Scrapy, no cleaner, no pyarrow): `wiredesk sql` and `--help`
load this module and must start at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.exc import SQLAlchemyError

from crawler.cli import exit_interrupted
from storage.engine import DB_ENV, describe_database_error

if TYPE_CHECKING:
    from sqlalchemy import Engine

# Backends the corpus can live in; any other URL is refused before anything is opened.
BACKENDS = ("sqlite", "postgresql")
# Where normalise_db_url leaves the command's database URL (ctx.meta is shared by every context of
# one command line), so that the error handler names the database without its password.
DB_URL_KEY = "wiredesk.db_url"
# Date formats the date options take.
DATES = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]

# Exceptions whose message is written for the user (what is wrong, what to do): the error handler
# prints it as one line and exits 1. Named by "module.Class" (every subclass counts too) so that
# nothing is imported to recognise them; tests/test_cli.py checks that each name is a real class.
# A template adds what the command line can do about it.
USER_ERRORS: dict[str, str] = {
    "storage.engine.DatabaseUnavailable": "{error}",
    "storage.readonly.QueryRefused": "{error}",
    "storage.readonly.QueryFailed": "{error}",
    "storage.export.ExportError": "{error}",
    "storage.search.SearchSyntaxError": "{error}",
    "storage.rawpage.PageNotFound": "{error}",
    "storage.daemonlock.LockHeld": "{error}; stop it first, or start this one with --wait",
    "cleaner.rules.RulesError": "{error}",
    "crawler.sources.SourcesError": "{error}",
    "crawler.urlpolicy.UrlRefused": "{error}",
    "crawler.run.CrawlFailed": "{error}",
    "crawler.warcrecords.ArchiveInputError": "{error}",
    "crawler.archive.ImportStopped": "{error}",
    "crawler.schedules.ScheduleError": "{error}",
    "crawler.daemon.LockLost": "{error}",
    "redis.exceptions.RedisError": "{error}",
}


def user_error_message(error: BaseException) -> str | None:
    """The one line to print for `error` when it is one of USER_ERRORS, else None (a bug: traceback)."""
    for cls in type(error).__mro__:
        template = USER_ERRORS.get(f"{cls.__module__}.{cls.__qualname__}")
        if template is not None:
            return template.format(error=error)
    return None


class CommandGroup(click.Group):
    """The `wiredesk` group: every command's failures meet one handler, here.

    Errors written for users become one line and exit 1; any other database failure (a corrupt or
    read-only SQLite file, a PostgreSQL login refused...) becomes one line that names the database,
    password hidden; Ctrl-C becomes one line and exit 130. Anything else is a bug, with its traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            exit_interrupted()
        except click.ClickException:
            raise
        except (SQLAlchemyError, sqlite3.Error) as error:
            message = user_error_message(error) or describe_database_error(error, ctx.meta.get(DB_URL_KEY))
            raise click.ClickException(message) from error
        except Exception as error:
            message = user_error_message(error)
            if message is None:
                raise
            raise click.ClickException(message) from error


def normalise_db_url(ctx: click.Context, param: click.Parameter, url: str | None) -> str | None:
    """The --db URL as SQLAlchemy takes it: `postgres://` and `postgresql://` (what people type, and
    what hosting services hand out) become psycopg 3's URL; a backend wiredesk does not store into
    (mysql://...) is refused in one line instead of a traceback from deep inside SQLAlchemy."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    ctx.meta[DB_URL_KEY] = url
    if url is None:
        return None
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # make_engine says what a URL looks like
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql") and driver in ("", "psycopg2", "psycopg"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        ctx.meta[DB_URL_KEY] = url
        return url
    if backend == "postgresql":
        raise click.ClickException(f"--db: use postgresql:// (psycopg 3), not {parsed.drivername}://")
    if backend not in BACKENDS:
        raise click.ClickException(
            f"--db: {backend} is not supported: wiredesk stores into SQLite (sqlite:///file.db) "
            "or PostgreSQL (postgresql://user@host/db)"
        )
    return url


def db_option(
    name: str = "db_url",
    envvar: str | list[str] | None = DB_ENV,
    help: str = f"SQLAlchemy URL of the corpus (sqlite:///file.db, postgresql+psycopg://user@host/db). "
    f"Default: ${DB_ENV}, else sqlite:///wiredesk.db.",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--db DB_URL` into the parameter `name`, normalised (see normalise_db_url)."""
    return click.option(
        "--db", name, envvar=envvar, default=None, metavar="DB_URL", callback=normalise_db_url, help=help
    )


database_option = db_option()
sources_option = click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False),
    envvar="WIREDESK_SOURCES",
    help="Sources file (TOML) instead of the packaged one.",
)
settings_option = click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a Scrapy or WIREDESK_* setting.",
)
redis_option = click.option(
    "--redis",
    "redis_url",
    envvar="WIREDESK_REDIS",
    metavar="URL",
    help="Share the crawl through this Redis (redis://host:6379/0); `wiredesk worker`s join it.",
)
rules_option = click.option(
    "--rules",
    "rules_file",
    envvar="WIREDESK_CLEAN_RULES",
    help="Your own per-site rules (TOML), over the packaged ones [env WIREDESK_CLEAN_RULES].",
)
report_option = click.option(
    "--report", "report_file", type=click.Path(dir_okay=False), help="Also write the figures as JSON here."
)
verbose_option = click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log at INFO level.")


def parse_overrides(pairs: tuple[str, ...], option: str = "--set") -> dict[str, str]:
    """KEY=VALUE pairs as a dict; a pair without "=" is a usage error that names the option."""
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint=option)
        parsed[key.strip()] = value
    return parsed


def with_redis(overrides: dict[str, Any], redis_url: str | None) -> dict[str, Any]:
    """The settings overrides, plus the shared crawl's Redis when one is given."""
    return {**overrides, "WIREDESK_REDIS": redis_url} if redis_url else overrides


def connected_engine(db_url: str | None) -> Engine:
    """An engine on the corpus that has answered once: a database that is away fails here, in one line."""
    from storage.engine import check_connection, make_engine

    engine = make_engine(db_url)
    check_connection(engine)
    return engine


def migrated_engine(db_url: str | None) -> Engine:
    """`connected_engine`, with the migrations the database lacks applied: for commands that write."""
    from storage.schema import upgrade

    engine = connected_engine(db_url)
    upgrade(engine)
    return engine


def read_only_engine(db_url: str | None) -> Engine:
    """An engine for commands that only read the corpus (never creates or migrates it)."""
    from storage.engine import make_engine

    return make_engine(db_url, read_only=True)


def write_text(path: str, text: str) -> None:
    """Write a file the user named, or say in one line why it cannot be written."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from error


def writable(path: Path) -> Path:
    """`path` when a file can be created there; else one line that says why, before any query runs."""
    if path.is_dir():
        raise click.ClickException(f"cannot write {path}: it is a directory")
    if not path.parent.is_dir():
        raise click.ClickException(f"cannot write {path}: no directory {path.parent}; create it first")
    return path


def print_report(report: Any) -> None:
    """A crawl's or an import's summary, on stderr (stdout stays for data)."""
    from rich.console import Console

    from crawler.output import print_report as print_summary

    print_summary(report, Console(stderr=True))
