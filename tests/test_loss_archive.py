"""WARC records whose HTTP payload is compressed (issue 21, task: nothing lost silently).

warcio 1.8 could not decode brotli with brotli 1.1 and later (AttributeError: the import waited for
ever, printing nothing), and it ends a gzip payload cut short quietly (half a page stored as whole).
"""

from __future__ import annotations

import gzip
import threading
from io import BytesIO
from pathlib import Path

import brotli
from sqlalchemy import select
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.archive import ArchiveImport, ImportOptions
from crawler.report import CrawlReport
from storage import make_engine
from storage.models import Page

PAGES = 5
# An import of five records takes seconds; past this it waits for ever.
IMPORT_DEADLINE = 120.0


def _page(number: int) -> bytes:
    words = " ".join(f"word{number}x{index}" for index in range(60))
    story = f"Harbour {number} closed on Friday as a storm moved in along the coast: {words}. "
    head = f"<html lang=en><head><title>Story {number}</title></head>"
    return f"{head}<body><article><p>{story * 3}</p></article></body></html>".encode()


def _warc(path: Path, odd: int, encoding: str, body_of: object) -> Path:
    """PAGES responses; the `odd`-th is sent with Content-Encoding `encoding`, its body `body_of(html)`."""
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True)
        for number in range(PAGES):
            body = _page(number)
            headers = [("Content-Type", "text/html; charset=utf-8")]
            if number == odd:
                body = body_of(body)  # type: ignore[operator]
                headers.append(("Content-Encoding", encoding))
            headers.append(("Content-Length", str(len(body))))
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                f"http://news.test/article/{number}",
                "response",
                payload=BytesIO(body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": "2026-11-30T08:00:00Z"},
            )
            writer.write_record(record)
    return path


def _import_within_deadline(db_url: str, warc: Path) -> CrawlReport:
    """The import's report; fails (instead of waiting for ever) when it does not end in time."""
    result: dict[str, CrawlReport] = {}

    def run() -> None:  # a cleaning worker: the time limit's alarm needs a main thread
        importer = ArchiveImport(db_url, ImportOptions(workers=1))
        importer.prepare()
        result["report"] = importer.run([str(warc)])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(IMPORT_DEADLINE)
    assert not thread.is_alive(), f"the import did not end within {IMPORT_DEADLINE:g} s"
    assert "report" in result, "the import raised"
    return result["report"]


def _cut_in_half(html: bytes) -> bytes:
    compressed = gzip.compress(html)
    return compressed[: len(compressed) // 2]


def _outcomes(db_url: str) -> dict[str, str]:
    with make_engine(db_url).connect() as connection:
        return {url: outcome for url, outcome in connection.execute(select(Page.url, Page.outcome))}


def test_a_brotli_encoded_response_is_stored_and_the_import_ends(sqlite_url: str, tmp_path: Path) -> None:
    warc = _warc(tmp_path / "br.warc.gz", 2, "br", brotli.compress)
    _import_within_deadline(sqlite_url, warc)
    assert set(_outcomes(sqlite_url).values()) <= {"new", "copy"}
    assert len(_outcomes(sqlite_url)) == PAGES


def test_a_response_whose_gzip_payload_is_cut_is_not_stored_as_whole(sqlite_url: str, tmp_path: Path) -> None:
    warc = _warc(tmp_path / "cut.warc.gz", 2, "gzip", _cut_in_half)
    report = _import_within_deadline(sqlite_url, warc)
    outcomes = _outcomes(sqlite_url)
    assert outcomes.get("http://news.test/article/2") in (None, "failed"), "half a page stored as whole"
    assert report.archive is not None
    assert report.archive.not_cleaned["truncated"] + report.lost.total() == 1
