"""Writing WARC: what a crawl fetched (`wiredesk crawl --warc DIR`), and the raw pages stored (`export`).

Files are WARC/1.1, gzipped record by record (so any record can be read from its offset), written
under a `.open` name and renamed once closed, so a reader never takes a file still being written.
A file is closed and the next begun past WIREDESK_WARC_MAX_BYTES. Each file starts with a warcinfo
record holding the crawl's metadata (software, user agent, robots policy, host).

The crawl's writer is a downloader middleware placed next to the downloader (840: after the stats,
before cookies, redirects and decompression), so it sees every response as it came off the wire,
3xx, 304 and 404 included, with the request as it was sent. The body is kept as transferred (still
compressed when the server compressed it; a reader decodes it by its Content-Encoding); only the
transfer coding is undone, so `Transfer-Encoding` is kept under another name.
"""

from __future__ import annotations

import gzip
import logging
import os
import socket
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from crawler.settings_registry import BY_NAME, VERSION
from crawler.warcrecords import SOURCE_HEADER
from storage.archives import RawPage, count_raw_pages, raw_pages
from storage.engine import make_engine
from storage.keyset import Report

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = BY_NAME["WIREDESK_WARC_MAX_BYTES"].default
"""A file is closed past 1 GiB, the size Common Crawl and Heritrix use."""
OPEN_SUFFIX = ".open"
GZIP_LEVEL = 6
"""As for raw pages in the corpus: level 9 costs 1.6x the CPU for 0.6% smaller files (AEB pages)."""
# Hop-by-hop framing the downloader has undone: kept under another name, as warcio's capture does.
_UNDONE = {b"transfer-encoding": "X-Wiredesk-Transfer-Encoding"}


