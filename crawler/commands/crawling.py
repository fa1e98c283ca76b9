"""The commands that fill the corpus: `crawl`, `worker`, `demo` (Scrapy's reactor, once per process)
and `import` (WARC files through the crawl's cleaning and storage)."""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from crawler.cli import EXIT_INTERRUPTED, INTERRUPTED, exit_at_once_on_interrupt
from crawler.commands.common import (
    DATES,
    database_option,
    db_option,
    parse_overrides,
    print_report,
    redis_option,
    report_option,
    settings_option,
    sources_option,
    verbose_option,
    with_redis,
    write_text,
)
from crawler.output import print_rows
from crawler.urlpolicy import start_url_problem

# Ctrl-C before Scrapy's reactor runs (and has its own handler): the process ends at once.
BEFORE_THE_CRAWL = f"{INTERRUPTED} before the crawl started: nothing was fetched"
DURING_AN_IMPORT = (
    f"{INTERRUPTED}: every batch committed is kept; run the same command again to resume where it stopped"
)


@click.command()
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
    "--since", type=click.DateTime(DATES), help="Skip feed and sitemap entries dated before this date (UTC)."
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
@report_option
@click.option(
    "--warc",
    "warc_dir",
    type=click.Path(file_okay=False),
    help="Also write every response fetched into gzipped WARC files here ($WIREDESK_WARC_DIR).",
)
@verbose_option
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
    with exit_at_once_on_interrupt(BEFORE_THE_CRAWL):  # importing Scrapy may swallow a KeyboardInterrupt
        from crawler.run import crawl_settings, exit_status

    chosen = _chosen_sources(sources, urls, sources_file, all_sources)
    settings = crawl_settings(
        db_url, max_articles, with_redis(parse_overrides(overrides), redis_url), verbose
    )
    if jobdir or resume:
        settings.set("JOBDIR", jobdir or _default_jobdir(chosen), priority="cmdline")
    bound = _since(since, days)
    if bound is not None:
        settings.set("WIREDESK_SINCE", bound.isoformat(), priority="cmdline")
    if warc_dir:
        settings.set("WIREDESK_WARC_DIR", warc_dir, priority="cmdline")
    report = _run_crawl(chosen, settings)
    print_report(report)
    if report_file:
        write_text(report_file, json.dumps(report.figures()))
    if _interrupted(report):
        how = "run the same command with --resume" if (jobdir or resume) else "crawl with --resume next time"
        click.echo(f"{INTERRUPTED}: what was stored is kept; to go on where it stopped, {how}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(exit_status(report))


def _run_crawl(chosen: list[Any], settings: Any, worker: bool = False) -> Any:
    """crawler.run.run_crawl, with Ctrl-C ending the process at once until the crawl has started."""
    with exit_at_once_on_interrupt(BEFORE_THE_CRAWL):
        from crawler.run import run_crawl

        return run_crawl(chosen, settings, worker=worker)


def _interrupted(report: Any) -> bool:
    """Stopped by Ctrl-C (or SIGTERM): Scrapy finishes the crawl cleanly with reason "shutdown"."""
    return bool(report.finish_reason == "shutdown")


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


def _default_jobdir(chosen: list[Any]) -> str:
    names = "-".join(sorted(source.name for source in chosen))[:80]
    return str(Path(".wiredesk") / "jobs" / names)


def _since(since: datetime | None, days: int | None) -> datetime | None:
    if since is not None and days is not None:
        raise click.UsageError("give --since or --days, not both")
    if days is not None:
        return datetime.now(UTC) - timedelta(days=days)
    return since.replace(tzinfo=UTC) if since is not None else None


@click.command()
@database_option
@redis_option
@click.option(
    "--idle",
    type=float,
    default=30.0,
    show_default=True,
    help="Leave after the shared queue has been empty this many seconds (longer than the "
    "WIREDESK_WORKER_IDLE a crawl's own process waits: a worker outlives the crawls that feed it).",
)
@settings_option
@verbose_option
def worker(
    db_url: str | None, redis_url: str | None, idle: float, overrides: tuple[str, ...], verbose: bool
) -> None:
    """Join a shared crawl: take requests from Redis, store into the shared database.

    Start as many as you like, on as many hosts; seed the crawl with `wiredesk crawl --redis URL SOURCE`.
    WARC files queued by `wiredesk import --redis URL` are imported first (docs/archives.md).

    Example: wiredesk worker --redis redis://queue:6379/0 --db postgresql+psycopg://wiredesk@db/news
    """
    if not redis_url:
        raise click.UsageError("a worker needs --redis URL (or WIREDESK_REDIS)")
    with exit_at_once_on_interrupt(BEFORE_THE_CRAWL):  # importing Scrapy may swallow a KeyboardInterrupt
        from crawler.archive import import_exit_status, import_queued
        from crawler.run import crawl_settings, exit_status

    extra = {**parse_overrides(overrides), "WIREDESK_WORKER_IDLE": idle}
    settings = crawl_settings(db_url, None, with_redis(extra, redis_url), verbose)
    with exit_at_once_on_interrupt(DURING_AN_IMPORT):
        imported = import_queued(settings)
    report = _run_crawl([], settings, worker=True)
    print_report(report)
    if _interrupted(report):
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(max(exit_status(report), import_exit_status(imported) if imported else 0))


@click.command()
@db_option(
    envvar=None,
    help="Where to store the demo corpus. Default: a fresh SQLite file in a new temporary directory.",
)
def demo(db_url: str | None) -> None:
    """Crawl the bundled offline newsroom (three publishers on loopback) into a fresh SQLite file.

    Example: wiredesk demo
    """
    from crawler.newsroom import Newsroom
    from crawler.run import crawl_settings
    from storage.readonly import run_query

    if db_url is None:
        db_url = f"sqlite:///{tempfile.mkdtemp(prefix='wiredesk-demo-')}/demo.db"
    with Newsroom() as newsroom:
        click.echo(
            f"serving the demo newsroom on {', '.join(site.url('/') for site in newsroom.sites)}", err=True
        )
        settings = crawl_settings(
            db_url, overrides={"AUTOTHROTTLE_ENABLED": False, "WIREDESK_PROGRESS": False}
        )
        report = _run_crawl(newsroom.sources(), settings)
    print_report(report)
    query = (
        "SELECT s.id AS story, a.source, a.title, a.agency FROM articles a "
        "JOIN stories s ON s.id = a.story_id ORDER BY s.id, a.id"
    )
    click.echo(f'\ndatabase: {db_url}\n$ wiredesk sql "{query}" --db {db_url}', err=True)
    result = run_query(db_url, query)
    print_rows(result.columns, result.rows, None)


@click.command("import")
@click.argument("inputs", nargs=-1, required=True, metavar="FILE_OR_URL...")
@database_option
@click.option("--source", help="Store every article under this source name (default: its site).")
@click.option(
    "--site", "sites", multiple=True, metavar="GLOB", help="Only pages of sites matching (repeatable)."
)
@click.option(
    "--since", type=click.DateTime(DATES), help="Only records dated (WARC-Date) on or after this (UTC)."
)
@click.option("--until", type=click.DateTime(DATES), help="Only records dated before this (UTC).")
@click.option(
    "--lang", "languages", multiple=True, metavar="CODE", help="Only articles in this language (repeatable)."
)
@click.option("--workers", type=click.IntRange(min=0), help="Cleaning processes (default: one per core).")
@click.option("--prefix", default=None, metavar="URL", help="Base URL of a listing's relative paths.")
@redis_option
@settings_option
@report_option
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
    with exit_at_once_on_interrupt(DURING_AN_IMPORT):
        from crawler.archive import import_archives, import_exit_status

        report = import_archives(
            list(inputs),
            db_url,
            with_redis(parse_overrides(overrides), redis_url),
            source=source,
            sites=sites,
            since=since.replace(tzinfo=UTC) if since else None,
            until=until.replace(tzinfo=UTC) if until else None,
            languages=languages,
            workers=workers,
            prefix=prefix,
        )
    if report is None:
        return  # queued for workers
    if report_file:
        write_text(report_file, json.dumps(report.figures()))
    sys.exit(import_exit_status(report))
