"""The commands that run the cleaner: `clean` (one page, to see what it does) and `reclean` (the stored
pages again, with today's cleaner)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawler.commands.common import (
    database_option,
    db_option,
    migrated_engine,
    read_only_engine,
    rules_option,
)
from crawler.settings import DOWNLOAD_MAXSIZE as MAX_PAGE_BYTES
from crawler.settings import WIREDESK_CLEAN_TIME_LIMIT as CLEAN_TIME_LIMIT
from crawler.settings_registry import BY_NAME, user_agent
from crawler.urlpolicy import fetch, mask_credentials

if TYPE_CHECKING:
    from rich.console import Console

    from cleaner import CleanArticle
    from crawler.reclean import RecleanReport


@click.command("clean")
@click.argument("page")
@click.option("--url", "page_url", help="The page's URL, when PAGE is a file (helps metadata).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole clean article as JSON.")
@click.option("--explain", is_flag=True, help="Show what was kept and what was removed, and why.")
@rules_option
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0),
    envvar="WIREDESK_CLEAN_TIME_LIMIT",
    default=CLEAN_TIME_LIMIT,
    show_default=True,
    help="Give up after this many seconds of cleaning, as a crawl does (0: no limit) "
    "[env WIREDESK_CLEAN_TIME_LIMIT].",
)
@db_option(
    "memory_db",
    envvar=None,
    help="Clean with the site memory (learnt furniture) this corpus holds for the page's site.",
)
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
    from crawler.cleaning import TIME_LIMIT, clean_in_time, site_rules

    options = CleanOptions(site_rules=site_rules(rules_file))
    body, url = _read_page(page)
    furniture = _site_furniture(memory_db, page_url or url)
    article = clean_in_time(body, page_url or url, None, time_limit, options, furniture)  # type: ignore[arg-type]
    if (article.error or "").startswith(TIME_LIMIT):
        raise click.ClickException(
            f"gave up: {article.error}; raise --time-limit (or WIREDESK_CLEAN_TIME_LIMIT) to wait longer"
        )
    if as_json:
        click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
    elif explain:
        print_explanation(article)
    elif article.found:
        click.echo(f"{article.title}\n\n{article.text}" if article.title else article.text)
    if not article.found:
        raise click.ClickException(f"no article: {article.error}")


def _read_page(page: str) -> tuple[bytes, str | None]:
    """The page's bytes, and its URL when it was fetched: from standard input, a URL or a file."""
    if page == "-":
        return sys.stdin.buffer.read(), None
    if "://" in page:
        try:
            agent = user_agent(BY_NAME["WIREDESK_CONTACT"].value())
            return fetch(page, user_agent=agent, max_bytes=MAX_PAGE_BYTES)
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


def print_explanation(article: CleanArticle, console: Console | None = None) -> None:
    """The article's fields (those of `clean --json` but the text), then the text kept and the blocks
    removed with their reasons. The page's text is never read as markup."""
    from rich.console import Console

    console = console or Console(highlight=False)
    for fields in _explained_fields(article):
        _print_fields(console, fields)
    if article.summary:
        _print_labelled(console, "summary", article.summary, "bold")
    for image in article.images:
        caption = image.get("caption")
        _print_labelled(
            console, "image", f"{image['url']} ({caption})" if caption else f"{image['url']}", "bold"
        )
    console.rule("kept")
    console.print(article.text or f"(nothing: {article.error})", markup=False, soft_wrap=True)
    console.rule("removed")
    for block in article.removed:
        _print_labelled(console, block.reason, block.text, "yellow")
    for caption in article.captions:
        _print_labelled(console, "caption", caption, "cyan")


def _explained_fields(article: CleanArticle) -> list[dict[str, Any]]:
    """The one-line fields, a line per group, labelled with their `clean --json` names."""
    return [
        {
            "title": article.title,
            "authors": ", ".join(article.authors),
            "agency": article.agency,
            "dateline": article.dateline,
        },
        {
            "published": article.published,
            "language": article.language,
            "language_detected": _yes_no(article.language_detected),
            "free_access": _yes_no(article.free_access),
        },
        {"top_image": article.top_image, "keywords": ", ".join(article.keywords)},
    ]


def _yes_no(flag: bool | None) -> str | None:
    return None if flag is None else ("yes" if flag else "no")


def _print_fields(console: Console, fields: dict[str, Any]) -> None:
    from rich.markup import escape

    console.print(
        "   ".join(f"[bold]{name}[/bold]: {escape(str(value or '-'))}" for name, value in fields.items()),
        soft_wrap=True,
    )


def _print_labelled(console: Console, label: str, text: str, style: str) -> None:
    """`label: text`, the label styled, the text printed as it is (never markup)."""
    from rich.markup import escape

    console.print(f"[{style}]{escape(label)}[/{style}]: ", end="")
    console.print(text, markup=False, soft_wrap=True)


@click.command("reclean")
@database_option
@click.option("--source", help="Only this source's articles.")
@click.option("--site", help="Only this site's articles (a host or a domain, subdomains included).")
@click.option("--since", type=click.DateTime(), help="Only articles fetched since (UTC).")
@click.option("--all", "everything", is_flag=True, help="Every article (when no filter is given).")
@rules_option
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
    from cleaner import CleanOptions
    from crawler.cleaning import site_rules
    from crawler.reclean import reclean
    from storage.reclean import Selection

    if not (source or site or since or everything):
        raise click.UsageError("choose articles with --source, --site or --since, or give --all")
    options = CleanOptions(site_rules=site_rules(rules_file))
    selection = Selection(source, site, since.replace(tzinfo=UTC) if since else None)
    engine = migrated_engine(db_url)
    try:
        report = reclean(engine, selection, options, CLEAN_TIME_LIMIT, _show_progress)
    finally:
        engine.dispose()
    click.echo(report.line())


def _show_progress(report: RecleanReport) -> None:
    if sys.stderr.isatty():
        print(f"\r{report.line()}", end="", file=sys.stderr, flush=True)


def _site_furniture(db_url: str | None, url: str | None) -> frozenset[str]:
    """`wiredesk clean --db`: the memory of the page's site, read-only (none without --db)."""
    if db_url is None:
        return frozenset()
    if not url:
        raise click.UsageError("--db needs the page's URL: give a URL, or --url with a file")
    from storage.sitememory import SiteMemory, registered_site

    engine = read_only_engine(db_url)
    try:
        return SiteMemory(engine).furniture(registered_site(url))
    finally:
        engine.dispose()
