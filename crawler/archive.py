"""`wiredesk import`: WARC files into the corpus, through the crawl's own cleaning and storage.

Each HTML 200 response record becomes the same `ArticlePage` a crawl yields and takes the same
route: `CleanPipeline` (the cleaning worker pool, its time limit, its losses counted and kept raw
as failed pages), then `Corpus.store_many` in batches (dedup and stories; the raw page is kept).
Every other record is counted with its reason and skipped: not a response (request, warcinfo,
metadata), a revisit, a truncated payload, a status other than 200, a payload that is not HTML,
one past the crawl's size limit, or outside the filters (--site, --since/--until; --lang is
decided after cleaning, by the cleaner's language).

Records stream: a reader thread parses the file (warcio) while up to WINDOW records are being
cleaned, in order; memory holds the window and one batch, whatever the file's size. Each batch's
transaction also records how far the file is imported (storage/archives.py), so a re-run skips
finished files and resumes a killed import at its first record not committed.
"""

from __future__ import annotations

import asyncio
import fnmatch
import gzip
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urljoin, urlsplit

import brotli
from scrapy.exceptions import DropItem
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader

import cleaner
from crawler.items import ArticlePage
from crawler.pipelines import STORE_FAILED, CleanPipeline, record_failure, site_rules
from crawler.progress import ARTICLE_PAGES, SKIPPED_PREFIX, Counts, count_loss
from crawler.run import CrawlReport, per_source_reports
from crawler.settings import DOWNLOAD_MAXSIZE
from storage import Corpus, Outcome, make_engine
from storage.archives import begin_import, finish_import, progress_step
from storage.engine import check_connection, one_line
from storage.repository import StoreInterrupted
from storage.schema import upgrade

logger = logging.getLogger(__name__)

SKIP_PREFIX = "wiredesk/warc/skip/"
"""Stats keys of response records not cleaned, by reason (not_html, http-404, revisit, ...)."""
OTHER_PREFIX = "wiredesk/warc/other/"
"""Stats keys of records that are not responses, by WARC-Type (request, warcinfo, metadata)."""
FILES_PREFIX = "wiredesk/warc/files/"
"""Stats keys of files: imported, resumed, already_done, unreadable, damaged."""
RECORDS = "wiredesk/warc/records"
SOURCE_HEADER = "WARC-Wiredesk-Source"
"""Written by `wiredesk crawl --warc`: the crawl's source name, kept by an import of the file."""
DAMAGED = "damaged_archive"
"""The kind of loss of a file that cannot be read past some record: what follows it is not imported."""
HTML_TYPES = ("text/html", "application/xhtml+xml")
WARC_SUFFIXES = (".warc", ".warc.gz")
LISTING_SUFFIXES = (".paths", ".paths.gz", ".txt", ".txt.gz")
COMMON_CRAWL = "https://data.commoncrawl.org/"
"""Where the relative paths of Common Crawl's listings (warc.paths.gz) are served."""
WINDOW_PER_WORKER = 8
"""Records being cleaned or waiting for a worker, per worker: enough to keep every worker busy."""
CHECKPOINT_RECORDS = 1000
"""Skipped records also move the offset: at most this many are read again after a kill."""


class ArchiveInputError(ValueError):
    """An input that cannot be imported at all (no such file, not a WARC): one line, said up front."""


class ImportStopped(RuntimeError):
    """The database went away: the import stops where its offset says, and a re-run resumes there."""


@dataclass(frozen=True)
class ImportOptions:
    """What to import, and how: the filters, the source name, the cleaning and batching."""

    source: str | None = None
    sites: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    languages: frozenset[str] = frozenset()
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    time_limit: float = 20.0
    rules: str | None = None
    batch_size: int = 50
    max_bytes: int = DOWNLOAD_MAXSIZE
    prefix: str = COMMON_CRAWL


@dataclass(frozen=True)
class FileTask:
    """One file to import, with the filters and source name it was asked with."""

    name: str
    options: ImportOptions


