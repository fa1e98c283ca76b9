"""Reading WARC files for `wiredesk import`: the inputs (paths, URLs, Common Crawl listings), and
each record read as the `ArticlePage` a crawl would have fetched, or counted with why it is not one.

A file is read from an offset (a resumed import) by `RecordReader` in a thread of its own; it
raises where the file is damaged, including where warcio itself would end quietly (a record or a
gzip member cut short, garbage after a record), so a damaged file is never taken for a finished one.
"""

from __future__ import annotations

import fnmatch
import gzip
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import brotli
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader

from crawler.items import ArticlePage
from crawler.report import CrawlReport
from crawler.settings import DOWNLOAD_MAXSIZE, WIREDESK_CLEAN_TIME_LIMIT, WIREDESK_STORE_BATCH
from storage.engine import one_line
from storage.urls import site_of

SOURCE_HEADER = "WARC-Wiredesk-Source"
"""Written by `wiredesk crawl --warc`: the crawl's source name, kept by an import of the file."""
HTML_TYPES = ("text/html", "application/xhtml+xml")
WARC_SUFFIXES = (".warc", ".warc.gz")
LISTING_SUFFIXES = (".paths", ".paths.gz", ".txt", ".txt.gz")
COMMON_CRAWL = "https://data.commoncrawl.org/"
"""Where the relative paths of Common Crawl's listings (warc.paths.gz) are served."""


class ArchiveInputError(ValueError):
    """An input that cannot be imported at all (no such file, not a WARC): one line, said up front."""


@dataclass(frozen=True)
class ImportOptions:
    """What to import, and how: the filters, the source name, the cleaning and batching."""

    source: str | None = None
    sites: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    languages: frozenset[str] = frozenset()
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    time_limit: float = WIREDESK_CLEAN_TIME_LIMIT
    rules: str | None = None
    batch_size: int = WIREDESK_STORE_BATCH
    max_bytes: int = DOWNLOAD_MAXSIZE
    prefix: str = COMMON_CRAWL


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
        with open_raw(given, 0)[0] as raw:
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


def open_raw(name: str, offset: int) -> tuple[Any, int | None]:
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
class Entry:
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
class RecordReader:
    """Parses one file from an offset in a thread of its own; yields one `Entry` per record."""

    name: str
    options: ImportOptions
    report: CrawlReport
    offset: int
    stream: Any = None
    size: int | None = None

    def open(self) -> None:
        self.stream, self.size = open_raw(self.name, self.offset)

    def position(self) -> int:
        return int(self.stream.tell()) if self.stream is not None else self.offset

    def entries(self) -> Iterator[Entry]:
        """Raises where the file is damaged (ArchiveLoadFailed, OSError, EOFError, zlib.error...)."""
        records = ArchiveIterator(self.stream)
        for record in records:
            item = self._page(record)
            next_offset = records.get_record_offset() + records.get_record_length()
            _require_whole(records, record)
            yield Entry(next_offset, item)
        # warcio ends quietly where a gzip member is cut short: what it did not read is damage.
        if self.size is not None and records.offset < self.size:
            raise EOFError(f"{self.size - records.offset} bytes after the last whole record are no record")

    def _page(self, record: Any) -> ArticlePage | None:
        figures = self.report.archive
        assert figures is not None
        figures.records += 1
        if record.rec_type == "revisit":
            figures.not_cleaned["revisit"] += 1  # a pointer to a payload stored earlier
            return None
        if record.rec_type != "response":
            figures.other_records[record.rec_type] += 1
            return None
        self.report.response(None)
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        fetched_at = _warc_date(record.rec_headers.get_header("WARC-Date"))
        reason = self._reason(record, url, fetched_at)
        body = b""
        if reason is None:
            payload = record.content_stream()
            body = payload.read(self.options.max_bytes + 1)
            reason = _payload_problem(record, payload, body, self.options.max_bytes)
        if reason is not None:
            figures.not_cleaned[reason] += 1
            return None
        http = record.http_headers
        declared = self.options.source or record.rec_headers.get_header(SOURCE_HEADER)
        source = declared or site_of(url) or "unknown"
        self.report.article_page(source)
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