class RotatingWarcFiles:
    """Gzipped WARC/1.1 files in `directory`, a new one once the current passes `max_bytes`."""

    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        info: dict[str, str],
        naming: Callable[[int], str] | None = None,
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.info = info
        self.naming = naming or crawl_file_name
        self.closed: list[Path] = []
        """The files finished so far, in order."""
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._writer: WARCWriter | None = None
        self._warcinfo_id = ""
        self._serial = 0

    def writer(self) -> WARCWriter:
        """The current file's writer, a new file begun (with its warcinfo record) when needed."""
        if self._file is not None and self._file.tell() >= self.max_bytes:
            self.close()
        if self._writer is None:
            self._begin()
        assert self._writer is not None
        return self._writer

    def write(self, *records: Any) -> None:
        """Records made with `writer()`, each linked to its file's warcinfo record."""
        self.writer()
        for record in records:
            record.rec_headers.add_header("WARC-Warcinfo-ID", self._warcinfo_id)
            self._write(record)
        assert self._file is not None
        self._file.flush()  # on disk as the page goes on to be stored: a kill loses no stored page's record

    def _write(self, record: Any) -> None:
        """One gzip member per record, at GZIP_LEVEL (warcio's own gzip is level 9: 1.6x the CPU)."""
        assert self._file is not None
        plain = BytesIO()
        WARCWriter(plain, gzip=False, warc_version="1.1").write_record(record)
        self._file.write(gzip.compress(plain.getvalue(), compresslevel=GZIP_LEVEL))

    def _begin(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = self.naming(self._serial)
        self._serial += 1
        self._path = self.directory / name
        if self._path.exists():  # another archive: replacing it would lose what it holds
            raise FileExistsError(f"{self._path} exists: not overwritten")
        self._file = (self.directory / (name + OPEN_SUFFIX)).open("wb")
        self._writer = WARCWriter(None, gzip=False, warc_version="1.1")
        warcinfo = self._writer.create_warcinfo_record(name, self.info)
        self._warcinfo_id = warcinfo.rec_headers.get_header("WARC-Record-ID")
        self._write(warcinfo)

    def close(self) -> None:
        """Finish the current file: flushed, renamed from its `.open` name."""
        if self._file is None or self._path is None:
            return
        self._file.close()
        os.replace(self._path.with_name(self._path.name + OPEN_SUFFIX), self._path)
        self.closed.append(self._path)
        self._file = self._writer = None


def crawl_file_name(serial: int) -> str:
    """Unique across hosts, processes and restarts, and in time order: wiredesk-STAMP-SERIAL-HOST-PID."""
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return f"wiredesk-{stamp}-{serial:05d}-{socket.gethostname()}-{os.getpid()}.warc.gz"


def crawl_info(user_agent: str, obey_robots: bool) -> dict[str, str]:
    """The warcinfo fields of a crawl's files (WARC 1.1, annex: warcinfo fields)."""
    return {
        "software": f"wiredesk/{VERSION} (Scrapy, warcio)",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "hostname": socket.gethostname(),
        "http-header-user-agent": user_agent,
        "robots": "obey" if obey_robots else "ignore",
    }


class WarcWriterMiddleware:
    """Downloader middleware: every response, and its request, into WIREDESK_WARC_DIR's WARC files."""

    def __init__(self, files: RotatingWarcFiles, stats: Any) -> None:
        self.files = files
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> WarcWriterMiddleware:
        settings = crawler.settings
        directory = settings.get("WIREDESK_WARC_DIR")
        if not directory:
            raise NotConfigured
        info = crawl_info(settings.get("USER_AGENT"), settings.getbool("ROBOTSTXT_OBEY"))
        for path in finish_killed_files(Path(directory)):
            crawler.stats.inc_value("wiredesk/warc/finished_after_kill")
            logger.warning("%s: left open by a killed crawl: finished at its last whole record", path)
        files = RotatingWarcFiles(Path(directory), settings.getint("WIREDESK_WARC_MAX_BYTES"), info)
        middleware = cls(files, crawler.stats)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response) -> Response:
        writer = self.files.writer()
        date = datetime_to_iso_date(datetime.now(UTC), use_micros=True)
        sent = writer.create_warc_record(
            request.url,
            "request",
            payload=BytesIO(request.body),
            http_headers=_request_headers(request),
            warc_headers_dict={"WARC-Date": date},
        )
        received_headers = {
            "WARC-Date": date,
            "WARC-Concurrent-To": sent.rec_headers.get_header("WARC-Record-ID"),
        }
        if response.ip_address is not None:
            received_headers["WARC-IP-Address"] = str(response.ip_address)
        source = request.meta.get("source")
        if source:
            received_headers[SOURCE_HEADER] = str(source)
        received = writer.create_warc_record(
            response.url,
            "response",
            payload=BytesIO(response.body),
            http_headers=_response_headers(response.status, _headers(response.headers), len(response.body)),
            warc_headers_dict=received_headers,
        )
        self.files.write(sent, received)
        self.stats.inc_value("wiredesk/warc/written")
        return response

    def spider_closed(self, spider: Any) -> None:
        self.files.close()


def finish_killed_files(directory: Path) -> list[Path]:
    """Finish the files crawls on this host left open when killed; the finished files' paths.

    A crawl killed with kill -9 (or out of memory) never renames its file from its `.open` name:
    readers and `wiredesk import DIR/*.warc.gz` never see it, and every page it fetched before the
    kill was missing from the archive for good. A file whose writer (the pid in its name) is gone
    is cut after its last whole record (one gzip member each; the last may be cut short) and
    renamed. Files of other hosts, or of a process still alive, are left alone.
    """
    finished = []
    host = socket.gethostname()
    for path in sorted(directory.glob(f"wiredesk-*.warc.gz{OPEN_SUFFIX}")):
        name = path.name.removesuffix(OPEN_SUFFIX)
        writer_host, _, pid = name.removesuffix(".warc.gz").split("-", 3)[-1].rpartition("-")
        if writer_host != host or not pid.isdigit() or _alive(int(pid)):
            continue
        with path.open("r+b") as stream:
            end = stream.truncate(_whole_members_end(stream))
        if end == 0:  # not even its warcinfo record: nothing to keep
            path.unlink()
            continue
        os.replace(path, path.with_name(name))
        finished.append(path.with_name(name))
    return finished


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process, alive
        return True
    return True