class Stats:
    """The few calls of Scrapy's stats collector the pipelines make, so the crawl's code counts here too."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()  # the reader thread counts records while the loop counts pages

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        with self._lock:
            self._values[key] = self._values.get(key, start) + count

    def set_value(self, key: str, value: Any) -> None:
        self._values[key] = value

    def get_value(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def get_stats(self) -> dict[str, Any]:
        return dict(self._values)


class ProgressSink(Protocol):
    """Told what is being read, so a bar can show bytes done of the total (when the size is known)."""

    def start_file(self, name: str, total: int | None, done: int) -> None: ...

    def advance_to(self, done: int) -> None: ...

    def end_file(self) -> None: ...


class _NoProgress:
    def start_file(self, name: str, total: int | None, done: int) -> None:
        """Nothing shown."""

    def advance_to(self, done: int) -> None:
        """Nothing shown."""

    def end_file(self) -> None:
        """Nothing shown."""


# --- inputs ----------------------------------------------------------------------------------------


def expand_inputs(inputs: list[str], prefix: str = COMMON_CRAWL) -> list[str]:
    """The WARC files to import: each input as it is, or the files a listing names.

    A listing (`*.paths[.gz]`, `*.txt[.gz]`) holds one path per line as Common Crawl publishes them:
    a relative path is joined to `prefix`, a URL or an absolute path is kept. A local WARC file is
    named by its absolute path, so a re-run from another directory finds its recorded progress.
    """
    names: list[str] = []
    for given in inputs:
        if given.lower().endswith(LISTING_SUFFIXES):
            names += _listing(given, prefix)
        elif _is_url(given):
            names.append(given)
        else:
            path = Path(given)
            if not path.is_file():
                raise ArchiveInputError(f"{given}: no such file")
            names.append(str(path.resolve()))
    return list(dict.fromkeys(names))


def _listing(given: str, prefix: str) -> list[str]:
    try:
        with _open_raw(given, 0)[0] as raw:
            data = raw.read()
    except OSError as error:
        raise ArchiveInputError(f"{given}: cannot read the listing ({one_line(error)})") from error
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines()]
    return [_resolve(line, prefix) for line in lines if line and not line.startswith("#")]


def _resolve(line: str, prefix: str) -> str:
    if _is_url(line) or line.startswith("/"):
        return line
    return urljoin(prefix if prefix.endswith("/") else prefix + "/", line)


def _is_url(name: str) -> bool:
    return urlsplit(name).scheme in ("http", "https")


class _Counted:
    """A byte stream that knows where it is in the file, for a stream that cannot seek (HTTP)."""

    def __init__(self, raw: IO[bytes], start: int) -> None:
        self.raw = raw
        self.position = start

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_raw(name: str, offset: int) -> tuple[Any, int | None]:
    """The file from `offset` on (a Range request for a URL), and its whole size when known."""
    if not _is_url(name):
        handle = open(name, "rb")  # noqa: SIM115 (closed by the caller)
        handle.seek(offset)
        return handle, os.fstat(handle.fileno()).st_size
    request = urllib.request.Request(name, headers={"Range": f"bytes={offset}-"} if offset else {})
    response = urllib.request.urlopen(request, timeout=60)
    length = response.headers.get("Content-Length")
    if offset and response.status != 206:
        _skip(response, offset)  # the server ignored the range: read up to the offset
        size = int(length) if length else None
    else:
        size = int(length) + offset if length else None
    return _Counted(response, offset), size


def _skip(stream: IO[bytes], count: int) -> None:
    while count > 0:
        chunk = stream.read(min(count, 1 << 20))
        if not chunk:
            raise OSError("the file is shorter than its recorded progress")
        count -= len(chunk)


# --- records ---------------------------------------------------------------------------------------


@dataclass
class _Entry:
    """One record read: where the next one starts, and the page to clean when it is one."""

    next_offset: int
    item: ArticlePage | None = None


class _BrotliDecoder:
    """A brotli payload decoder as warcio's reader calls it (`decompress`, `unused_data`), with the
    `eof` that tells a payload cut short. warcio 1.8 sets `unused_data` on brotli's own Decompressor,
    which brotli 1.1 and later refuse (AttributeError): a brotli response stopped the import."""

    def __init__(self) -> None:
        self._decoder = brotli.Decompressor()
        self.unused_data = b""

    def decompress(self, data: bytes) -> bytes:
        return bytes(self._decoder.process(data))

    @property
    def eof(self) -> bool:
        return bool(self._decoder.is_finished())


BufferedReader.DECOMPRESSORS["br"] = _BrotliDecoder


def _require_whole(records: ArchiveIterator, record: Any) -> None:
    """Raises EOFError where the file ends inside `record` or garbage follows it.

    warcio hands over what there was: a record cut short, with the bytes after the cut read as its
    body, or a gzip member cut short, ends its iteration quietly, as if the file ended there.
    """
    uri = record.rec_headers.get_header("WARC-Target-URI") or record.rec_type
    missing = getattr(record.raw_stream, "limit", None)
    if missing is None:
        raise EOFError(f"the record of {uri} has no Content-Length")
    if missing:
        raise EOFError(f"the record of {uri} lacks its last {missing} bytes")
    decompressor = records.reader.decompressor
    if decompressor is not None and not decompressor.eof:
        raise EOFError(f"the gzip member of {uri} is cut short")
    if records.err_count or (records.next_line and not records.next_line.startswith(b"WARC/")):
        raise EOFError(f"the record of {uri} is not followed by a blank line and another record")


@dataclass
class _Reader:
    """Parses one file from an offset in a thread of its own; yields one `_Entry` per record."""

    name: str
    options: ImportOptions
    stats: Stats
    offset: int
    stream: Any = None
    size: int | None = None

    def open(self) -> None:
        self.stream, self.size = _open_raw(self.name, self.offset)

    def position(self) -> int:
        return int(self.stream.tell()) if self.stream is not None else self.offset

    def entries(self) -> Iterator[_Entry]:
        """Raises where the file is damaged (ArchiveLoadFailed, OSError, EOFError, zlib.error...)."""
        records = ArchiveIterator(self.stream)
        for record in records:
            item = self._page(record)
            next_offset = records.get_record_offset() + records.get_record_length()
            _require_whole(records, record)
            yield _Entry(next_offset, item)
        # warcio ends quietly where a gzip member is cut short: what it did not read is damage.
        if self.size is not None and records.offset < self.size:
            raise EOFError(f"{self.size - records.offset} bytes after the last whole record are no record")

    def _page(self, record: Any) -> ArticlePage | None:
        self.stats.inc_value(RECORDS)
        if record.rec_type == "revisit":
            self.stats.inc_value(f"{SKIP_PREFIX}revisit")  # a pointer to a payload stored earlier
            return None
        if record.rec_type != "response":
            self.stats.inc_value(f"{OTHER_PREFIX}{record.rec_type}")
            return None
        self.stats.inc_value("response_received_count")
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        fetched_at = _warc_date(record.rec_headers.get_header("WARC-Date"))
        reason = self._reason(record, url, fetched_at)
        body = b""
        if reason is None:
            payload = record.content_stream()
            body = payload.read(self.options.max_bytes + 1)
            reason = _payload_problem(record, payload, body, self.options.max_bytes)
        if reason is not None:
            self.stats.inc_value(f"{SKIP_PREFIX}{reason}")
            return None
        http = record.http_headers
        source = self.options.source or record.rec_headers.get_header(SOURCE_HEADER) or _site(url)
        self.stats.inc_value(ARTICLE_PAGES)
        self.stats.inc_value(f"wiredesk/source/{source}/fetched")
        return ArticlePage.fetched(
            url=url,
            final_url=url,
            source=source,
            fetched_at=fetched_at or datetime.now(UTC),
            http_status=200,
            body=body,
            content_type=http.get_header("Content-Type"),
            etag=http.get_header("ETag"),
            last_modified=http.get_header("Last-Modified"),
        )

    def _reason(self, record: Any, url: str, fetched_at: datetime | None) -> str | None:
        """Why a response record is not cleaned, from its headers alone (None: read its payload)."""
        options = self.options
        if record.rec_headers.get_header("WARC-Truncated"):
            return "truncated"
        if record.http_headers is None or not _is_url(url):
            return "not_http"
        status = record.http_headers.get_statuscode()
        if status != "200":
            return f"http-{status}"
        content_type = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type and content_type not in HTML_TYPES:
            return "not_html"
        if options.sites and not any(
            fnmatch.fnmatch(host, glob) for host in _hosts(url) for glob in options.sites
        ):
            return "site"
        if fetched_at is not None and options.since is not None and fetched_at < options.since:
            return "before_since"
        if fetched_at is not None and options.until is not None and fetched_at >= options.until:
            return "after_until"
        return None


def _payload_problem(record: Any, payload: Any, body: bytes, max_bytes: int) -> str | None:
    if len(body) > max_bytes:
        return "too_large"
    if record.raw_stream.limit > 0 and not record.raw_stream.read(1):
        return "truncated"  # the file ends before the record's Content-Length
    decoder = getattr(payload, "decompressor", None)
    if decoder is not None and not decoder.eof:
        return "truncated"  # a gzip or brotli payload cut short: warcio gives what it decoded
    content_type = record.http_headers.get_header("Content-Type")
    if not content_type and b"<html" not in body[:1024].lower():
        return "not_html"
    return None


def _warc_date(value: str | None) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _hosts(url: str) -> tuple[str, str]:
    host = (urlsplit(url).hostname or "").lower()
    return host, host.removeprefix("www.")


def _site(url: str) -> str:
    return _hosts(url)[1] or "unknown"


# --- the import ------------------------------------------------------------------------------------


@dataclass
class _Batch:
    """Cleaned pages waiting to be stored, and the file position their commit moves the offset to."""

    items: list[ArticlePage] = field(default_factory=list)
    next_offset: int = 0
    records: int = 0
    uncommitted: int = 0
    """Records read since the last commit, pages or not."""


class ArchiveImport:
    """Import WARC files into one corpus; `run` returns a report like a crawl's."""

    def __init__(self, db_url: str, options: ImportOptions, progress: ProgressSink | None = None) -> None:
        self.db_url = db_url
        self.options = options
        self.progress = progress or _NoProgress()
        self.stats = Stats()
        self.engine = make_engine(db_url)
        self.corpus = Corpus(self.engine)
        self._cleaning: CleanPipeline | None = None
        self._filters = options
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="wiredesk-store")
        self._writing: asyncio.Future[None] | None = None

    def prepare(self) -> None:
        """Before any file: the database answers and is up to date; the rules file reads."""
        check_connection(self.engine)
        upgrade(self.engine)
        site_rules(self.options.rules)

    def run(self, tasks: Iterable[FileTask | str]) -> CrawlReport:
        """Import every file in turn (each resumed where it stopped); the report counts everything.

        A name alone is imported with this import's options; `tasks` may wait for the next file
        (a shared queue: crawler/archive_queue.py) and learns that a file is done when asked for
        the next one.
        """
        started = time.monotonic()
        self.stats.set_value("finish_reason", "finished")
        try:
            asyncio.run(self._run(tasks))
        finally:
            self._writer.shutdown(wait=True)
            self.engine.dispose()
        stats = self.stats.get_stats()
        return CrawlReport(
            counts=Counts.from_stats(stats),
            sources=per_source_reports(stats, []),
            elapsed=time.monotonic() - started,
            stats=stats,
            finish_reason=str(stats["finish_reason"]),
        )

    async def _run(self, tasks: Iterable[FileTask | str]) -> None:
        options = self.options
        clean_options = cleaner.CleanOptions(site_rules=site_rules(options.rules))
        self._cleaning = CleanPipeline(
            self.stats, options.workers, options.time_limit, clean_options, self.db_url
        )
        try:
            for task in tasks:
                await self.import_file(task if isinstance(task, FileTask) else FileTask(task, options))
        finally:
            self._cleaning.close_spider()

    async def import_file(self, task: FileTask) -> None:
        """One file, from its recorded offset to its end; a damaged file stops at its damage."""
        name, self._filters = task.name, task.options
        state = await asyncio.to_thread(begin_import, self.engine, name)
        if state.finished:
            self.stats.inc_value(f"{FILES_PREFIX}already_done")
            logger.info("%s: already imported", name)
            return
        reader = _Reader(name, task.options, self.stats, state.next_offset)
        try:
            await asyncio.to_thread(reader.open)
        except (OSError, ValueError) as error:
            self.stats.inc_value(f"{FILES_PREFIX}unreadable")
            self.stats.inc_value("wiredesk/error/unreadable_archive")
            logger.error("%s: cannot read it: %s", name, one_line(error))
            return
        self.stats.inc_value(f"{FILES_PREFIX}{'resumed' if state.next_offset else 'imported'}")
        self.progress.start_file(name, reader.size, state.next_offset)
        try:
            complete = await self._stream(
                reader, _Batch(next_offset=state.next_offset, records=state.records)
            )
        finally:
            reader.stream.close()
            self.progress.end_file()
        if complete:
            await asyncio.to_thread(finish_import, self.engine, name, reader.size)

    async def _stream(self, reader: _Reader, batch: _Batch) -> bool:
        """Read, clean (WINDOW records at once, in order), store; False when the file is damaged."""
        window: asyncio.Queue[tuple[_Entry, asyncio.Future[ArticlePage] | None] | None] = asyncio.Queue(
            max(WINDOW_PER_WORKER * self.options.workers, 2 * self.options.batch_size)
        )
        reading = asyncio.ensure_future(self._read(reader, window))
        try:
            while (taken := await window.get()) is not None:
                entry, cleaning = taken
                batch.next_offset, batch.records = entry.next_offset, batch.records + 1
                batch.uncommitted += 1
                if cleaning is not None:
                    await self._add_cleaned(cleaning, batch)
                if len(batch.items) >= self.options.batch_size or batch.uncommitted >= CHECKPOINT_RECORDS:
                    await self._store(reader.name, batch)
                    batch.items, batch.uncommitted = [], 0
                    self.progress.advance_to(reader.position())
            await self._store(reader.name, batch)
            await self._drain()
        finally:
            reading.cancel()
        return await reading

    async def _read(self, reader: _Reader, window: asyncio.Queue[Any]) -> bool:
        """The producer: each record into the window, its cleaning started; None at the end, also
        after an error of any kind (warcio raises what its decoders raise): without it the consumer
        would wait for ever."""
        entries = reader.entries()
        complete = True
        try:
            while (entry := await asyncio.to_thread(next, entries, None)) is not None:
                cleaning = None
                if entry.item is not None:
                    assert self._cleaning is not None
                    cleaning = asyncio.ensure_future(self._cleaning.process_item(entry.item))
                await window.put((entry, cleaning))
        except Exception as error:
            self._damaged(reader, error)
            complete = False
        await window.put(None)
        return complete

    def _damaged(self, reader: _Reader, error: BaseException) -> None:
        self.stats.inc_value(f"{FILES_PREFIX}damaged")
        count_loss(self.stats, self._filters.source or "archive", DAMAGED)
        logger.error(
            "%s: damaged near byte %d, the rest of it is not imported: %s",
            reader.name,
            reader.position(),
            one_line(error),
        )

    async def _add_cleaned(self, cleaning: asyncio.Future[ArticlePage], batch: _Batch) -> None:
        try:
            item = await cleaning
        except DropItem:
            return  # counted by the cleaning pipeline, with its reason
        if item.loss is not None:  # counted too; kept raw as failed, as a crawl's store pipeline does
            await asyncio.to_thread(record_failure, self.corpus, item)
            return
        language = (item.article.language or "").split("-")[0].lower()
        if self._filters.languages and language not in self._filters.languages:
            self.stats.inc_value(f"{SKIPPED_PREFIX}other_language")
            return
        batch.items.append(item)

    async def _store(self, name: str, batch: _Batch) -> None:
        """Hand the batch to the writer thread once the previous one is committed (one at a time)."""
        await self._drain()
        items = [(item, item.article) for item in batch.items]
        step = progress_step(name, batch.next_offset, batch.records)
        sources = [item.source for item in batch.items]
        self._writing = asyncio.ensure_future(self._write(items, step, sources))

    async def _drain(self) -> None:
        if self._writing is not None:
            writing, self._writing = self._writing, None
            await writing

    async def _write(self, items: list[Any], step: Any, sources: list[str]) -> None:
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(self._writer, self.corpus.store_many, items, step)
        except StoreInterrupted as interrupted:
            self.stats.set_value("finish_reason", "database_unavailable")
            raise ImportStopped(
                f"the database became unavailable ({interrupted}): the import stopped at its last "
                "committed record; run the same command again to resume there"
            ) from interrupted
        for source, result in zip(sources, results, strict=True):
            if result.outcome is Outcome.FAILED:
                count_loss(self.stats, source, STORE_FAILED)
                continue
            self.stats.inc_value(f"wiredesk/store/{result.outcome.value}")
            self.stats.inc_value(f"wiredesk/source/{source}/{result.outcome.value}")


