"""Printing query results and crawl reports: table (rich), CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from crawler.pipelines import SPOOL_FAILED
from crawler.progress import LOST_PREFIX, REPLAY_PREFIX, SKIP_LABELS, SKIPPED_PREFIX, not_fetched
from crawler.run import CrawlReport


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    return value


def print_rows(
    columns: list[str], rows: Iterable[tuple[Any, ...]], fmt: str, stream: TextIO = sys.stdout
) -> None:
    """Rows in the chosen format; JSON is an array of objects keyed by column name.

    JSON and CSV are written row by row as `rows` yields them, so a long result is never held in
    memory; a table needs every row to size its columns (`wiredesk sql` caps them).
    """
    if fmt == "json":
        stream.write("[")
        for index, row in enumerate(rows):
            stream.write(",\n  " if index else "\n  ")
            record = dict(zip(columns, map(_plain, row), strict=True))
            stream.write(json.dumps(record, ensure_ascii=False, default=str))
        stream.write("\n]\n")
    elif fmt == "csv":
        writer = csv.writer(stream)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_plain(v) for v in row])
    else:
        table = Table(*columns, show_lines=False)
        for row in rows:
            table.add_row(*(_cell(value) for value in row))
        Console(file=stream).print(table)


def _cell(value: Any) -> str:
    text = "" if value is None else str(_plain(value))
    return text if len(text) <= 200 else text[:199] + "…"


def print_report(report: CrawlReport, console: Console) -> None:
    """The end-of-crawl summary: a row per source, then one line per kind of trouble, losses last.

    The last line is what a daemon's run record keeps as its message.
    """
    table = Table(title="crawl summary")
    table.add_column("source", overflow="fold")
    for column in ("fetched", "new", "copies", "dups", "revisions", "same", "errors"):
        table.add_column(column, justify="right", no_wrap=True)
    for name, src in report.sources.items():
        outcome = src.outcomes.get
        errors = str(sum(src.errors.values()))
        table.add_row(
            name,
            str(src.fetched),
            *(str(outcome(key, 0)) for key in ("new", "copy", "duplicate", "revision", "unchanged")),
            f"[red]{errors}[/red]" if src.failed else errors,
        )
    console.print(table)
    console.print(report.counts.line(report.elapsed) + f" · {report.elapsed:.1f}s · {report.finish_reason}")
    for name, src in report.sources.items():
        if src.errors:
            console.print(f"{name} errors: {_tally(src.errors)}", soft_wrap=True)
    skipped = {SKIP_LABELS.get(reason, reason): count for reason, count in not_fetched(report.stats).items()}
    if skipped:
        console.print(f"skipped: {_tally(skipped)}", soft_wrap=True)
    no_article = _prefixed(report.stats, SKIPPED_PREFIX)
    if no_article:
        console.print(f"no article (fetched, not stored): {_tally(no_article)}", soft_wrap=True)
    replayed = _prefixed(report.stats, REPLAY_PREFIX)
    if replayed:
        console.print(f"spooled articles written back: {_tally(replayed)}", soft_wrap=True)
    if report.counts.spooled:
        console.print(
            f"[yellow]{report.counts.spooled} articles spooled[/yellow]: the database was unreachable; "
            "those not written back above are written at the next crawl or by `wiredesk replay`"
        )
    not_modified = report.stats.get("wiredesk/listing/not_modified", 0)
    if not_modified:
        console.print(f"listings unchanged since the last crawl (HTTP 304): {not_modified}")
    failed = [name for name, src in report.sources.items() if src.failed]
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/red] (nothing fetched; see the errors above)")
    if report.finish_reason == SPOOL_FAILED:
        error = report.stats.get("wiredesk/spool_error")
        console.print(f"[red]stopped[/red]: cannot spool articles while the database is away: {error}")
    lost = _prefixed(report.stats, LOST_PREFIX)
    if report.counts.replay_failed:
        lost["spooled, then refused (quarantined)"] = report.counts.replay_failed
    if lost:
        console.print(
            f"[red]articles lost to errors: {sum(lost.values())}[/red] ({_tally(lost)}; kept as failed "
            "pages where the database could take them, and the log names them)",
            soft_wrap=True,
        )


def _prefixed(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {key.removeprefix(prefix): int(value) for key, value in stats.items() if key.startswith(prefix)}


def _tally(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} ×{count}" for kind, count in sorted(counts.items()))
