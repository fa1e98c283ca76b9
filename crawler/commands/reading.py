"""The commands that read the corpus: `sql`, `search`, `page` and `export`.

None of them imports Scrapy or the cleaner: they start at once (a test checks it for `sql`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.exc import DBAPIError

from crawler.commands.common import (
    database_option,
    db_option,
    parse_overrides,
    read_only_engine,
    writable,
)
from crawler.output import output_format_options, print_rows
from storage.engine import DB_ENV, database_fault
from storage.keyset import Unreadable
from storage.readonly import MAX_ROWS, SQL_DB_ENV, TIME_LIMIT_SECONDS, stream_query

# What an export's file name says about its format; `--format` overrides it. Its values are
# storage.export.FORMATS and WARC (a test checks), written here so `wiredesk --help` needs no ORM import.
EXPORT_SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".warc": "warc",
}
EXPORT_FORMATS = tuple(dict.fromkeys(EXPORT_SUFFIXES.values()))
# Raw pages (not articles) go out as WARC, in rotating files; the other formats are storage.export's.
WARC = "warc"
STDOUT = "-"


@click.command()
@click.argument("query")
@db_option(
    envvar=[SQL_DB_ENV, DB_ENV],
    help=f"SQLAlchemy URL of the corpus. Default: ${SQL_DB_ENV} (e.g. the read-only role of "
    f"`wiredesk db create-readonly-role`), else ${DB_ENV}, else sqlite:///wiredesk.db.",
)
@output_format_options
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind :NAME in the query.")
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=MAX_ROWS,
    show_default=True,
    help="Print at most this many rows (a note on stderr says when there were more).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=TIME_LIMIT_SECONDS,
    show_default=True,
    help="Stop the query after this many seconds, fetching included.",
)
def sql(
    query: str, db_url: str | None, fmt: str | None, params: tuple[str, ...], max_rows: int, time_limit: float
) -> None:
    """Run one read-only SQL query on the corpus and print the rows, as they come.

    Text is printed as stored (never as markup); a table on a terminal, tab-separated in a pipe.

    Example: wiredesk sql "SELECT source, count(*) FROM articles GROUP BY source" --json
    """
    bound = parse_overrides(params, "--param")
    with stream_query(db_url, query, bound, max_rows=max_rows, time_limit=time_limit) as rows:
        print_rows(rows.columns, rows, fmt)
    if rows.truncated:
        click.echo(
            f"truncated at {max_rows} rows: add LIMIT or WHERE to the query, or raise --max-rows", err=True
        )


@click.command("search")
@click.argument("words")
@database_option
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="Only articles published on or after this day."
)
@click.option("--source", help="Only articles of this source.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@output_format_options
@click.option("--show-sql", is_flag=True, help="Print the SQL that runs the search, and exit.")
def search_command(
    words: str,
    db_url: str | None,
    since: datetime | None,
    source: str | None,
    limit: int,
    fmt: str | None,
    show_sql: bool,
) -> None:
    """Full-text search: ranked articles with source, date, title and a [highlighted] snippet.

    The same syntax on SQLite and PostgreSQL: words (all must appear, stemmed), "a phrase",
    OR between alternatives, -word to exclude, prefix* (docs/schema.md).

    Example: wiredesk search '"north sea" ferr* -storm' --since 2024-01-01 --limit 10
    """
    from storage.search import search, search_statement

    since_utc = since.replace(tzinfo=UTC) if since else None
    engine = read_only_engine(db_url)
    if show_sql:
        click.echo(str(search_statement(engine.dialect.name, since_utc, source)).strip())
        return
    try:
        hits = search(engine, words, since_utc, source, limit)
    except DBAPIError as error:
        if database_fault(error):
            raise
        raise click.ClickException(f"search failed: {str(error.orig).strip().splitlines()[0]}") from error
    print_rows(
        ["source", "published", "title", "snippet", "url"],
        [(h.source, h.published_at, h.title, h.snippet, h.url) for h in hits],
        fmt,
    )


@click.command("page")
@click.argument("url")
@database_option
@click.option(
    "--revision",
    type=click.IntRange(min=1),
    metavar="N",
    help="The page revision N of the article was cleaned from.",
)
def page_command(url: str, db_url: str | None, revision: int | None) -> None:
    """Print a stored page's raw HTML, the bytes as fetched, to debug the cleaner.

    URL is any URL that led to the page (requested, redirected to, or the article's); without
    --revision the most recent page, a failed one included.

    Example: wiredesk page https://example.com/news/a.html --revision 1 > a.html
    """
    from storage.rawpage import stored_page

    page = stored_page(read_only_engine(db_url), url, revision)
    sys.stdout.buffer.write(page.body)
    sys.stdout.buffer.flush()


@click.command()
@database_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    help=f"Default: from the file's extension ({', '.join(EXPORT_SUFFIXES)}); jsonl for -o -.",
)
@click.option("-o", "--output", metavar="FILE", required=True, help="File to write, or - for stdout.")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="Only articles first fetched on or after this day."
)
@click.option("--source", help="Only articles of this source.")
def export(
    db_url: str | None, fmt: str | None, output: str, since: datetime | None, source: str | None
) -> None:
    """Export articles to JSON Lines, CSV or Parquet, or the raw pages kept as WARC, streaming.

    A row that cannot be read (a corrupt raw page, text that is not UTF-8) is named on stderr and
    left out; the others are exported, and the command exits 3 at the end.

    Example: wiredesk export --since 2024-12-01 -o december.parquet
    """
    from storage.export import count_articles, export_articles

    fmt = fmt or _export_format(output)
    since_utc = since.replace(tzinfo=UTC) if since else None
    left_out = _LeftOut("raw page" if fmt == WARC else "article")
    if fmt == WARC:
        _export_warc(db_url, output, since_utc, source, left_out)
        left_out.exit_if_any()
        return
    try:
        if output == STDOUT:
            written = export_articles(db_url, fmt, sys.stdout, since_utc, source, unreadable=left_out)
        else:
            path = writable(Path(output))
            total = count_articles(db_url, since_utc, source)
            with _progress_bar(f"exporting to {output}", total) as advance:
                written = export_articles(db_url, fmt, path, since_utc, source, advance, left_out)
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from error
    where = "stdout" if output == STDOUT else output
    click.echo(f"{written} articles written to {where}{left_out.summary()}", err=True)
    left_out.exit_if_any()


class _LeftOut:
    """The rows an export could not read: each named on stderr as it is met, counted at the end."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.count = 0

    def __call__(self, row: Unreadable) -> None:
        self.count += 1
        click.echo(f"{self.what} {row.key} not exported: {row.reason}", err=True)

    def summary(self) -> str:
        return f"; {self.count} unreadable {self.what}s left out (named above)" if self.count else ""

    def exit_if_any(self) -> None:
        """Exit 3 (as a crawl that lost articles does) when a row was left out."""
        if self.count:
            from crawler.run import EXIT_ARTICLES_LOST

            sys.exit(EXIT_ARTICLES_LOST)


def _export_warc(
    db_url: str | None, output: str, since: datetime | None, source: str | None, left_out: _LeftOut
) -> None:
    """The raw pages kept, as rotating gzipped WARC files named after `output` (docs/archives.md)."""
    from crawler.warcwriter import export_pages

    if output == STDOUT:
        raise click.ClickException("WARC export writes rotating files: give -o NAME.warc.gz, not -o -")
    written, files = export_pages(db_url, writable(Path(output)), since, source, left_out)
    where = ", ".join(map(str, files))
    click.echo(f"{written} raw pages written to {where}{left_out.summary()}", err=True)


def _export_format(output: str) -> str:
    if output == STDOUT:
        return "jsonl"
    suffix = Path(output.removesuffix(".gz")).suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise click.ClickException(
            f"cannot tell the format of {output}: name it {', '.join('*' + s for s in EXPORT_SUFFIXES)}, "
            f"or give --format ({', '.join(EXPORT_FORMATS)})"
        )
    return EXPORT_SUFFIXES[suffix]


@contextmanager
def _progress_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (gone when done); yields the function that advances it."""
    from rich.console import Console
    from rich.progress import MofNCompleteColumn, Progress

    columns = (*Progress.get_default_columns(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
