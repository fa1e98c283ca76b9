"""Export the corpus's articles as JSON Lines, CSV or Parquet, streaming in constant memory.

Rows are read by key in chunks of CHUNK rows (storage/keyset.py) and written as they come, so a
corpus of any size exports with the memory of one chunk. A row that cannot be read (text not
UTF-8, a JSON column not JSON) or written (a value its Parquet column cannot hold) is handed to
the caller's `unreadable` with its id and why, and the others are exported.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Select, func, select

from storage.engine import make_engine
from storage.keyset import Report, Unreadable, about_the_row, read_rows
from storage.models import Article

CHUNK = 1000
FORMATS = ("jsonl", "csv", "parquet")
# Columns holding JSON lists: CSV cells carry them as JSON text.
_JSON_COLUMNS = frozenset({"authors", "images", "keywords"})
COLUMNS = (
    "id",
    "url",
    "source",
    "site",
    "story_id",
    "title",
    "summary",
    "authors",
    "agency",
    "dateline",
    "published_at",
    "modified_at",
    "language",
    "language_detected",
    "top_image",
    "images",
    "keywords",
    "free_access",
    "text",
    "revision_count",
    "first_fetched_at",
    "last_fetched_at",
    "declared_original",
)
"""`declared_original` (the wire's page a republished copy names) was left out of every export:
the one record, outside the database, of which article a copy says it republishes."""


class ExportError(RuntimeError):
    """The export cannot be done as asked (unknown format, Parquet support missing)."""


def article_query(since: datetime | None = None, source: str | None = None) -> Select[Any]:
    """The articles to export, optionally from a date and one source (read in id order)."""
    query = select(*(getattr(Article, name) for name in COLUMNS))
    if since is not None:
        query = query.where(Article.first_fetched_at >= since)
    if source is not None:
        query = query.where(Article.source == source)
    return query


def export_articles(
    db_url: str | None,
    fmt: str,
    output: Path | IO[str],
    since: datetime | None = None,
    source: str | None = None,
    progress: Callable[[int], None] | None = None,
    unreadable: Report | None = None,
) -> int:
    """Write the selected articles to `output` (a file, or an open text stream such as stdout for the
    text formats) in `fmt`; return how many. `progress(n)` after each chunk.

    A row that cannot be read or written goes to `unreadable` and is skipped; without one, it
    raises `UnreadableRow` (an export never leaves a row out unsaid)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "parquet" and not isinstance(output, Path):
        raise ExportError("Parquet is a binary file format: write it to a file (-o corpus.parquet)")
    writer = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}[fmt]
    report = unreadable or _raise
    engine = make_engine(db_url, read_only=True)
    try:
        with engine.connect() as connection, _replaced_when_done(output) as target:
            rows = read_rows(connection, article_query(since, source), Article.__table__.c.id, CHUNK, report)
            return writer(target, _chunks(rows, progress), report)
    finally:
        engine.dispose()


class UnreadableRow(ExportError):
    """A row the export could not read or write, and no `unreadable` to report it to."""


def _raise(row: Unreadable) -> None:
    raise UnreadableRow(f"article {row.key}: {row.reason}")


@contextmanager
def _replaced_when_done(output: Path | IO[str]) -> Iterator[Path | IO[str]]:
    """Where to write: a file beside `output`, put in its place only once the export is complete.

    An export that fails midway (the database restarted, a row it cannot read, a full disk) used
    to leave `output` cut short at a row boundary, a file that passes for a whole export, in place
    of the last good one. Now the last good one stays, and no partial file is left. A stream is
    written to as it is.
    """
    if not isinstance(output, Path):
        yield output
        return
    partial = output.with_name(f".{output.name}.partial")
    try:
        yield partial
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, output)


def count_articles(db_url: str | None, since: datetime | None = None, source: str | None = None) -> int:
    """How many articles an export with these filters would write (for the progress bar)."""
    engine = make_engine(db_url, read_only=True)
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(article_query(since, source).order_by(None).subquery())
            return connection.scalar(query) or 0
    finally:
        engine.dispose()


