"""WARC out: `crawl --warc` keeps every exchange, `export --format warc` the raw pages; both import back
into an empty corpus as the same articles in the same stories."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from conftest import FAST, run_wiredesk
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from crawler.newsroom import Newsroom
from crawler.warcrecords import SOURCE_HEADER
from crawler.warcwriter import RotatingWarcFiles
from storage import make_engine
from storage.models import Article


def _corpus(db_url: str) -> tuple[set[tuple[str, str, str]], set[frozenset[str]]]:
    """The articles (URL, source, text), and the stories as sets of article URLs (ids differ)."""
    engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(Article.url, Article.source, Article.text, Article.story_id)).all()
    engine.dispose()
    stories: dict[int, set[str]] = {}
    for row in rows:
        stories.setdefault(row.story_id, set()).add(row.url)
    return {(row.url, row.source, row.text) for row in rows}, {frozenset(urls) for urls in stories.values()}


def _records(files: list[Path]) -> list[tuple[str, dict[str, str]]]:
    found = []
    for path in files:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                assert record.rec_headers.protocol == "WARC/1.1"
                found.append((record.rec_type, dict(record.rec_headers.headers)))
    return found


@pytest.fixture(scope="session")
def crawled(newsroom: Newsroom, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[Path]]:
    """The newsroom crawled once with --warc: the corpus, and the WARC files written."""
    directory = tmp_path_factory.mktemp("crawled")
    sources = directory / "sources.toml"
    sources.write_text(newsroom.sources_toml(), encoding="utf-8")
    db_url, archive = f"sqlite:///{directory / 'crawled.db'}", directory / "warc"
    run_wiredesk("crawl", "--sources", str(sources), "--all", "--db", db_url, "--warc", str(archive), *FAST)
    return db_url, sorted(archive.iterdir())


@pytest.mark.xdist_group("archive_write_crawled")
def test_a_crawl_written_as_warc_imports_as_the_same_articles_and_stories(
    crawled: tuple[str, list[Path]], tmp_path: Path
) -> None:
    db_url, files = crawled
    assert files and all(path.name.endswith(".warc.gz") for path in files), "no file left open"
    records = _records(files)
    assert records[0][0] == "warcinfo"
    kinds = [kind for kind, _ in records]
    assert kinds.count("request") == kinds.count("response") > 10
    sources = {headers.get(SOURCE_HEADER) for kind, headers in records if kind == "response"}
    assert {"wire", "portal", "publisher"} <= sources

    imported = f"sqlite:///{tmp_path / 'imported.db'}"
    run_wiredesk("import", *map(str, files), "--db", imported, "--workers", "1")
    articles, stories = _corpus(db_url)
    assert len(articles) >= 8
    assert _corpus(imported) == (articles, stories)


@pytest.mark.xdist_group("archive_write_crawled")
def test_exported_raw_pages_import_as_the_same_articles_and_stories(
    crawled: tuple[str, list[Path]], tmp_path: Path
) -> None:
    db_url = crawled[0]
    imported = f"sqlite:///{tmp_path / 'imported.db'}"
    result = run_wiredesk(
        "export", "--format", "warc", "--db", db_url, "-o", str(tmp_path / "corpus.warc.gz")
    )
    (written,) = tmp_path.glob("corpus-*-00000.warc.gz")
    assert str(written) in result.stderr
    run_wiredesk("import", str(written), "--db", imported, "--workers", "1")
    assert _corpus(imported) == _corpus(db_url)


def test_files_rotate_past_their_size_and_each_starts_with_warcinfo(tmp_path: Path) -> None:
    files = RotatingWarcFiles(tmp_path, max_bytes=2000, info={"software": "test"})
    for number in range(20):
        writer = files.writer()
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        body = f"<html><body>page {number}</body></html>".encode() * 20
        files.write(
            writer.create_warc_record(
                f"http://x.test/{number}", "response", payload=BytesIO(body), http_headers=headers
            )
        )
    files.close()
    assert len(files.closed) > 2
    for path in files.closed:
        records = _records([path])
        assert records[0][0] == "warcinfo"
        warcinfo_id = records[0][1]["WARC-Record-ID"]
        assert all(headers["WARC-Warcinfo-ID"] == warcinfo_id for _, headers in records[1:])
    assert sum(len(_records([path])) - 1 for path in files.closed) == 20
