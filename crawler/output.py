"""Printing query results and crawl reports, the way sqlite-utils and datasette users expect.

Tables on a terminal, plain text in a pipe: with no format chosen, rows are a table when stdout is
a terminal and tab-separated values when it is not, so `wiredesk sql ... | cut -f2` works and no
box drawing ends up in a file. Text from the corpus is never read as Rich markup: a title such as
"[update] Storm" or a search snippet's "[ferries]" prints as it is stored.

This module imports no part of the crawl (Scrapy, the pipelines, the cleaner): every command
prints through it, and commands that only read the corpus must start fast (issue 22).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TextIO

import click

from storage.records import Outcome

if TYPE_CHECKING:
    from rich.console import Console

    from crawler.report import CrawlReport

# Every format `print_rows` writes; "nl" is newline-delimited JSON (one object per line).
ROW_FORMATS = ("table", "tsv", "csv", "json", "nl")
# The summary's row for pages fetched for no source (robots.txt): without it the rows would not
# add up to the "fetched N" of the line below them.
UNATTRIBUTED = "(robots.txt, no source)"
# The store outcomes of the summary's columns new, copies, dups, revisions, same.
# The summary's columns after `new`, which counts copies too (`SourceReport.new`), as the line below it does.
SUMMARY_OUTCOMES = (Outcome.COPY, Outcome.DUPLICATE, Outcome.REVISION, Outcome.UNCHANGED)
# A table cell longer than this is cut (with "…"); the other formats keep every character.
MAX_CELL_CHARS = 200


def output_format_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--format` and its shorthands `--table/--tsv/--csv/--json/--nl`, all into `fmt`.

    `fmt` is None when the user chose nothing: `print_rows` then picks a table for a terminal and
    tab-separated values for a pipe.
    """
    shorthands = {
        "nl": "Newline-delimited JSON: one object per line.",
        "json": "A JSON array of objects.",
        "csv": "Comma-separated values with a header line.",
        "tsv": "Tab-separated values with a header line (the default when stdout is not a terminal).",
        "table": "A table (the default on a terminal).",
    }
    for name, help_text in shorthands.items():
        command = click.option(f"--{name}", "fmt", flag_value=name, help=help_text)(command)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(ROW_FORMATS),
        default=None,
        help="Output format. Default: table on a terminal, tsv otherwise.",
    )(command)


def chosen_format(fmt: str | None, stream: TextIO) -> str:
    """The format to write: the one asked for, else a table on a terminal and TSV elsewhere."""
    if fmt:
        return fmt
    return "table" if _is_terminal(stream) else "tsv"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    return value


def _flat(value: Any) -> Any:
    """A value for a text cell: lists and objects (JSON columns) as JSON, not Python reprs."""
    value = _plain(value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def print_rows(
    columns: list[str], rows: Iterable[tuple[Any, ...]], fmt: str | None, stream: TextIO | None = None
) -> None:
    """Rows in the chosen format (None: see `chosen_format`); JSON keys are the column names.

    JSON, JSON lines, CSV and TSV are written row by row as `rows` yields them, so a long result is
    never held in memory; a table needs every row to size its columns (`wiredesk sql` caps them).
    """
    stream = stream or sys.stdout
    fmt = chosen_format(fmt, stream)
    if fmt in ("json", "nl"):
        _write_json(columns, rows, stream, lines=fmt == "nl")
    elif fmt in ("csv", "tsv"):
        writer = csv.writer(stream, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_flat(v) for v in row])
    else:
        _write_table(columns, rows, stream)


def _write_json(columns: list[str], rows: Iterable[tuple[Any, ...]], stream: TextIO, lines: bool) -> None:
    if not lines:
        stream.write("[")
    for index, row in enumerate(rows):
        if not lines:
            stream.write(",\n  " if index else "\n  ")
        record = dict(zip(columns, map(_plain, row), strict=True))
        stream.write(json.dumps(record, ensure_ascii=False, default=str))
        if lines:
            stream.write("\n")
    if not lines:
        stream.write("\n]\n")


