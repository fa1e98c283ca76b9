"""WARC files made of the loopback newsroom's pages, for the import tests (no crawl, no network).

Every document the newsroom serves becomes a request and a response record, as a crawler would
write them; `add_odd_records` adds the records an import must count and skip (or survive).
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.newsroom import Newsroom
from crawler.newsroom.bulk import bulk_article
from storage import make_engine
from storage.models import Article, Page

DATE = "2026-11-30T08:00:00Z"


def response_record(
    writer: WARCWriter,
    url: str,
    body: bytes,
    content_type: str = "text/html; charset=utf-8",
    status: int = 200,
    date: str = DATE,
    warc_headers: dict[str, str] | None = None,
) -> None:
    """One request record and its response record."""
    request = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True)
    writer.write_record(
        writer.create_warc_record(url, "request", http_headers=request, warc_headers_dict={"WARC-Date": date})
    )
    reason = {200: "OK", 404: "Not Found", 301: "Moved Permanently"}.get(status, "Other")
    headers = StatusAndHeaders(
        f"{status} {reason}",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        protocol="HTTP/1.1",
    )
    record = writer.create_warc_record(
        url,
        "response",
        payload=BytesIO(body),
        http_headers=headers,
        warc_headers_dict={"WARC-Date": date, **(warc_headers or {})},
    )
    writer.write_record(record)


def newsroom_records(writer: WARCWriter, newsroom: Newsroom) -> int:
    """Every document of every site; returns how many article pages (HTML 200 under /article or /news)."""
    articles = 0
    for site in newsroom.sites:
        for path, document in site.routes.items():
            response_record(writer, site.url(path), document.body, document.content_type, document.status)
            articles += document.status == 200 and document.content_type.startswith("text/html")
    return articles


def add_odd_records(writer: WARCWriter, newsroom: Newsroom) -> None:
    """A truncated record, a non-HTML one, a revisit, and a page whose declared charset is broken."""
    wire = newsroom.wire
    page = wire.routes["/article/harbour-reopens-after-dredging"].body
    response_record(
        writer,
        wire.url("/article/cut-short"),
        page[: len(page) // 2],
        warc_headers={"WARC-Truncated": "length"},
    )
    response_record(writer, wire.url("/logo.png"), b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")
    revisit = writer.create_warc_record(
        wire.url("/article/harbour-reopens-after-dredging"),
        "revisit",
        warc_headers_dict={
            "WARC-Date": DATE,
            "WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
            "WARC-Refers-To-Target-URI": wire.url("/article/harbour-reopens-after-dredging"),
        },
    )
    writer.write_record(revisit)
    broken = page.replace(b"harbour", b"harbour \xe9\xff")
    response_record(
        writer, wire.url("/article/broken-charset"), broken, "text/html; charset=no-such-charset-x"
    )


def write_newsroom_warc(path: Path, newsroom: Newsroom, odd: bool = True, gzip: bool = True) -> Path:
    """The newsroom as one WARC file (gzipped per record, as crawlers write them)."""
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=gzip, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "wiredesk tests"}))
        newsroom_records(writer, newsroom)
        if odd:
            add_odd_records(writer, newsroom)
    return path


def record_spans(path: Path) -> list[tuple[int, int]]:
    """Where each record of a whole file starts and how many bytes it takes."""
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        return [(records.get_record_offset(), records.get_record_length()) for _ in records]


def bulk_warc(path: Path, count: int) -> Path:
    """`count` distinct articles on one site, one record each (plus their requests)."""
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True, warc_version="1.1")
        for number in range(count):
            url = f"http://bulk.example.test/news/{number}"
            response_record(writer, url, bulk_article(number, url, None))
    return path


def corpus_rows(db_url: str) -> tuple[int, int]:
    """How many articles and raw pages the corpus holds."""
    engine = make_engine(db_url)
    with engine.connect() as connection:
        articles = connection.scalar(select(func.count()).select_from(Article)) or 0
        pages = connection.scalar(select(func.count()).select_from(Page)) or 0
    engine.dispose()
    return articles, pages
