"""The `wiredesk` command: thin click wrappers over crawler.run, storage and cleaner."""

from __future__ import annotations

import functools
import json
import secrets
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from crawler.output import output_format_options, print_rows
from crawler.settings import DOWNLOAD_MAXSIZE as MAX_PAGE_BYTES
from crawler.settings import WIREDESK_CLEAN_TIME_LIMIT as CLEAN_TIME_LIMIT
from crawler.urlpolicy import UrlRefused, fetch, mask_credentials, start_url_problem
from storage.engine import DB_ENV, DatabaseUnavailable, database_fault, describe_database_error, make_engine
from storage.readonly import (
    MAX_ROWS,
    SQL_DB_ENV,
    TIME_LIMIT_SECONDS,
    QueryFailed,
    QueryRefused,
    run_query,
    stream_query,
)

if TYPE_CHECKING:
    from cleaner import CleanArticle

# Heavy modules (Scrapy, the spiders, the pipelines, the cleaner, Redis, pyarrow) are imported
# inside the commands that need them: `wiredesk sql` and `wiredesk --help` start without them.

# Backends the corpus can live in; any other URL is refused before anything is opened.
BACKENDS = ("sqlite", "postgresql")
# Exit status after Ctrl-C, as shells report a process ended by SIGINT (128 + 2).
EXIT_INTERRUPTED = 130


def normalise_db_url(ctx: click.Context, param: click.Parameter, url: str | None) -> str | None:
    """The --db URL as SQLAlchemy takes it: `postgres://` and `postgresql://` (what people type, and
    what hosting services hand out) become psycopg 3's URL; a backend wiredesk does not store into
    (mysql://...) is refused in one line instead of a traceback from deep inside SQLAlchemy."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if url is None:
        return None
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # make_engine says what a URL looks like
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql") and driver in ("", "psycopg2", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "postgresql":
        raise click.ClickException(f"--db: use postgresql:// (psycopg 3), not {parsed.drivername}://")
    if backend not in BACKENDS:
        raise click.ClickException(
            f"--db: {backend} is not supported: wiredesk stores into SQLite (sqlite:///file.db) "
            "or PostgreSQL (postgresql://user@host/db)"
        )
    return url


database_option = click.option(
    "--db",
    "db_url",
    envvar=DB_ENV,
    default=None,
    metavar="DB_URL",
    callback=normalise_db_url,
    help=f"SQLAlchemy URL of the corpus (sqlite:///file.db, postgresql+psycopg://user@host/db). "
    f"Default: ${DB_ENV}, else sqlite:///wiredesk.db.",
)


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


def database_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Any database failure of a command as one line that says what to do, never a traceback.

    The commands catch what they expect; this catches the rest (a corrupt or read-only SQLite
    file, a PostgreSQL login refused...) wherever it happens, and hides the URL's password.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except DatabaseUnavailable as error:
            raise click.ClickException(str(error)) from error
        except (SQLAlchemyError, sqlite3.Error) as error:
            raise click.ClickException(describe_database_error(error, kwargs.get("db_url"))) from error

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wiredesk")
def cli() -> None:
    """Collect wire news stories, strip the boilerplate, keep a clean deduplicated corpus in SQL."""


@cli.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="URL",
    help="Ad-hoc start URL: feed, sitemap, section page or article (repeatable).",
)
@database_option
@sources_option
@click.option(
    "--all", "all_sources", is_flag=True, help="Crawl every source in the file, not only the defaults."
)
@click.option("--max-articles", type=click.IntRange(min=1), help="Fetch at most N article pages.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Skip feed and sitemap entries dated before this date (UTC).",
)
@click.option("--days", type=click.IntRange(min=1), help="Skip feed and sitemap entries older than N days.")
@settings_option
@click.option(
    "--jobdir",
    type=click.Path(file_okay=False),
    help="Keep the crawl's request queue on disk here: bounded memory, and a killed crawl resumes from it.",
)
@click.option("--resume", is_flag=True, help="Same as --jobdir .wiredesk/jobs/<sources>.")
@redis_option
@click.option(
    "--report", "report_file", type=click.Path(dir_okay=False), help="Also write the figures as JSON here."
)
@click.option(
    "--warc",
    "warc_dir",
    type=click.Path(file_okay=False),
    help="Also write every response fetched into gzipped WARC files here ($WIREDESK_WARC_DIR).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log at INFO level.")
@database_errors
def crawl(
    sources: tuple[str, ...],
    urls: tuple[str, ...],
    db_url: str | None,
    sources_file: str | None,
    all_sources: bool,
    max_articles: int | None,
    since: datetime | None,
    days: int | None,
    overrides: tuple[str, ...],
    jobdir: str | None,
    resume: bool,
    redis_url: str | None,
    report_file: str | None,
    warc_dir: str | None,
    verbose: bool,
) -> None:
    """Crawl named sources (default: the default ones) or ad-hoc --url start points into the corpus.

    Example: wiredesk crawl --url https://example.com/rss.xml --db sqlite:///news.db
    """
    from redis.exceptions import RedisError

    from cleaner.rules import RulesError
    from crawler.run import CrawlFailed, crawl_settings, exit_status, report_figures, run_crawl
    from crawler.sources import SourcesError

    try:
        chosen = _chosen_sources(sources, urls, sources_file, all_sources)
        settings = crawl_settings(
            db_url, max_articles, _with_redis(_parse_overrides(overrides), redis_url), verbose
        )
        if jobdir or resume:
            settings.set("JOBDIR", jobdir or _default_jobdir(chosen), priority="cmdline")
        bound = _since(since, days)
        if bound is not None:
            settings.set("WIREDESK_SINCE", bound.isoformat(), priority="cmdline")
        if warc_dir:
            settings.set("WIREDESK_WARC_DIR", warc_dir, priority="cmdline")
        report = run_crawl(chosen, settings)
    except (SourcesError, DatabaseUnavailable, CrawlFailed, RedisError, RulesError) as error:
        raise click.ClickException(str(error)) from error
    _print_report(report)
    if report_file:
        _write_text(report_file, json.dumps(report_figures(report)))
    if _interrupted(report):
        how = "run the same command with --resume" if (jobdir or resume) else "crawl with --resume next time"
        click.echo(f"interrupted: what was stored is kept; to go on where it stopped, {how}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(exit_status(report))


def _print_report(report: Any) -> None:
    from rich.console import Console

    from crawler.output import print_report

    print_report(report, Console(stderr=True))


def _interrupted(report: Any) -> bool:
    """Stopped by Ctrl-C (or SIGTERM): Scrapy finishes the crawl cleanly with reason "shutdown"."""
    return bool(report.finish_reason == "shutdown")


def _write_text(path: str, text: str) -> None:
    """Write a file the user named, or say in one line why it cannot be written."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from error


