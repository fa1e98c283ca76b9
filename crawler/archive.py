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
import logging
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scrapy.exceptions import DropItem

import cleaner
from crawler.cleaning import site_rules
from crawler.importprogress import NoProgress, ProgressBar, ProgressSink
from crawler.items import ArticlePage
from crawler.pipelines import CleanPipeline, record_failure
from crawler.report import CrawlReport, DropReason, ImportFigures, LossKind
from crawler.warcrecords import COMMON_CRAWL, Entry, ImportOptions, RecordReader, expand_inputs
from storage import Corpus, Outcome
from storage.archives import begin_import, finish_import, progress_step
from storage.engine import one_line, release_shared_engine, shared_engine
from storage.repository import StoreInterrupted

logger = logging.getLogger(__name__)

WINDOW_PER_WORKER = 8
"""Records being cleaned or waiting for a worker, per worker: enough to keep every worker busy."""
CHECKPOINT_RECORDS = 1000
"""Skipped records also move the offset: at most this many are read again after a kill."""


class ImportStopped(RuntimeError):
    """The database went away: the import stops where its offset says, and a re-run resumes there."""


@dataclass(frozen=True)
class FileTask:
    """One file to import, with the filters and source name it was asked with."""

    name: str
    options: ImportOptions


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
        self.progress = progress or NoProgress()
        self.figures = ImportFigures()
        self.report = CrawlReport(archive=self.figures)
        self.engine = shared_engine(db_url)  # the site memory's reads share it
        self.corpus = Corpus(self.engine)
        self._cleaning: CleanPipeline | None = None
        self._filters = options
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="wiredesk-store")
        self._writing: asyncio.Future[None] | None = None

    def prepare(self) -> None:
        """Before any file: the database answers and is up to date; the rules file reads."""
        shared_engine(self.db_url, migrate=True)
        site_rules(self.options.rules)

    def run(self, tasks: Iterable[FileTask | str]) -> CrawlReport:
        """Import every file in turn (each resumed where it stopped); the report counts everything.

        A name alone is imported with this import's options; `tasks` may wait for the next file
        (a shared queue: crawler/archive_queue.py) and learns that a file is done when asked for
        the next one.
        """
        started = time.monotonic()
        self.report.finish_reason = "finished"
        try:
            asyncio.run(self._run(tasks))
        finally:
            self._writer.shutdown(wait=True)
            release_shared_engine(self.db_url)
        self.report.elapsed = time.monotonic() - started
        return self.report

    async def _run(self, tasks: Iterable[FileTask | str]) -> None:
        options = self.options
        clean_options = cleaner.CleanOptions(site_rules=site_rules(options.rules))
        self._cleaning = CleanPipeline(
            self.report, options.workers, options.time_limit, clean_options, self.db_url
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
            self.figures.files["already_done"] += 1
            logger.info("%s: already imported", name)
            return
        reader = RecordReader(name, task.options, self.report, state.next_offset)
        try:
            await asyncio.to_thread(reader.open)
        except (OSError, ValueError) as error:
            self.figures.files["unreadable"] += 1
            self.report.error(None, "unreadable_archive")
            logger.error("%s: cannot read it: %s", name, one_line(error))
            return
        self.figures.files["resumed" if state.next_offset else "imported"] += 1
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

    async def _stream(self, reader: RecordReader, batch: _Batch) -> bool:
        """Read, clean (WINDOW records at once, in order), store; False when the file is damaged."""
        window: asyncio.Queue[tuple[Entry, asyncio.Future[ArticlePage] | None] | None] = asyncio.Queue(
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

    async def _read(self, reader: RecordReader, window: asyncio.Queue[Any]) -> bool:
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

    def _damaged(self, reader: RecordReader, error: BaseException) -> None:
        self.figures.files["damaged"] += 1
        self.report.lose(self._filters.source or "archive", LossKind.DAMAGED_ARCHIVE)
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
            self.report.drop(DropReason.OTHER_LANGUAGE)
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
            self.report.finish_reason = "database_unavailable"
            raise ImportStopped(
                f"the database became unavailable ({interrupted}): the import stopped at its last "
                "committed record; run the same command again to resume there"
            ) from interrupted
        for source, result in zip(sources, results, strict=True):
            if result.outcome is Outcome.FAILED:
                self.report.lose(source, LossKind.STORE_FAILED)
                continue
            self.report.store(source, result.outcome)


def import_exit_status(report: CrawlReport) -> int:
    """The crawl's exit status (3: an article lost, or a file damaged); 1 when a file could not be read."""
    from crawler.run import EXIT_ALL_SOURCES_FAILED, exit_status

    status = exit_status(report)
    if status == 0 and report.archive is not None and report.archive.files["unreadable"]:
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
    for line in (report.archive or ImportFigures()).lines(report.fetched):
        console.print(line, soft_wrap=True)
    return report


def _default_workers(settings: Any) -> int:
    workers = settings.get("WIREDESK_CLEAN_WORKERS")
    return os.cpu_count() or 1 if workers in (None, "") else int(workers)