def _whole_members_end(stream: BinaryIO) -> int:
    """Where the last whole gzip member of the stream ends (0: none is whole)."""
    end = position = 0
    member = zlib.decompressobj(wbits=31)
    while chunk := stream.read(1 << 20):
        while chunk:
            try:
                member.decompress(chunk)
            except zlib.error:
                return end
            if not member.eof:
                position += len(chunk)
                break
            position += len(chunk) - len(member.unused_data)
            end, chunk = position, member.unused_data
            member = zlib.decompressobj(wbits=31)
    return end


def _headers(headers: Any) -> list[tuple[str, str]]:
    """Scrapy's headers as (name, value) text pairs, the framing the downloader undid renamed."""
    pairs = []
    for name, values in headers.items():
        shown = _UNDONE.get(name.lower(), name.decode("latin-1"))
        pairs += [(shown, value.decode("latin-1")) for value in values]
    return pairs


def _request_headers(request: Request) -> StatusAndHeaders:
    split = request.url.split("/", 3)
    path = "/" + (split[3] if len(split) > 3 else "")
    headers = [("Host", split[2]), *_headers(request.headers)]
    return StatusAndHeaders(f"{request.method} {path} HTTP/1.1", headers, is_http_request=True)


def _response_headers(status: int, headers: list[tuple[str, str]], length: int) -> StatusAndHeaders:
    """The status line and headers, with Content-Length the body's as written."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    kept = [(name, value) for name, value in headers if name.lower() != "content-length"]
    return StatusAndHeaders(
        f"{status} {phrase}", [*kept, ("Content-Length", str(length))], protocol="HTTP/1.1"
    )


def export_warc(
    pages: Iterator[RawPage], output: Path, max_bytes: int, advance: Callable[[int], None]
) -> list[Path]:
    """Stored raw pages as response records, in files named after `output` (rotated past max_bytes).

    A page's record carries its fetch time as WARC-Date and its source, so importing the files
    again gives the same articles under the same sources.

    Each export's files are named after its time (`corpus-STAMP-00000.warc.gz`): `wiredesk import`
    knows a file by its path, and skips one it finished, so a later export written under an
    earlier one's name was taken for it (its new pages never imported), after overwriting it.
    """
    info = {"software": f"wiredesk/{VERSION} (export)", "format": "WARC File Format 1.1"}
    stem = output.name.removesuffix(".gz").removesuffix(".warc")
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    files = RotatingWarcFiles(
        output.parent, max_bytes, info, lambda serial: f"{stem}-{stamp}-{serial:05d}.warc.gz"
    )
    for page in pages:
        writer = files.writer()
        headers = [("Content-Type", page.content_type)] if page.content_type else []
        record = writer.create_warc_record(
            page.final_url,
            "response",
            payload=BytesIO(page.body),
            http_headers=_response_headers(page.http_status, headers, len(page.body)),
            warc_headers_dict={
                "WARC-Date": datetime_to_iso_date(page.fetched_at, use_micros=True),
                SOURCE_HEADER: page.source,
            },
        )
        files.write(record)
        advance(1)
    files.close()
    return files.closed


def export_pages(
    db_url: str | None, output: Path, since: datetime | None, source: str | None, unreadable: Report
) -> tuple[int, list[Path]]:
    """`wiredesk export --format warc`: the raw pages kept, with a progress bar; how many, and where.
    A page that cannot be read goes to `unreadable`, and the others are exported."""
    from rich.console import Console
    from rich.progress import MofNCompleteColumn, Progress

    engine = make_engine(db_url)
    total = count_raw_pages(engine, since, source)
    written = 0

    def advance(count: int) -> None:
        nonlocal written
        written += count
        bar.advance(task, count)

    with Progress(
        *Progress.get_default_columns(), MofNCompleteColumn(), console=Console(stderr=True), transient=True
    ) as bar:
        task = bar.add_task(f"exporting to {output}", total=total)
        files = export_warc(raw_pages(engine, unreadable, since, source), output, DEFAULT_MAX_BYTES, advance)
    engine.dispose()
    return written, files