class ProgressBar:
    """A rich bar per file on a terminal: bytes done of the total (when known), speed, time left."""

    def __init__(self, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._task: Any = None

    def start_file(self, name: str, total: int | None, done: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task(Path(urlsplit(name).path).name or name, total=total, completed=done)

    def advance_to(self, done: int) -> None:
        self._bar.update(self._task, completed=done)

    def end_file(self) -> None:
        self._bar.remove_task(self._task)
        self._bar.stop()


def import_lines(report: CrawlReport) -> list[str]:
    """What a crawl's summary does not say about an import: files, and records not cleaned, by reason."""
    stats = report.stats

    def tally(prefix: str) -> str:
        counts = {k.removeprefix(prefix): int(v) for k, v in stats.items() if k.startswith(prefix)}
        return ", ".join(f"{kind} ×{count}" for kind, count in sorted(counts.items())) or "none"

    return [
        f"files: {tally(FILES_PREFIX)}",
        f"records read: {int(stats.get(RECORDS, 0))} = {report.counts.fetched} responses + other records "
        f"({tally(OTHER_PREFIX)})",
        f"responses and revisits not cleaned: {tally(SKIP_PREFIX)}",
    ]


def import_exit_status(report: CrawlReport) -> int:
    """The crawl's exit status (3: an article lost, or a file damaged); 1 when a file could not be read."""
    from crawler.run import EXIT_ALL_SOURCES_FAILED, exit_status

    status = exit_status(report)
    if status == 0 and report.stats.get(f"{FILES_PREFIX}unreadable"):
        return EXIT_ALL_SOURCES_FAILED
    return status


def biggest_sources(report: CrawlReport, shown: int = 20) -> CrawlReport:
    """The report with its `shown` sources of most records; an archive may hold thousands of sites."""
    ranked = sorted(report.sources.items(), key=lambda pair: -pair[1].fetched)
    report.sources = dict(ranked[:shown])
    return report


def import_archives(
    inputs: list[str],
    db_url: str | None,
    overrides: dict[str, str],
    *,
    source: str | None = None,
    sites: tuple[str, ...] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    languages: tuple[str, ...] = (),
    workers: int | None = None,
    prefix: str | None = None,
) -> CrawlReport | None:
    """`wiredesk import`: expand the inputs, import each file, print the summary; the report says all.

    The crawl's settings apply (`-s WIREDESK_CLEAN_TIME_LIMIT=...`, WIREDESK_CLEAN_RULES,
    WIREDESK_STORE_BATCH, DOWNLOAD_MAXSIZE), so a page imported is cleaned as a page crawled.
    With WIREDESK_REDIS set, the files are queued for `wiredesk worker`s instead (None returned).
    """
    from rich.console import Console

    from crawler.run import crawl_settings

    settings = crawl_settings(db_url, None, dict(overrides))
    options = ImportOptions(
        source=source,
        sites=tuple(glob.lower() for glob in sites),
        since=since,
        until=until,
        languages=frozenset(code.lower() for code in languages),
        workers=workers if workers is not None else _default_workers(settings),
        time_limit=settings.getfloat("WIREDESK_CLEAN_TIME_LIMIT"),
        rules=settings.get("WIREDESK_CLEAN_RULES"),
        batch_size=settings.getint("WIREDESK_STORE_BATCH"),
        max_bytes=settings.getint("DOWNLOAD_MAXSIZE"),
        prefix=prefix or COMMON_CRAWL,
    )
    names = expand_inputs(inputs, options.prefix)
    console = Console(stderr=True)
    if settings.get("WIREDESK_REDIS"):
        from scrapy_redis.connection import get_redis_from_settings

        from crawler.archive_queue import push_files

        queued = push_files(
            get_redis_from_settings(settings), settings["WIREDESK_REDIS_PREFIX"], names, options
        )
        console.print(
            f"{queued} of {len(names)} files queued for `wiredesk worker`s (the others already were)"
        )
        return None
    importer = ArchiveImport(settings["WIREDESK_DB"], options, ProgressBar(console))
    importer.prepare()
    return _summed_up(importer.run(names), console)


def import_queued(settings: Any) -> CrawlReport | None:
    """In a `wiredesk worker`: import the files queued in Redis until none is left; None if there were none.

    The worker's own settings say how to clean (its workers, time limit, rules); each file brings
    its filters and source name.
    """
    from rich.console import Console
    from scrapy_redis.connection import get_redis_from_settings

    from crawler.archive_queue import Heartbeat, files_pending, leased_files
    from crawler.distributed import worker_id

    server, prefix = get_redis_from_settings(settings), settings["WIREDESK_REDIS_PREFIX"]
    if not files_pending(server, prefix):
        return None
    defaults = ImportOptions(
        workers=_default_workers(settings),
        time_limit=settings.getfloat("WIREDESK_CLEAN_TIME_LIMIT"),
        rules=settings.get("WIREDESK_CLEAN_RULES"),
        batch_size=settings.getint("WIREDESK_STORE_BATCH"),
        max_bytes=settings.getint("DOWNLOAD_MAXSIZE"),
    )
    console = Console(stderr=True)
    importer = ArchiveImport(settings["WIREDESK_DB"], defaults, ProgressBar(console))
    importer.prepare()
    worker = worker_id()
    with Heartbeat(server, prefix, worker):
        tasks = leased_files(server, prefix, worker, defaults, settings.getfloat("WIREDESK_WORKER_IDLE"))
        return _summed_up(importer.run(tasks), console)


def _summed_up(report: CrawlReport, console: Any) -> CrawlReport:
    from crawler.output import print_report

    print_report(biggest_sources(report), console)
    for line in import_lines(report):
        console.print(line, soft_wrap=True)
    return report


def _default_workers(settings: Any) -> int:
    workers = settings.get("WIREDESK_CLEAN_WORKERS")
    return os.cpu_count() or 1 if workers in (None, "") else int(workers)
