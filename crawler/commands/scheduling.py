"""The commands of scheduled crawling: `daemon` runs the schedule, `runs` and `status` report on it."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click

from crawler.cli import INTERRUPTED, exit_at_once_on_interrupt
from crawler.commands.common import (
    database_option,
    migrated_engine,
    parse_overrides,
    read_only_engine,
    settings_option,
    sources_option,
)
from crawler.output import output_format_options, print_rows

RUN_COLUMNS = [
    "id",
    "source",
    "started_at",
    "finished_at",
    "outcome",
    "fetched",
    "new",
    "duplicates",
    "revisions",
    "errors",
    "message",
]


@click.command()
@click.argument("names", nargs=-1)
@database_option
@sources_option
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--crawl-timeout", type=float, default=3600.0, show_default=True, help="Seconds a crawl may take."
)
@click.option(
    "--grace",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds a crawl gets to stop cleanly (at its time limit, or when the daemon stops).",
)
@click.option("--once", is_flag=True, help="Crawl every scheduled source once, then exit with its status.")
@click.option(
    "--wait",
    is_flag=True,
    help="When another daemon runs on this database, wait for it to stop instead of exiting.",
)
@settings_option
def daemon(
    names: tuple[str, ...],
    db_url: str | None,
    sources_file: str | None,
    log_format: str,
    crawl_timeout: float,
    grace: float,
    once: bool,
    wait: bool,
    overrides: tuple[str, ...],
) -> None:
    """Crawl each source on its schedule (sources.toml `schedule`), until SIGTERM.

    One daemon per database: a second one says which holds it and exits 1 (or, with --wait, waits).

    Example: wiredesk daemon --db postgresql+psycopg://wiredesk@db/news --log-format json
    """
    # Until serve() installs the daemon's own handlers, Ctrl-C ends it at once: a KeyboardInterrupt
    # raised inside a library's imports may be swallowed there, and the daemon would serve on.
    with exit_at_once_on_interrupt(INTERRUPTED):
        from crawler.daemon import DaemonConfig, run_once, serve
        from crawler.sources import load_sources, select_sources
        from storage.engine import database_url

        parse_overrides(overrides)
        chosen = select_sources(load_sources(sources_file), list(names))
        config = DaemonConfig(
            database_url(db_url), sources_file, crawl_timeout, grace, list(overrides), log_format
        )
        migrated_engine(config.db_url).dispose()
    if once:
        sys.exit(0 if run_once(chosen, config, wait) else 1)
    serve(chosen, config, wait)


@click.command()
@database_option
@click.option("--source", help="Only this source's runs.")
@click.option("--failed", is_flag=True, help="Only runs that did not finish well.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@output_format_options
def runs(db_url: str | None, source: str | None, failed: bool, limit: int, fmt: str | None) -> None:
    """Show recent crawl runs: when, how they ended, and their figures.

    Example: wiredesk runs --source apnews --failed
    """
    from storage.runs import list_runs

    rows = list_runs(read_only_engine(db_url), source, failed, limit)
    print_rows(
        RUN_COLUMNS,
        [
            (
                r.id,
                r.source,
                r.started_at,
                r.finished_at,
                r.outcome,
                r.pages_fetched,
                r.articles_new,
                r.duplicates,
                r.revisions,
                r.errors,
                r.message,
            )
            for r in rows
        ],
        fmt,
    )


@click.command()
@database_option
@output_format_options
def status(db_url: str | None, fmt: str | None) -> None:
    """Each scheduled source's next run and the outcome of its last one, and whether a daemon runs.

    Next runs happen only while `wiredesk daemon` runs: a line on stderr says when none does.

    Example: wiredesk status --db postgresql+psycopg://wiredesk@db/news
    """
    from crawler.schedules import next_runs
    from storage.runs import last_runs

    engine = read_only_engine(db_url)
    upcoming, last = next_runs(engine), last_runs(engine)
    click.echo(_daemon_state(engine), err=True)
    print_rows(
        ["source", "next_run", "last_outcome", "last_started", "last_new"],
        [
            (
                name,
                upcoming.get(name),
                last[name].outcome if name in last else None,
                last[name].started_at if name in last else None,
                last[name].articles_new if name in last else None,
            )
            for name in sorted(set(upcoming) | set(last))
        ],
        fmt,
    )


def _daemon_state(engine: Any) -> str:
    """Whether a daemon holds this database's lock with a live heartbeat, in one line."""
    from storage.daemonlock import STALE_SECONDS, DaemonLock

    holder = DaemonLock(engine).holder()
    if holder is None or (datetime.now(UTC) - holder.heartbeat_at).total_seconds() > STALE_SECONDS:
        return "no daemon is running on this database: scheduled runs wait until `wiredesk daemon` starts"
    return f"daemon running: {holder.describe()}"
