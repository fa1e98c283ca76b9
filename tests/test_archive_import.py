"""`wiredesk import`: WARC records take the crawl's route (clean, dedup, store), skips are counted,
and an import resumes where it stopped, even after kill -9, storing nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import COMMAND_DEADLINE, WIREDESK, run_wiredesk
from sqlalchemy import select
from warcfiles import DATE, bulk_warc, corpus_rows, record_spans, write_newsroom_warc

from crawler.archive import ArchiveImport, ImportOptions, expand_inputs
from crawler.newsroom import Document, Newsroom
from crawler.report import CrawlReport, ImportFigures
from crawler.warcrecords import open_raw
from storage import make_engine
from storage.archives import import_states
from storage.models import Article, Page

# Article pages of the newsroom's stories, on every build of it: each must be stored.
STORY_PAGES = (
    "/article/baltic-ferry-safety-talks-valletta",
    "/article/central-bank-holds-rates-inflation-eases",
    "/article/harbour-reopens-after-dredging",
    "/news/baltic-ferry-safety-talks-valletta-184522.html",
    "/news/world-news/storm-closes-adriatic-ports/",
    "/article/broken-charset",
)
# Articles of the file killed mid-import: enough that the kill lands before its end.
BULK = 150


def _import(db_url: str, *names: Path | str, **options: object) -> CrawlReport:
    importer = ArchiveImport(db_url, ImportOptions(workers=0, **options))  # type: ignore[arg-type]
    importer.prepare()
    return importer.run([str(name) for name in names])


def _figures(report: CrawlReport) -> ImportFigures:
    assert report.archive is not None
    return report.archive


def test_html_responses_are_stored_and_every_other_record_counted(
    db_url: str, newsroom: Newsroom, tmp_path: Path
) -> None:
    warc = write_newsroom_warc(tmp_path / "news.warc.gz", newsroom)
    report = _import(db_url, warc)
    assert _figures(report).not_cleaned == _expected_skips(newsroom)
    assert report.new >= 8
    engine = make_engine(db_url)
    with engine.connect() as connection:
        pages = connection.execute(select(Page.url, Page.source, Page.fetched_at)).all()
        broken = connection.execute(select(Page.outcome).where(Page.url.like("%broken-charset"))).scalar()
    assert {page.fetched_at for page in pages} == {datetime.fromisoformat(DATE)}
    assert {page.source for page in pages} == {"127.0.0.2", "127.0.0.3", "127.0.0.4"}
    assert not any(url.endswith(("cut-short", "logo.png")) for url, *_ in pages)
    assert broken is not None and broken != "failed", "a bad charset label is decoded, not lost"
    stored = {url.split(":", 2)[2].split("/", 1)[1] for url, *_ in pages}
    assert {path.lstrip("/") for path in STORY_PAGES} <= stored
    html = {
        path.lstrip("/")
        for site in newsroom.sites
        for path, document in site.routes.items()
        if document.status == 200 and document.content_type.startswith("text/html")
    }
    assert stored <= html | {"article/broken-charset"}, "only HTML 200 responses are stored"


def _expected_skips(newsroom: Newsroom) -> Counter[str]:
    """What the newsroom serves that is not an HTML 200, by reason, and the odd records' skips."""
    expected: Counter[str] = Counter({"truncated": 1, "not_html": 1, "revisit": 1})
    for site in newsroom.sites:
        for document in site.routes.values():
            if document.status != 200:
                expected[f"http-{document.status}"] += 1
            elif not document.content_type.startswith("text/html"):
                expected["not_html"] += 1
    return expected


def test_a_finished_file_is_skipped_and_a_second_import_stores_nothing(
    sqlite_url: str, newsroom: Newsroom, tmp_path: Path
) -> None:
    warc = write_newsroom_warc(tmp_path / "news.warc.gz", newsroom)
    _import(sqlite_url, warc)
    before = corpus_rows(sqlite_url)
    again = _figures(_import(sqlite_url, warc))
    assert again.files["already_done"] == 1
    assert again.records == 0
    assert corpus_rows(sqlite_url) == before
    state = import_states(make_engine(sqlite_url))[str(warc)]
    assert state.finished and state.next_offset == warc.stat().st_size


