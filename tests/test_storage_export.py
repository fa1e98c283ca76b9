"""Export on SQLite and PostgreSQL: every format, the filters, and the command."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import run_wiredesk

from cleaner import CleanArticle
from storage import Corpus, FetchedPage, make_engine
from storage.export import ExportError, export_articles
from storage.schema import upgrade

T0 = datetime(2024, 12, 5, 12, tzinfo=UTC)


@pytest.fixture
def corpus_url(db_url: str) -> str:
    """Five articles on two sources, fetched a day apart."""
    engine = make_engine(db_url)
    upgrade(engine)
    corpus = Corpus(engine)
    for number in range(5):
        source = "wire" if number % 2 == 0 else "portal"
        url = f"https://{source}.example/a/story-number-{number}"
        page = FetchedPage(url, url, url, source, T0 + timedelta(days=number), 200, b"<html/>")
        text = f"Story {number}: " + " ".join(f"word{number}{i}" for i in range(60))
        corpus.store(page, CleanArticle(text=text, title=f"T{number}", authors=["Jane Doe"], published=T0))
    engine.dispose()
    return db_url


def test_jsonl_has_every_article_and_field(corpus_url: str, tmp_path: Path) -> None:
    out = tmp_path / "a.jsonl"
    assert export_articles(corpus_url, "jsonl", out) == 5
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["title"] for row in rows] == ["T0", "T1", "T2", "T3", "T4"]
    assert rows[0]["authors"] == ["Jane Doe"] and rows[0]["published_at"].startswith("2024-12-05T12:00:00")


def test_filters(corpus_url: str, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    assert export_articles(corpus_url, "csv", out, since=T0 + timedelta(days=2), source="wire") == 2
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["title"] for row in rows] == ["T2", "T4"]
    assert json.loads(rows[0]["authors"]) == ["Jane Doe"]


def test_parquet(corpus_url: str, tmp_path: Path) -> None:
    out = tmp_path / "a.parquet"
    assert export_articles(corpus_url, "parquet", out) == 5
    table = pq.read_table(out)
    assert table.num_rows == 5 and table.column("authors").to_pylist()[0] == ["Jane Doe"]


def test_unknown_format(corpus_url: str, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="unknown format"):
        export_articles(corpus_url, "xml", tmp_path / "a.xml")


def test_export_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(make_engine(url))
    result = run_wiredesk("export", "--db", url, "--format", "jsonl", "-o", str(tmp_path / "out.jsonl"))
    assert "0 articles written" in result.stderr
    assert (tmp_path / "out.jsonl").read_text() == ""