def _chunks(
    partitions: Iterator[Any], progress: Callable[[int], None] | None
) -> Iterator[list[dict[str, Any]]]:
    for partition in partitions:
        rows = [dict(zip(COLUMNS, row, strict=True)) for row in partition]
        yield rows
        if progress is not None:
            progress(len(rows))


def _each_written(rows: list[dict[str, Any]], write: Callable[[dict[str, Any]], Any], report: Report) -> int:
    """Write each row; one that cannot be written (a value its format cannot hold) is reported."""
    written = 0
    for row in rows:
        try:
            write(row)
        except Exception as error:
            if not about_the_row(error):
                raise
            report(Unreadable(row["id"], f"{type(error).__name__}: {error}"))
        else:
            written += 1
    return written


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _csv_cell(column: str, value: Any) -> Any:
    """A CSV cell: lists as JSON text (a cell holds one string), datetimes in ISO 8601."""
    if column in _JSON_COLUMNS and value is not None:
        return json.dumps(value, ensure_ascii=False)
    return _plain(value)


def _text_output(output: Path | IO[str]) -> AbstractContextManager[IO[str]]:
    """The file to write text to: `output` opened, or `output` itself when it is already a stream
    (left open: it is the caller's, e.g. stdout)."""
    if isinstance(output, Path):
        return output.open("w", encoding="utf-8", newline="")
    return nullcontext(output)


def _write_jsonl(output: Path | IO[str], chunks: Iterator[list[dict[str, Any]]], report: Report) -> int:
    written = 0
    with _text_output(output) as stream:

        def write(row: dict[str, Any]) -> None:
            stream.write(json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False) + "\n")

        for rows in chunks:
            written += _each_written(rows, write, report)
    return written


def _write_csv(output: Path | IO[str], chunks: Iterator[list[dict[str, Any]]], report: Report) -> int:
    written = 0
    with _text_output(output) as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        for rows in chunks:
            written += _each_written(
                rows, lambda row: writer.writerow({k: _csv_cell(k, v) for k, v in row.items()}), report
            )
    return written


def _write_parquet(output: Path, chunks: Iterator[list[dict[str, Any]]], report: Report) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        raise ExportError("Parquet export needs pyarrow: pip install 'wiredesk[parquet]'") from error
    schema = pa.schema(
        [(name, pa.int64()) for name in ("id", "story_id", "revision_count")]
        + [
            (name, pa.timestamp("us", tz="UTC"))
            for name in ("published_at", "modified_at", "first_fetched_at", "last_fetched_at")
        ]
        + [("authors", pa.list_(pa.string())), ("keywords", pa.list_(pa.string()))]
        + [("images", pa.list_(pa.struct([("url", pa.string()), ("caption", pa.string())])))]
        + [(name, pa.bool_()) for name in ("language_detected", "free_access")]
        + [(name, pa.string()) for name in COLUMNS if name not in _PARQUET_TYPED]
    )
    written = 0
    with pq.ParquetWriter(output, schema) as writer:
        for rows in chunks:
            try:
                table = pa.Table.from_pylist(rows, schema=schema)
            except (pa.ArrowException, TypeError, ValueError):  # one row's value: find it, keep the others
                kept = [
                    row
                    for row in rows
                    if _each_written([row], lambda one: pa.Table.from_pylist([one], schema=schema), report)
                ]
                table = pa.Table.from_pylist(kept, schema=schema)
            writer.write_table(table)
            written += table.num_rows
    return written


_PARQUET_TYPED = frozenset(
    {
        "id",
        "story_id",
        "revision_count",
        "published_at",
        "modified_at",
        "first_fetched_at",
        "last_fetched_at",
        "authors",
        "keywords",
        "images",
        "language_detected",
        "free_access",
    }
)
