"""An export keeps the original a republished copy declares (`declared_original`).

The export's columns left `articles.declared_original` out: the URL on another site that a copy
names as its original (rel=canonical/og:url), kept in the database and used for its story, was in
no JSON Lines, CSV or Parquet export. Old code: 0 of 3 formats had it; now 3.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cleaner import CleanArticle
from crawler.newsroom import bulk
from storage import Corpus, FetchedPage, make_engine
from storage.export import export_articles
from storage.schema import upgrade

COPY = "https://portal.example/news/ferry-talks-resume"
ORIGINAL = "https://wire.example/a/ferry-talks"


@pytest.fixture
def corpus_url(db_url: str) -> str:
    engine = make_engine(db_url)
    upgrade(engine)
    page = FetchedPage.fetched(
        COPY,
        COPY,
        source="portal",
        fetched_at=datetime(2026, 12, 3, tzinfo=UTC),
        http_status=200,
        body=b"<p>",
    ).claiming(ORIGINAL)
    story = bulk.bulk_story(21)
    Corpus(engine).store(page, CleanArticle(text="\n".join(story.paragraphs), title=story.headline))
    engine.dispose()
    return db_url


def _exported(corpus_url: str, fmt: str, out: Path) -> str | None:
    assert export_articles(corpus_url, fmt, out) == 1
    if fmt == "jsonl":
        return json.loads(out.read_text(encoding="utf-8"))["declared_original"]
    if fmt == "csv":
        with out.open(encoding="utf-8", newline="") as handle:
            return next(csv.DictReader(handle))["declared_original"]
    return pq.read_table(out).column("declared_original").to_pylist()[0]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_every_format_keeps_the_declared_original(corpus_url: str, tmp_path: Path, fmt: str) -> None:
    assert _exported(corpus_url, fmt, tmp_path / f"corpus.{fmt}") == ORIGINAL
