"""Exports and import round trips that lose articles.

An export that fails midway (PostgreSQL restarted, a row that cannot be read) left its file cut
short at a row boundary, in place of the last good export: a JSON Lines file that passes for a
whole one. Now the last good export stays in place and nothing partial is left.

`wiredesk import` knows a local file by its path and skips one it finished; `export --format warc`
wrote every export under the same names (`corpus-00000.warc.gz`), over the last one. So the usual
round trip, export then import into a mirror, again and again, imported the first export only:
every later one overwrote the file the mirror had recorded as done, and was skipped as such.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FAST, run_wiredesk
from sqlalchemy import create_engine, select, text

from cleaner import CleanArticle
from crawler.newsroom import Newsroom
from storage import Corpus, FetchedPage, export, make_engine
from storage.models import Article
from storage.schema import upgrade

FORMATS = ("jsonl", "csv", "parquet")
ARTICLES = 6


def _articles(db_url: str) -> set[tuple[str, str]]:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(Article.url, Article.text)).all()
    engine.dispose()
    return {(row.url, row.text) for row in rows}


def _export_and_import(corpus: str, mirror: str, output: Path) -> None:
    run_wiredesk("export", "--format", "warc", "--db", corpus, "-o", str(output))
    files = sorted(map(str, output.parent.glob("corpus-*.warc.gz")))
    run_wiredesk("import", *files, "--db", mirror, "--workers", "1")


@pytest.mark.slow
def test_each_warc_export_imports_into_a_mirror(
    newsroom: Newsroom, sources_file: Path, tmp_path: Path
) -> None:
    corpus, mirror = f"sqlite:///{tmp_path / 'corpus.db'}", f"sqlite:///{tmp_path / 'mirror.db'}"
    exports = tmp_path / "exports"
    exports.mkdir()
    crawl = ("crawl", "--sources", str(sources_file), "--all", "--db", corpus, *FAST)
    run_wiredesk(*crawl, "--max-articles", "3")
    _export_and_import(corpus, mirror, exports / "corpus.warc.gz")
    first = _articles(corpus)
    assert _articles(mirror) == first

    run_wiredesk(*crawl)
    _export_and_import(corpus, mirror, exports / "corpus.warc.gz")
    assert len(_articles(corpus)) > len(first)
    assert _articles(mirror) == _articles(corpus)
    assert len(list(exports.glob("corpus-*.warc.gz"))) == 2, "the first export is kept"


def _stored(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    corpus = Corpus(engine)
    when = datetime(2024, 12, 5, 12, tzinfo=UTC)
    for number in range(ARTICLES):
        url = f"https://wire.example/a/story-number-{number}"
        page = FetchedPage(url, url, url, "wire", when, 200, b"<html/>")
        words = " ".join(f"word{number}x{i}" for i in range(60))
        corpus.store(page, CleanArticle(text=f"Story {number}: {words}", title=f"T{number}"))
    engine.dispose()


def _exported_before(db_url: str, fmt: str, output: Path) -> bytes:
    assert export.export_articles(db_url, fmt, output) == ARTICLES
    return output.read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_cut_short_by_a_bad_row_keeps_the_last_good_one(fmt: str, tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    _stored(f"sqlite:///{db}")
    output = tmp_path / f"articles.{fmt}"
    before = _exported_before(f"sqlite:///{db}", fmt, output)
    with sqlite3.connect(db) as connection:  # one row the export cannot read, after the first
        connection.execute("UPDATE articles SET authors = 'not json' WHERE id = ?", (ARTICLES,))
    with pytest.raises(export.UnreadableRow, match=f"article {ARTICLES}: JSONDecodeError"):
        export.export_articles(f"sqlite:///{db}", fmt, output)
    assert output.read_bytes() == before
    assert not list(tmp_path.glob("*.partial")), "nothing partial left"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_whose_connection_is_killed_keeps_the_last_good_one(
    fmt: str, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"wd_export_{uuid.uuid4().hex[:8]}"
    db_url = f"{pg_url}&application_name={name}"
    _stored(db_url)
    output = tmp_path / f"articles.{fmt}"
    before = _exported_before(db_url, fmt, output)
    monkeypatch.setattr(export, "CHUNK", 2)
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")

    def kill_the_export(rows: int) -> None:  # after the first chunk is written
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": name},
            )

    with pytest.raises(Exception, match=r"terminat|closed|connection"):
        export.export_articles(db_url, fmt, output, progress=kill_the_export)
    admin.dispose()
    assert output.read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == [output.name], "nothing partial left"
