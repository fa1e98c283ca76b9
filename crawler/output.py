"""Printing query results and crawl reports: table (rich), CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from crawler.run import CrawlReport


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    return value


def print_rows(
    columns: list[str], rows: list[tuple[Any, ...]], fmt: str, stream: TextIO = sys.stdout
) -> None:
    """Rows in the chosen format; JSON is an array of objects keyed by column name."""
    if fmt == "json":
        json.dump(
            [dict(zip(columns, map(_plain, row), strict=True)) for row in rows],
            stream,
            ensure_ascii=False,
            indent=2,
            default=str,
        )
        stream.write("\n")
    elif fmt == "csv":
        writer = csv.writer(stream)
        writer.writerow(columns)
        writer.writerows([_plain(v) for v in row] for row in rows)
    else:
        table = Table(*columns, show_lines=False)
        for row in rows:
            table.add_row(*(_cell(value) for value in row))
        Console(file=stream).print(table)


def _cell(value: Any) -> str:
    text = "" if value is None else str(_plain(value))
    return text if len(text) <= 200 else text[:199] + "…"


def print_report(report: CrawlReport, console: Console) -> None:
    """The end-of-crawl summary: totals, then one row per source with what failed."""
    table = Table(
        "source", "fetched", "new", "copies", "dups", "revs", "same", "errors", title="crawl summary"
    )
    for name, src in report.sources.items():
        errors = ", ".join(f"{kind} ×{count}" for kind, count in sorted(src.errors.items())) or "-"
        outcome = src.outcomes.get
        table.add_row(
            name,
            str(src.fetched),
            str(outcome("new", 0)),
            str(outcome("copy", 0)),
            str(outcome("duplicate", 0)),
            str(outcome("revision", 0)),
            str(outcome("unchanged", 0)),
            f"[red]{errors}[/red]" if src.failed else errors,
        )
    console.print(table)
    console.print(report.counts.line(report.elapsed) + f" · {report.elapsed:.1f}s · {report.finish_reason}")
    skipped = {
        k.split("/", 2)[2]: v
        for k, v in report.stats.items()
        if k.startswith(("wiredesk/skip/", "wiredesk/drop/"))
    }
    if skipped:
        console.print(
            "not fetched: " + ", ".join(f"{reason} ×{count}" for reason, count in sorted(skipped.items()))
        )
    spooled_count = report.stats.get("wiredesk/store/spooled", 0) - report.stats.get(
        "wiredesk/store/replayed", 0
    )
    if spooled_count > 0:
        console.print(
            f"[yellow]{spooled_count} articles spooled[/yellow]: the database was unreachable; "
            "they are written at the next crawl or by `wiredesk replay`"
        )
    not_modified = report.stats.get("wiredesk/listing/not_modified", 0)
    if not_modified:
        console.print(f"listings unchanged since the last crawl (HTTP 304): {not_modified}")
    failed = [name for name, src in report.sources.items() if src.failed]
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/red] (nothing fetched; see errors above)")