def test_filters_by_site_date_and_language(sqlite_url: str, newsroom: Newsroom, tmp_path: Path) -> None:
    warc = write_newsroom_warc(tmp_path / "news.warc.gz", newsroom, odd=False)
    report = _import(sqlite_url, warc, sites=("127.0.0.4",), source="pub")
    assert _figures(report).not_cleaned["site"] > 0
    assert set(_sources(sqlite_url)) == {"pub"}

    later = f"sqlite:///{tmp_path / 'later.db'}"
    report = _import(later, warc, since=datetime(2026, 12, 1, tzinfo=UTC))
    not_cleaned = _figures(report).not_cleaned
    assert not_cleaned["before_since"] == report.fetched - not_cleaned["not_html"] - not_cleaned["http-301"]
    assert corpus_rows(later) == (0, 0)

    other = f"sqlite:///{tmp_path / 'other.db'}"
    report = _import(other, warc, languages=frozenset({"de"}))
    assert report.no_article["other_language"] >= 8
    assert corpus_rows(other) == (0, 0)


def _sources(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        return list(connection.scalars(select(Article.source).distinct()))


def test_a_listing_names_the_files_and_relative_paths_take_the_prefix(tmp_path: Path) -> None:
    warc = tmp_path / "a.warc.gz"
    warc.write_bytes(b"")
    listing = tmp_path / "warc.paths"
    listing.write_text(
        f"{warc}\ncrawl-data/CC-NEWS/x.warc.gz\n\nhttps://example.org/y.warc\n", encoding="utf-8"
    )
    assert expand_inputs([str(listing)], "https://archive.invalid/") == [
        str(warc),
        "https://archive.invalid/crawl-data/CC-NEWS/x.warc.gz",
        "https://example.org/y.warc",
    ]


def test_the_command_reports_a_damaged_file_and_exits_3(
    sqlite_url: str, newsroom: Newsroom, tmp_path: Path
) -> None:
    whole = write_newsroom_warc(tmp_path / "whole.warc.gz", newsroom, odd=False)
    damaged = tmp_path / "damaged.warc.gz"
    data = whole.read_bytes()
    start, length = record_spans(whole)[len(record_spans(whole)) * 2 // 3]
    damaged.write_bytes(data[: start + length // 2] + b"not gzip at all" * 10)
    report = tmp_path / "report.json"
    result = run_wiredesk(
        "import", str(damaged), "--db", sqlite_url, "--workers", "1", "--report", str(report), check=False
    )
    assert result.returncode == 3, result.stderr
    assert "damaged near byte" in result.stderr
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert figures["errors"] == {"damaged_archive": 1}
    whole_corpus = f"sqlite:///{tmp_path / 'whole.db'}"
    _import(whole_corpus, whole)
    assert 0 < corpus_rows(sqlite_url)[0] < corpus_rows(whole_corpus)[0]
    assert not import_states(make_engine(sqlite_url))[str(damaged)].finished


def test_a_missing_file_is_one_line(sqlite_url: str, tmp_path: Path) -> None:
    result = run_wiredesk("import", str(tmp_path / "nope.warc.gz"), "--db", sqlite_url, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"Error: {tmp_path / 'nope.warc.gz'}: no such file"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_mid_file_resumes_at_the_last_commit_and_stores_nothing_twice(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db_url = (
        f"sqlite:///{tmp_path / 'corpus.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    )
    warc = bulk_warc(tmp_path / "bulk.warc.gz", BULK)
    command = [
        WIREDESK,
        "import",
        str(warc),
        "--db",
        db_url,
        "--workers",
        "1",
        "-s",
        "WIREDESK_STORE_BATCH=5",
    ]
    importing = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        _wait_for(lambda: _committed(db_url, warc) > 0, importing)
    finally:
        os.killpg(importing.pid, signal.SIGKILL)  # the import and its cleaning worker, at once
        importing.wait()
    committed = _committed(db_url, warc)
    stored_at_kill = corpus_rows(db_url)
    assert 0 < stored_at_kill[0] < BULK, "killed mid-file"
    assert not import_states(make_engine(db_url))[str(warc)].finished

    report = tmp_path / "resumed.json"
    result = run_wiredesk(*command[1:], "--report", str(report), timeout=COMMAND_DEADLINE)
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert "resumed ×1" in result.stderr
    assert figures["unchanged"] == 0 and figures["duplicates"] == 0, (
        "no record stored before the kill is redone"
    )
    assert figures["new"] == BULK - stored_at_kill[0]
    assert corpus_rows(db_url) == (BULK, BULK)
    state = import_states(make_engine(db_url))[str(warc)]
    assert state.finished and state.records == 2 * BULK and committed <= state.next_offset


def _committed(db_url: str, warc: Path) -> int:
    state = import_states(make_engine(db_url)).get(str(warc))
    return state.next_offset if state else 0


def _wait_for(condition: object, process: subprocess.Popen[bytes], deadline: float = 120.0) -> None:
    limit = time.monotonic() + deadline
    while time.monotonic() < limit:
        if process.poll() is not None:
            raise AssertionError(f"the import ended (status {process.returncode}) before it could be killed")
        try:
            if condition():  # type: ignore[operator]
                return
        except Exception:  # the schema may not exist yet
            pass
        time.sleep(0.05)
    raise AssertionError("the import committed nothing in time")


def test_a_file_that_ends_inside_a_record_counts_that_record_as_truncated(
    sqlite_url: str, newsroom: Newsroom, tmp_path: Path
) -> None:
    whole = write_newsroom_warc(tmp_path / "whole.warc", newsroom, odd=False, gzip=False).read_bytes()
    cut = tmp_path / "cut.warc"
    cut.write_bytes(whole[: whole.rfind(b"<html") + 300])
    report = _import(sqlite_url, cut)
    figures = _figures(report)
    assert figures.not_cleaned["truncated"] == 1
    assert figures.records == report.fetched * 2 + 1
    assert figures.files["damaged"] == 1, "a file cut short is not finished"
    assert not import_states(make_engine(sqlite_url))[str(cut)].finished


@pytest.mark.parametrize(
    ("compressed", "tail"),
    [(True, b""), (True, b"not gzip at all" * 10), (False, b"not a record" * 10)],
    ids=["gzip-cut", "gzip-cut-then-garbage", "plain-cut-then-garbage"],
)
def test_a_file_cut_inside_any_record_is_damaged_not_finished(
    sqlite_url: str, newsroom: Newsroom, tmp_path: Path, compressed: bool, tail: bytes
) -> None:
    """warcio ends quietly on most of these (a cut gzip member, garbage read as a body): every cut
    point inside a record must still count the file damaged, so a re-run reads it again."""
    whole = write_newsroom_warc(tmp_path / "whole.warc", newsroom, odd=False, gzip=compressed)
    data = whole.read_bytes()
    cut = tmp_path / "cut.warc"
    for start, length in record_spans(whole)[1::7]:
        cut.write_bytes(data[: start + length // 2] + tail)
        engine_url = f"sqlite:///{tmp_path / f'{start}.db'}"
        figures = _figures(_import(engine_url, cut))
        assert figures.files["damaged"] == 1, f"cut at {start + length // 2}"
        assert not import_states(make_engine(engine_url))[str(cut)].finished


def test_a_file_over_http_imports_as_the_local_file_and_opens_at_an_offset(
    sqlite_url: str, newsroom: Newsroom, tmp_path: Path
) -> None:
    warc = write_newsroom_warc(tmp_path / "served.warc.gz", newsroom, odd=False)
    data = warc.read_bytes()
    newsroom.wire.routes["/archive/served.warc.gz"] = Document(data, "application/warc")
    url = newsroom.wire.url("/archive/served.warc.gz")
    assert _figures(_import(sqlite_url, url)).files["imported"] == 1
    assert corpus_rows(sqlite_url) == _rows_of_local_import(warc, tmp_path)
    assert import_states(make_engine(sqlite_url))[url].finished

    stream, size = open_raw(url, 1000)  # the newsroom ignores Range: the stream skips to the offset
    with stream:
        assert (stream.tell(), size, stream.read()) == (1000, len(data), data[1000:])


def _rows_of_local_import(warc: Path, tmp_path: Path) -> tuple[int, int]:
    local = f"sqlite:///{tmp_path / 'local.db'}"
    _import(local, warc)
    return corpus_rows(local)


def test_a_url_that_cannot_be_read_is_counted_and_exits_1(
    sqlite_url: str, newsroom: Newsroom, tmp_path: Path
) -> None:
    warc = write_newsroom_warc(tmp_path / "news.warc.gz", newsroom, odd=False)
    missing = newsroom.wire.url("/archive/missing.warc.gz")
    result = run_wiredesk("import", missing, str(warc), "--db", sqlite_url, "--workers", "1", check=False)
    assert result.returncode == 1, result.stderr
    assert "unreadable ×1" in result.stderr and "imported ×1" in result.stderr
    assert corpus_rows(sqlite_url)[0] > 0
