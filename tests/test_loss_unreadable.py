"""`wiredesk export` past a row it cannot read: the row is named on stderr, the others exported, the
summary counts it and the command exits 3.

It printed a Python traceback at the first such row (a raw page whose compressed body is corrupt,
text that is not UTF-8, a JSON column that is not JSON) and wrote nothing more: one bad row cost
the export of every row after it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import run_wiredesk
from sqlalchemy import update
from warcio.archiveiterator import ArchiveIterator

from cleaner import CleanArticle
from storage import Corpus, FetchedPage, make_engine
from storage.models import Article, Page
from storage.schema import upgrade

ARTICLES = 5


def _stored(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    corpus = Corpus(engine)
    when = datetime(2024, 12, 5, 12, tzinfo=UTC)
    for number in range(1, ARTICLES + 1):
        url = f"https://wire.example/a/story-number-{number}"
        page = FetchedPage(url, url, url, "wire", when, 200, f"<html>{number}</html>".encode())
        words = " ".join(f"word{number}x{i}" for i in range(60))
        corpus.store(page, CleanArticle(text=f"Story {number}: {words}", title=f"T{number}"))
    engine.dispose()


def _spoil(db_url: str, statement: object) -> None:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(statement)  # type: ignore[call-overload]
    engine.dispose()


def test_articles_that_cannot_be_read_are_named_and_the_others_exported(tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    _stored(f"sqlite:///{db}")
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE articles SET text = CAST(X'FFFE' AS TEXT) WHERE id = 2")
        connection.execute("UPDATE articles SET authors = 'not json' WHERE id = 4")
    output = tmp_path / "articles.jsonl"
    result = run_wiredesk("export", "--db", f"sqlite:///{db}", "-o", str(output), check=False)
    assert result.returncode == 3, result.stderr
    assert (
        "article 2 not exported" in result.stderr
        and "article 4 not exported: JSONDecodeError" in result.stderr
    )
    assert "3 articles written" in result.stderr and "2 unreadable articles left out" in result.stderr
    assert "Traceback" not in result.stderr
    exported = [json.loads(line)["id"] for line in output.read_text().splitlines()]
    assert exported == [1, 3, 5]


def test_an_article_its_format_cannot_hold_is_named_and_the_others_exported(
    db_url: str, tmp_path: Path
) -> None:
    _stored(db_url)
    _spoil(db_url, update(Article).where(Article.id == 3).values(images=["not an image"]))
    output = tmp_path / "articles.parquet"
    result = run_wiredesk("export", "--db", db_url, "-o", str(output), check=False)
    assert result.returncode == 3, result.stderr
    assert "article 3 not exported" in result.stderr and "4 articles written" in result.stderr
    pyarrow = pytest.importorskip("pyarrow.parquet")
    assert pyarrow.read_table(output).column("id").to_pylist() == [1, 2, 4, 5]


def test_a_corrupt_raw_page_is_named_and_the_others_exported_as_warc(db_url: str, tmp_path: Path) -> None:
    _stored(db_url)
    _spoil(db_url, update(Page).where(Page.id == 2).values(body_zlib=b"not zlib at all"))
    result = run_wiredesk("export", "--db", db_url, "-o", str(tmp_path / "corpus.warc.gz"), check=False)
    assert result.returncode == 3, result.stderr
    assert "raw page 2 not exported: body not zlib" in result.stderr
    assert f"{ARTICLES - 1} raw pages written" in result.stderr and "Traceback" not in result.stderr
    (warc,) = tmp_path.glob("corpus-*.warc.gz")
    with warc.open("rb") as stream:
        records = ArchiveIterator(stream)
        bodies = [record.content_stream().read() for record in records if record.rec_type == "response"]
    assert bodies == [f"<html>{number}</html>".encode() for number in (1, 3, 4, 5)]
