"""The commands that look after the set-up: `sources`, `db upgrade`, `db create-readonly-role`,
`replay` (the spool after an outage) and `serve` (datasette on the corpus)."""

from __future__ import annotations

import secrets
import sys
from collections import Counter
from pathlib import Path

import click

from crawler.commands.common import connected_engine, database_option, migrated_engine, sources_option
from crawler.output import output_format_options, print_rows
from storage.readonly import SQL_DB_ENV


@click.command()
@sources_option
@click.option(
    "--check", is_flag=True, help="Fetch every start URL and say whether it answers (needs network)."
)
@output_format_options
def sources(sources_file: str | None, check: bool, fmt: str | None) -> None:
    """List the configured sources, or check that their start URLs answer.

    Example: wiredesk sources --check --json
    """
    from crawler.sources import check_sources, load_sources

    available = load_sources(sources_file)
    if check:
        results = check_sources(list(available.values()))
        print_rows(["source", "url", "status"], [(r.source, r.url, r.status) for r in results], fmt)
        if not all(r.ok for r in results):
            sys.exit(1)
        return
    print_rows(
        ["name", "title", "agency", "default", "checked", "schedule", "start_urls"],
        [
            (s.name, s.title, s.agency, s.default, s.checked, s.schedule, list(s.start_urls))
            for s in available.values()
        ],
        fmt,
    )


@click.group()
def db() -> None:
    """Manage the corpus database's schema."""


@db.command("upgrade")
@database_option
def db_upgrade(db_url: str | None) -> None:
    """Apply the migrations the database lacks (every crawl also does it at start).

    Example: wiredesk db upgrade --db postgresql+psycopg://wiredesk@db/news
    """
    from storage.schema import current_revision, head_revision, upgrade

    engine = connected_engine(db_url)
    before = current_revision(engine)
    upgrade(engine)
    click.echo(f"schema at {head_revision()} (was {before or 'empty'})", err=True)


@db.command("create-readonly-role")
@database_option
@click.option("--name", default="wiredesk_reader", show_default=True, help="The role to create or update.")
@click.option(
    "--password",
    envvar="WIREDESK_READER_PASSWORD",
    help="Its password [env WIREDESK_READER_PASSWORD]; default: a new random one.",
)
@click.option("--no-password", is_flag=True, help="No password (trust or peer authentication).")
def db_create_readonly_role(db_url: str | None, name: str, password: str | None, no_password: bool) -> None:
    """Create a PostgreSQL role that can only read the corpus, for `wiredesk sql` (WIREDESK_SQL_DB).

    Run it as the role that runs the crawls and migrations: tables they create later are readable
    too. Prints the role's database URL on stdout.

    Example: export WIREDESK_SQL_DB=$(wiredesk db create-readonly-role --db postgresql+psycopg://wiredesk@db/news)
    """
    from sqlalchemy.engine import make_url

    from storage.engine import database_url
    from storage.readonly import create_readonly_role

    if password is None and not no_password:
        password = secrets.token_urlsafe(18)
    schema = create_readonly_role(connected_engine(db_url), name, None if no_password else password)
    url = make_url(database_url(db_url)).set(username=name, password=None if no_password else password)
    click.echo(f"role {name} reads schema {schema}; give `wiredesk sql` this URL as {SQL_DB_ENV}:", err=True)
    click.echo(url.render_as_string(hide_password=False))


@click.command()
@database_option
@click.option(
    "--spool",
    "spool_path",
    type=click.Path(file_okay=False),
    envvar="WIREDESK_SPOOL",
    help="Spool directory (default: .wiredesk/spool).",
)
def replay(db_url: str | None, spool_path: str | None) -> None:
    """Write the articles spooled while the database was down into it, one line per article.

    An article that cannot be stored is set aside in the spool's quarantine/ folder with the
    reason, and the others go on; exits 3 when one was, 1 when the database went away again.

    Example: wiredesk replay --db postgresql+psycopg://wiredesk@db/news
    """
    from crawler.run import EXIT_ARTICLES_LOST
    from storage import Corpus
    from storage.engine import database_url
    from storage.spool import QUARANTINE, spool_dir
    from storage.spool import replay as replay_spool

    directory = spool_dir(spool_path, database_url(db_url))
    report = replay_spool(directory, Corpus(migrated_engine(db_url)))
    for entry in report.entries:
        what = entry.result.outcome.value if entry.result else f"quarantined: {entry.problem}"
        click.echo(f"{entry.url or entry.path.name}: {what}")
    counts = Counter(entry.result.outcome.value for entry in report.entries if entry.result)
    click.echo(
        f"{len(report.stored)} spooled articles written from {directory}: "
        + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing to do"),
        err=True,
    )
    if report.quarantined:
        click.echo(f"{len(report.quarantined)} could not be stored: see {directory / QUARANTINE}", err=True)
    if report.stopped:
        message = f"database unavailable again ({report.stopped}); the rest waits in {directory}"
        raise click.ClickException(message)
    if report.quarantined:
        sys.exit(EXIT_ARTICLES_LOST)


@click.command("serve")
@database_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="Port.")
def serve_command(db_url: str | None, host: str, port: int) -> None:
    """Browse and search the SQLite corpus in datasette (pip install 'wiredesk[serve]').

    Full-text search on articles, stories with their copies, the queries of docs/schema.md.

    Example: wiredesk serve --db sqlite:///news.db --port 8001
    """
    from sqlalchemy.engine import make_url

    from storage.engine import database_url

    url = make_url(database_url(db_url))
    if url.get_backend_name() != "sqlite":
        raise click.ClickException("serve: datasette reads SQLite only; give --db sqlite:///file.db")
    path = Path(url.database or "")
    if not path.is_file():
        raise click.ClickException(f"serve: no corpus at {path}; crawl into it first, or give --db")
    try:
        from crawler.serve import serve
    except ImportError as error:
        raise click.ClickException("serve needs datasette: pip install 'wiredesk[serve]'") from error
    click.echo(f"datasette on http://{host}:{port}/{path.stem} (Ctrl-C stops it)", err=True)
    serve(path, host, port)