def _write_table(columns: list[str], rows: Iterable[tuple[Any, ...]], stream: TextIO) -> None:
    """A Rich table whose every header and cell is plain Text (never markup); ASCII lines in a pipe."""
    from rich import box
    from rich.console import Console
    from rich.table import Column, Table
    from rich.text import Text

    terminal = _is_terminal(stream)
    headers = (Column(header=Text(column)) for column in columns)
    table = Table(*headers, box=box.HEAVY_HEAD if terminal else box.ASCII)
    for row in rows:
        table.add_row(*(Text(_cell(value)) for value in row))
    Console(file=stream, width=None if terminal else 200).print(table)


def _cell(value: Any) -> str:
    text = "" if value is None else str(_flat(value))
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def print_report(report: CrawlReport, console: Console) -> None:
    """The end-of-crawl summary: a row per source, then one line per kind of trouble, losses last.

    The last line is what a daemon's run record keeps as its message. Source names, error kinds and
    messages are printed as text, never as markup.
    """
    from rich.markup import escape
    from rich.table import Table

    from crawler.report import LossKind

    table = Table(title="crawl summary")
    table.add_column("source", overflow="fold")
    for column in ("fetched", "new", "copies", "dups", "revisions", "same", "errors"):
        table.add_column(column, justify="right", no_wrap=True)
    for name, src in report.sources.items():
        errors = str(src.errors.total())
        table.add_row(
            escape(name),
            str(src.fetched),
            str(src.new),
            *(str(src.outcomes[outcome]) for outcome in SUMMARY_OUTCOMES),
            f"[red]{errors}[/red]" if src.failed else errors,
        )
    unattributed = report.fetched - sum(src.fetched for src in report.sources.values())
    if unattributed > 0:  # Scrapy's own requests, robots.txt above all: the rows add up to the line
        table.add_row(UNATTRIBUTED, str(unattributed), *("" for _ in range(6)))
    console.print(table)
    say = _plain_printer(console)
    say(report.line(report.elapsed) + f" · {report.elapsed:.1f}s · {report.finish_reason}")
    for name, src in report.sources.items():
        if src.errors:
            say(f"{name} errors: {_tally(src.errors)}")
    skipped = {reason.label: count for reason, count in report.skipped.items() if count > 0}
    if skipped:
        say(f"skipped: {_tally(skipped)}")
    if report.no_article:
        say(f"no article (fetched, not stored): {_tally(report.no_article)}")
    if report.replayed:
        say(f"spooled articles written back: {_tally(report.replayed)}")
    if report.spooled:
        console.print(
            f"[yellow]{report.spooled} articles spooled[/yellow]: the database was unreachable; "
            "those not written back above are written at the next crawl or by `wiredesk replay`"
        )
    if report.listings_not_modified:
        say(f"listings unchanged since the last crawl (HTTP 304): {report.listings_not_modified}")
    if report.listings:
        older = f"; older feed pages asked for: {report.older_feed_pages}" if report.older_feed_pages else ""
        say(f"listings read: {_tally(report.listings)}{older}")
    if report.database_unavailable:
        say(
            f"database unavailable to {report.database_unavailable} corpus questions: their URLs were"
            " fetched as if nothing was stored"
        )
    failed = [name for name, src in report.sources.items() if src.failed]
    if failed:
        console.print(
            f"[red]failed: {escape(', '.join(failed))}[/red] (nothing fetched; see the errors above)"
        )
    if report.finish_reason == LossKind.SPOOL_FAILED:
        console.print(
            f"[red]stopped[/red]: cannot spool articles while the database is away: "
            f"{escape(str(report.spool_error))}"
        )
    lost: dict[str, int] = dict(report.lost)
    if report.replay_failed:
        lost["spooled, then refused (quarantined)"] = report.replay_failed
    if lost:
        console.print(
            f"[red]articles lost to errors: {sum(lost.values())}[/red] ({escape(_tally(lost))}; kept as "
            "failed pages where the database could take them, and the log names them)",
            soft_wrap=True,
        )


def _plain_printer(console: Console) -> Callable[[str], None]:
    """Print one line of plain text (no markup), wrapped softly."""

    def say(line: str) -> None:
        console.print(line, markup=False, soft_wrap=True, highlight=False)

    return say


def _tally(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{kind} ×{count}" for kind, count in sorted(counts.items()))