def _chosen_sources(
    names: tuple[str, ...], urls: tuple[str, ...], sources_file: str | None, all_sources: bool
) -> list[Any]:
    from crawler.sources import SourcesError, adhoc_source, load_sources, select_sources

    problems = [problem for problem in map(start_url_problem, urls) if problem]
    if problems:
        raise SourcesError("; ".join(problems))
    chosen = [adhoc_source(list(urls))] if urls else []
    if names or not urls:
        available = load_sources(sources_file)
        chosen += list(available.values()) if all_sources else select_sources(available, list(names))
    return chosen


def _with_redis(overrides: dict[str, Any], redis_url: str | None) -> dict[str, Any]:
    return {**overrides, "WIREDESK_REDIS": redis_url} if redis_url else overrides


@cli.command()
@database_option
@redis_option
@click.option(
    "--idle",
    type=float,
    default=30.0,
    show_default=True,
    help="Leave after the shared queue has been empty this many seconds.",
)
@settings_option
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log at INFO level.")
@database_errors
def worker(
    db_url: str | None, redis_url: str | None, idle: float, overrides: tuple[str, ...], verbose: bool
) -> None:
    """Join a shared crawl: take requests from Redis, store into the shared database.

    Start as many as you like, on as many hosts; seed the crawl with `wiredesk crawl --redis URL SOURCE`.
    WARC files queued by `wiredesk import --redis URL` are imported first (docs/archives.md).

    Example: wiredesk worker --redis redis://queue:6379/0 --db postgresql+psycopg://wiredesk@db/news
    """
    from redis.exceptions import RedisError

    from crawler.run import CrawlFailed, crawl_settings, exit_status, run_crawl

    if not redis_url:
        raise click.UsageError("a worker needs --redis URL (or WIREDESK_REDIS)")
    from crawler.archive import ImportStopped, import_exit_status, import_queued

    extra = {**_parse_overrides(overrides), "WIREDESK_WORKER_IDLE": idle}
    try:
        settings = crawl_settings(db_url, None, _with_redis(extra, redis_url), verbose)
        imported = import_queued(settings)
        report = run_crawl([], settings, worker=True)
    except (DatabaseUnavailable, CrawlFailed, RedisError, ImportStopped) as error:
        raise click.ClickException(str(error)) from error
    _print_report(report)
    if _interrupted(report):
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(max(exit_status(report), import_exit_status(imported) if imported else 0))


