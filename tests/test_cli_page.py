"""`wiredesk page URL`: a stored page's raw HTML as fetched, by any URL that led to it or by revision."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

import cleaner
from crawler.cli import cli
from crawler.newsroom import pages
from crawler.newsroom.stories import ROMAN_ROAD
from storage import Corpus, FetchedPage, make_engine
from storage.schema import upgrade

URL = "https://publisher.example/news/roman-road/"
REQUESTED = "https://publisher.example/r/roman-road?utm_source=feed"
T0 = datetime(2024, 12, 5, 12, tzinfo=UTC)


def wiredesk(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr, result.exception)
    return result


def store_two_revisions(db_url: str) -> list[bytes]:
    """The story fetched twice, its text changed between: two revisions, two raw pages (non-ASCII bytes)."""
    engine = make_engine(db_url)
    upgrade(engine)
    corpus = Corpus(engine)
    bodies = []
    for number, story in enumerate(
        [ROMAN_ROAD, replace(ROMAN_ROAD, paragraphs=[*ROMAN_ROAD.paragraphs, "Café é."])]
    ):
        html = pages.publisher_article(story, URL, [])
        body = html.encode("utf-8")
        page = FetchedPage(
            url=REQUESTED,
            final_url=URL,
            canonical_url=URL,
            source="publisher",
            fetched_at=T0 + timedelta(hours=number),
            http_status=200,
            body=body,
            content_type="text/html; charset=utf-8",
        )
        corpus.store(page, cleaner.clean(html, URL))
        bodies.append(body)
    engine.dispose()
    return bodies


def test_page_prints_the_latest_raw_bytes_by_any_url_and_each_revision(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    first, second = store_two_revisions(db)
    assert first != second
    for url in (URL, REQUESTED):
        assert wiredesk("page", url, "--db", db).stdout_bytes == second
    assert wiredesk("page", URL, "--db", db, "--revision", "1").stdout_bytes == first
    assert wiredesk("page", URL, "--db", db, "--revision", "2").stdout_bytes == second


def test_page_not_stored_is_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    store_two_revisions(db)
    missing = wiredesk("page", "https://publisher.example/nowhere", "--db", db, code=1)
    assert missing.stderr.strip() == "Error: no stored page for https://publisher.example/nowhere"
    revision = wiredesk("page", URL, "--db", db, "--revision", "3", code=1)
    assert revision.stderr.strip().count("\n") == 0 and "revision 3" in revision.stderr
    assert revision.stdout_bytes == b""