_DATES = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]


def _default_jobdir(chosen: list[Any]) -> str:
    names = "-".join(sorted(source.name for source in chosen))[:80]
    return str(Path(".wiredesk") / "jobs" / names)


def _since(since: datetime | None, days: int | None) -> datetime | None:
    if since is not None and days is not None:
        raise click.UsageError("give --since or --days, not both")
    if days is not None:
        return datetime.now(UTC) - timedelta(days=days)
    return since.replace(tzinfo=UTC) if since is not None else None


def _parse_overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        parsed[key.strip()] = value
    return parsed


@cli.command()
@click.argument("query")
@click.option(
    "--db",
    "db_url",
    envvar=[SQL_DB_ENV, DB_ENV],
    default=None,
    metavar="DB_URL",
    callback=normalise_db_url,
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
@database_errors
def sql(
    query: str, db_url: str | None, fmt: str | None, params: tuple[str, ...], max_rows: int, time_limit: float
) -> None:
    """Run one read-only SQL query on the corpus and print the rows, as they come.

    Text is printed as stored (never as markup); a table on a terminal, tab-separated in a pipe.

    Example: wiredesk sql "SELECT source, count(*) FROM articles GROUP BY source" --json
    """
    try:
        with stream_query(
            db_url, query, _parse_overrides(params), max_rows=max_rows, time_limit=time_limit
        ) as rows:
            print_rows(rows.columns, rows, fmt)
    except (QueryRefused, QueryFailed, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from error
    if rows.truncated:
        click.echo(
            f"truncated at {max_rows} rows: add LIMIT or WHERE to the query, or raise --max-rows", err=True
        )


@cli.command("clean")
@click.argument("page")
@click.option("--url", "page_url", help="The page's URL, when PAGE is a file (helps metadata).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole clean article as JSON.")
@click.option("--explain", is_flag=True, help="Show what was kept and what was removed, and why.")
@click.option(
    "--rules",
    "rules_file",
    envvar="WIREDESK_CLEAN_RULES",
    help="Your own per-site rules (TOML), over the packaged ones [env WIREDESK_CLEAN_RULES].",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0),
    envvar="WIREDESK_CLEAN_TIME_LIMIT",
    default=CLEAN_TIME_LIMIT,
    show_default=True,
    help="Give up after this many seconds of cleaning, as a crawl does (0: no limit) "
    "[env WIREDESK_CLEAN_TIME_LIMIT].",
)
@click.option(
    "--db",
    "memory_db",
    metavar="DB_URL",
    help="Clean with the site memory (learnt furniture) this corpus holds for the page's site.",
)
@database_errors
def clean_command(
    page: str,
    page_url: str | None,
    as_json: bool,
    explain: bool,
    rules_file: str | None,
    time_limit: float,
    memory_db: str | None,
) -> None:
    """Clean one page (a file, a URL, or - for standard input) and print the article.

    A URL is fetched as the crawl would: http(s) only, redirects on the same site only.

    Example: wiredesk clean saved-page.html --json
    """
    from cleaner import CleanOptions
    from cleaner.rules import RulesError
    from crawler.pipelines import TIME_LIMIT, clean_in_time, site_rules
    from crawler.reclean import site_furniture

    try:
        options = CleanOptions(site_rules=site_rules(rules_file))
    except RulesError as error:
        raise click.ClickException(str(error)) from error
    body, url = _read_page(page)
    furniture = site_furniture(memory_db, page_url or url)
    article = clean_in_time(body, page_url or url, None, time_limit, options, furniture)  # type: ignore[arg-type]
    if (article.error or "").startswith(TIME_LIMIT):
        raise click.ClickException(
            f"gave up: {article.error}; raise --time-limit (or WIREDESK_CLEAN_TIME_LIMIT) to wait longer"
        )
    if as_json:
        click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
    elif explain:
        _print_explain(article)
    elif article.found:
        click.echo(f"{article.title}\n\n{article.text}" if article.title else article.text)
    if not article.found:
        raise click.ClickException(f"no article: {article.error}")


def _read_page(page: str) -> tuple[bytes, str | None]:
    if page == "-":
        return sys.stdin.buffer.read(), None
    if "://" in page:
        try:
            return fetch(page, user_agent="wiredesk (clean command)", max_bytes=MAX_PAGE_BYTES)
        except UrlRefused as error:
            raise click.ClickException(str(error)) from error
        except OSError as error:
            raise click.ClickException(f"cannot fetch {mask_credentials(page)}: {error}") from error
    path = Path(page)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {page}: {error.strerror}") from error
    if path.suffix == ".gz":
        import gzip

        data = gzip.decompress(data)
    return data, None


def _print_explain(article: CleanArticle) -> None:
    """The article's fields, kept text and removed blocks; the page's text is never read as markup."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    first = {
        "title": article.title,
        "authors": ", ".join(article.authors),
        "agency": article.agency,
        "dateline": article.dateline,
    }
    for fields in (first, {"published": article.published, "language": article.language}):
        console.print("   ".join(f"[bold]{k}[/bold]: {escape(str(v or '-'))}" for k, v in fields.items()))
    if article.summary:
        console.print("[bold]summary[/bold]: ", end="")
        console.print(article.summary, markup=False, soft_wrap=True)
    console.rule("kept")
    console.print(article.text or f"(nothing: {article.error})", markup=False, soft_wrap=True)
    console.rule("removed")
    for block in article.removed:
        console.print(f"[yellow]{block.reason}[/yellow]: ", end="")
        console.print(block.text, markup=False, soft_wrap=True)
    for caption in article.captions:
        console.print("[cyan]caption[/cyan]: ", end="")
        console.print(caption, markup=False, soft_wrap=True)


@cli.command()
@sources_option
@click.option(
    "--check", is_flag=True, help="Fetch every start URL and say whether it answers (needs network)."
)
@output_format_options
def sources(sources_file: str | None, check: bool, fmt: str | None) -> None:
    """List the configured sources, or check that their start URLs answer.

    Example: wiredesk sources --check --json
    """
    from crawler.sources import SourcesError, check_sources, load_sources

    try:
        available = load_sources(sources_file)
    except SourcesError as error:
        raise click.ClickException(str(error)) from error
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


@cli.command()
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
@database_errors
def export(
    db_url: str | None, fmt: str | None, output: str, since: datetime | None, source: str | None
) -> None:
    """Export articles to JSON Lines, CSV or Parquet, or the raw pages kept as WARC, streaming.

    Example: wiredesk export --since 2024-12-01 -o december.parquet
    """
    from storage.export import ExportError, count_articles, export_articles

    fmt = fmt or _export_format(output)
    since_utc = since.replace(tzinfo=UTC) if since else None
    if fmt == WARC:
        _export_warc(db_url, output, since_utc, source)
        return
    try:
        if output == STDOUT:
            written = export_articles(db_url, fmt, sys.stdout, since_utc, source)
        else:
            path = _writable(Path(output))
            total = count_articles(db_url, since_utc, source)
            with _progress_bar(f"exporting to {output}", total) as advance:
                written = export_articles(db_url, fmt, path, since_utc, source, advance)
    except (ExportError, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from error
    click.echo(f"{written} articles written to {'stdout' if output == STDOUT else output}", err=True)


def _export_warc(db_url: str | None, output: str, since: datetime | None, source: str | None) -> None:
    """The raw pages kept, as rotating gzipped WARC files named after `output` (docs/archives.md)."""
    from crawler.warcwriter import export_pages

    if output == STDOUT:
        raise click.ClickException("WARC export writes rotating files: give -o NAME.warc.gz, not -o -")
    written, files = export_pages(db_url, _writable(Path(output)), since, source)
    click.echo(f"{written} raw pages written to {', '.join(map(str, files))}", err=True)


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


def _writable(path: Path) -> Path:
    """`path` when a file can be created there; else one line that says why, before any query runs."""
    if path.is_dir():
        raise click.ClickException(f"cannot write {path}: it is a directory")
    if not path.parent.is_dir():
        raise click.ClickException(f"cannot write {path}: no directory {path.parent}; create it first")
    return path


@contextmanager
def _progress_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (gone when done); yields the function that advances it."""
    from rich.console import Console
    from rich.progress import MofNCompleteColumn, Progress

    columns = (*Progress.get_default_columns(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


@cli.command()
@database_option
@click.option(
    "--spool",
    "spool_path",
    type=click.Path(file_okay=False),
    envvar="WIREDESK_SPOOL",
    help="Spool directory (default: .wiredesk/spool).",
)
@database_errors
def replay(db_url: str | None, spool_path: str | None) -> None:
    """Write the articles spooled while the database was down into it, one line per article.

    An article that cannot be stored is set aside in the spool's quarantine/ folder with the
    reason, and the others go on; exits 3 when one was, 1 when the database went away again.

    Example: wiredesk replay --db postgresql+psycopg://wiredesk@db/news
    """
    from crawler.run import EXIT_ARTICLES_LOST
    from storage import Corpus, make_engine
    from storage.engine import check_connection, database_url
    from storage.schema import upgrade
    from storage.spool import QUARANTINE, spool_dir
    from storage.spool import replay as replay_spool

    directory = spool_dir(spool_path, database_url(db_url))
    try:
        engine = make_engine(db_url)
        check_connection(engine)
        upgrade(engine)
        report = replay_spool(directory, Corpus(engine))
    except DatabaseUnavailable as error:
        raise click.ClickException(str(error)) from error
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


@cli.command("search")
@click.argument("words")
@database_option
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="Only articles published on or after this day."
)
@click.option("--source", help="Only articles of this source.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@output_format_options
@click.option("--show-sql", is_flag=True, help="Print the SQL that runs the search, and exit.")
@database_errors
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
    from storage.search import SearchSyntaxError, search, search_statement

    since_utc = since.replace(tzinfo=UTC) if since else None
    try:
        engine = make_engine(db_url, read_only=True)
        if show_sql:
            click.echo(str(search_statement(engine.dialect.name, since_utc, source)).strip())
            return
        hits = search(engine, words, since_utc, source, limit)
    except (DatabaseUnavailable, SearchSyntaxError) as error:
        raise click.ClickException(str(error)) from error
    except DBAPIError as error:
        if database_fault(error):
            raise
        raise click.ClickException(f"search failed: {str(error.orig).strip().splitlines()[0]}") from error
    print_rows(
        ["source", "published", "title", "snippet", "url"],
        [(h.source, h.published_at, h.title, h.snippet, h.url) for h in hits],
        fmt,
    )


@cli.group()
def db() -> None:
    """Manage the corpus database's schema."""


@db.command("upgrade")
@database_option
@database_errors
def db_upgrade(db_url: str | None) -> None:
    """Apply the migrations the database lacks (every crawl also does it at start).

    Example: wiredesk db upgrade --db postgresql+psycopg://wiredesk@db/news
    """
    from storage.engine import check_connection
    from storage.schema import current_revision, head_revision, upgrade

    try:
        engine = make_engine(db_url)
        check_connection(engine)
        before = current_revision(engine)
        upgrade(engine)
    except DatabaseUnavailable as error:
        raise click.ClickException(str(error)) from error
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
@database_errors
def db_create_readonly_role(db_url: str | None, name: str, password: str | None, no_password: bool) -> None:
    """Create a PostgreSQL role that can only read the corpus, for `wiredesk sql` (WIREDESK_SQL_DB).

    Run it as the role that runs the crawls and migrations: tables they create later are readable
    too. Prints the role's database URL on stdout.

    Example: export WIREDESK_SQL_DB=$(wiredesk db create-readonly-role --db postgresql+psycopg://wiredesk@db/news)
    """
    from storage.engine import check_connection, database_url
    from storage.readonly import create_readonly_role

    if password is None and not no_password:
        password = secrets.token_urlsafe(18)
    try:
        engine = make_engine(db_url)
        check_connection(engine)
        schema = create_readonly_role(engine, name, None if no_password else password)
    except (DatabaseUnavailable, QueryRefused) as error:
        raise click.ClickException(str(error)) from error
    from sqlalchemy.engine import make_url

    url = make_url(database_url(db_url)).set(username=name, password=None if no_password else password)
    click.echo(f"role {name} reads schema {schema}; give `wiredesk sql` this URL as {SQL_DB_ENV}:", err=True)
    click.echo(url.render_as_string(hide_password=False))


@cli.command()
@click.option(
    "--db",
    "db_url",
    metavar="DB_URL",
    callback=normalise_db_url,
    help="Where to store the demo corpus. Default: a fresh SQLite file in a new temporary directory.",
)
@database_errors
def demo(db_url: str | None) -> None:
    """Crawl the bundled offline newsroom (three publishers on loopback) into a fresh SQLite file.

    Example: wiredesk demo
    """
    from crawler.newsroom import Newsroom
    from crawler.run import crawl_settings, run_crawl

    if db_url is None:
        db_url = f"sqlite:///{tempfile.mkdtemp(prefix='wiredesk-demo-')}/demo.db"
    with Newsroom() as newsroom:
        click.echo(
            f"serving the demo newsroom on {', '.join(site.url('/') for site in newsroom.sites)}", err=True
        )
        settings = crawl_settings(
            db_url, overrides={"AUTOTHROTTLE_ENABLED": False, "WIREDESK_PROGRESS": False}
        )
        report = run_crawl(newsroom.sources(), settings)
    _print_report(report)
    query = (
        "SELECT s.id AS story, a.source, a.title, a.agency FROM articles a "
        "JOIN stories s ON s.id = a.story_id ORDER BY s.id, a.id"
    )
    click.echo(f'\ndatabase: {db_url}\n$ wiredesk sql "{query}" --db {db_url}', err=True)
    result = run_query(db_url, query)
    print_rows(result.columns, result.rows, None)


@cli.command()
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
@database_errors
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
    from crawler.daemon import DaemonConfig, LockLost, ScheduleError, run_once, serve
    from crawler.sources import SourcesError, load_sources, select_sources
    from storage.daemonlock import LockHeld
    from storage.engine import check_connection, database_url
    from storage.schema import upgrade

    _parse_overrides(overrides)
    try:
        chosen = select_sources(load_sources(sources_file), list(names))
        config = DaemonConfig(
            database_url(db_url), sources_file, crawl_timeout, grace, list(overrides), log_format
        )
        engine = make_engine(config.db_url)
        check_connection(engine)
        upgrade(engine)
        engine.dispose()
        if once:
            sys.exit(0 if run_once(chosen, config, wait) else 1)
        serve(chosen, config, wait)
    except LockHeld as error:
        raise click.ClickException(f"{error}; stop it first, or start this one with --wait") from error
    except (SourcesError, DatabaseUnavailable, ScheduleError, LockLost) as error:
        raise click.ClickException(str(error)) from error


@cli.command()
@database_option
@click.option("--source", help="Only this source's runs.")
@click.option("--failed", is_flag=True, help="Only runs that did not finish well.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@output_format_options
@database_errors
def runs(db_url: str | None, source: str | None, failed: bool, limit: int, fmt: str | None) -> None:
    """Show recent crawl runs: when, how they ended, and their figures.

    Example: wiredesk runs --source apnews --failed
    """
    from storage.runs import list_runs

    rows = list_runs(make_engine(db_url, read_only=True), source, failed, limit)
    print_rows(
        [
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
        ],
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


@cli.command()
@database_option
@output_format_options
@database_errors
def status(db_url: str | None, fmt: str | None) -> None:
    """Each scheduled source's next run and the outcome of its last one, and whether a daemon runs.

    Next runs happen only while `wiredesk daemon` runs: a line on stderr says when none does.

    Example: wiredesk status --db postgresql+psycopg://wiredesk@db/news
    """
    from crawler.daemon import next_runs
    from storage.runs import last_runs

    engine = make_engine(db_url, read_only=True)
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


@cli.command("reclean")
@database_option
@click.option("--source", help="Only this source's articles.")
@click.option("--site", help="Only this site's articles (a host or a domain, subdomains included).")
@click.option("--since", type=click.DateTime(), help="Only articles fetched since (UTC).")
@click.option("--all", "everything", is_flag=True, help="Every article (when no filter is given).")
@click.option("--rules", "rules_file", envvar="WIREDESK_CLEAN_RULES", help="Your own per-site rules (TOML).")
@database_errors
def reclean_command(
    db_url: str | None,
    source: str | None,
    site: str | None,
    since: datetime | None,
    everything: bool,
    rules_file: str | None,
) -> None:
    """Clean stored raw pages again with today's cleaner and each site's memory; store what changed.

    Example: wiredesk reclean --site example.com --since 2024-12-01
    """
    from crawler.reclean import reclean_command_run

    click.echo(reclean_command_run(db_url, source, site, since, everything, rules_file).line())


@cli.command("import")
@click.argument("inputs", nargs=-1, required=True, metavar="FILE_OR_URL...")
@database_option
@click.option("--source", help="Store every article under this source name (default: its site).")
@click.option(
    "--site", "sites", multiple=True, metavar="GLOB", help="Only pages of sites matching (repeatable)."
)
@click.option(
    "--since", type=click.DateTime(_DATES), help="Only records dated (WARC-Date) on or after this (UTC)."
)
@click.option("--until", type=click.DateTime(_DATES), help="Only records dated before this (UTC).")
@click.option(
    "--lang", "languages", multiple=True, metavar="CODE", help="Only articles in this language (repeatable)."
)
@click.option("--workers", type=click.IntRange(min=0), help="Cleaning processes (default: one per core).")
@click.option("--prefix", default=None, metavar="URL", help="Base URL of a listing's relative paths.")
@redis_option
@settings_option
@click.option(
    "--report", "report_file", type=click.Path(dir_okay=False), help="Also write the figures as JSON here."
)
@database_errors
def import_command(
    inputs: tuple[str, ...],
    db_url: str | None,
    source: str | None,
    sites: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    languages: tuple[str, ...],
    workers: int | None,
    prefix: str | None,
    redis_url: str | None,
    overrides: tuple[str, ...],
    report_file: str | None,
) -> None:
    """Import WARC files (.warc, .warc.gz; paths, URLs, or listings of them) into the corpus.

    Each HTML page goes through the crawl's cleaning, dedup and storage; a re-run resumes each file
    where it stopped. With --redis (WIREDESK_REDIS) the files are queued for `wiredesk worker`s.
    See docs/archives.md.

    Example: wiredesk import CC-NEWS-20240101000000-00001.warc.gz --site '*.apnews.com' --lang en
    """
    from redis.exceptions import RedisError

    from cleaner.rules import RulesError
    from crawler.archive import ArchiveInputError, ImportStopped, import_archives, import_exit_status
    from crawler.run import report_figures

    try:
        report = import_archives(
            list(inputs),
            db_url,
            _with_redis(_parse_overrides(overrides), redis_url),
            source=source,
            sites=sites,
            since=since.replace(tzinfo=UTC) if since else None,
            until=until.replace(tzinfo=UTC) if until else None,
            languages=languages,
            workers=workers,
            prefix=prefix,
        )
    except (ArchiveInputError, ImportStopped, DatabaseUnavailable, RulesError, RedisError) as error:
        raise click.ClickException(str(error)) from error
    if report is None:
        return  # queued for workers
    if report_file:
        Path(report_file).write_text(json.dumps(report_figures(report)), encoding="utf-8")
    sys.exit(import_exit_status(report))


@cli.command("page")
@click.argument("url")
@database_option
@click.option(
    "--revision",
    type=click.IntRange(min=1),
    metavar="N",
    help="The page revision N of the article was cleaned from.",
)
@database_errors
def page_command(url: str, db_url: str | None, revision: int | None) -> None:
    """Print a stored page's raw HTML, the bytes as fetched, to debug the cleaner.

    URL is any URL that led to the page (requested, redirected to, or the article's); without
    --revision the most recent page, a failed one included.

    Example: wiredesk page https://example.com/news/a.html --revision 1 > a.html
    """
    from storage.rawpage import PageNotFound, stored_page

    try:
        page = stored_page(make_engine(db_url, read_only=True), url, revision)
    except PageNotFound as error:
        raise click.ClickException(str(error)) from error
    sys.stdout.buffer.write(page.body)
    sys.stdout.buffer.flush()


@cli.command("serve")
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


def main() -> None:
    """Console-script entry point: click's own handling, except that Ctrl-C is one line and exit
    status 130 (as a shell reports SIGINT), where click would say "Aborted!" and exit 1."""
    try:
        status = cli.main(prog_name="wiredesk", standalone_mode=False)
    except click.Abort:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except BrokenPipeError:
        # The reader went away (`wiredesk sql ... | head`): nothing more to say, and nobody to say it to.
        sys.stderr.close()
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)
