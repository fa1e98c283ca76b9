"""The article's images, keywords, paywall flag and detected language (issue 18): stored within
their bounds and exported, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from cleaner import CleanArticle
from cleaner.bounds import MAX_IMAGES, MAX_KEYWORDS, MAX_URL_BYTES
from storage import Corpus, FetchedPage, make_engine
from storage.export import export_articles
from storage.models import Article
from storage.schema import upgrade

T0 = datetime(2026, 12, 2, 12, tzinfo=UTC)
URL = "https://wire.example/2026/ferry-storm"
TEXT = "The ferry crossed the estuary on Monday despite the storm, the captain said. " * 5
LEAD = {"url": "https://wire.example/media/lead.jpg", "caption": "The ferry at dawn."}


def store(db_url: str, article: CleanArticle) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    page = FetchedPage(URL, URL, URL, "wire", T0, 200, b"<html/>")
    Corpus(engine).store(page, article)
    engine.dispose()


def stored(db_url: str) -> Article:
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(Article).where(Article.url == URL)).one()
    finally:
        engine.dispose()


@pytest.fixture
def media_url(db_url: str) -> str:
    article = CleanArticle(
        text=TEXT,
        language="en",
        language_detected=True,
        top_image=LEAD["url"],
        images=[LEAD, {"url": "https://wire.example/media/map.png", "caption": None}],
        keywords=["ferries", "storms"],
        free_access=False,
    )
    store(db_url, article)
    return db_url


def test_the_media_fields_are_stored(media_url: str) -> None:
    row = stored(media_url)
    assert (row.top_image, row.free_access, row.language_detected) == (LEAD["url"], False, True)
    assert row.images == [LEAD, {"url": "https://wire.example/media/map.png", "caption": None}]
    assert row.keywords == ["ferries", "storms"]


def test_a_library_callers_hostile_values_are_bounded(db_url: str) -> None:
    """What storage writes does not always come from this cleaner: the caps apply again."""
    too_long = "https://wire.example/" + "a" * MAX_URL_BYTES
    article = CleanArticle(
        text=TEXT,
        top_image=too_long,
        images=[{"url": too_long, "caption": "x"}]
        + [{"url": f"https://wire.example/{n}.jpg", "caption": "c\x00" * 999} for n in range(MAX_IMAGES * 2)],
        keywords=["k" * 5_000] + [f"word{n}" for n in range(MAX_KEYWORDS + 5)],
    )
    store(db_url, article)
    row = stored(db_url)
    assert row.top_image is None and row.free_access is None
    assert len(row.images) == MAX_IMAGES and row.images[0]["url"] == "https://wire.example/0.jpg"
    assert "\x00" not in row.images[0]["caption"] and len(row.images[0]["caption"]) <= 1_000
    assert row.keywords == [f"word{n}" for n in range(MAX_KEYWORDS)]


def test_every_export_format_carries_them(media_url: str, tmp_path: Path) -> None:
    export_articles(media_url, "jsonl", tmp_path / "a.jsonl")
    line = json.loads((tmp_path / "a.jsonl").read_text(encoding="utf-8"))
    assert (line["top_image"], line["images"][0]) == (LEAD["url"], LEAD)
    assert line["keywords"] == ["ferries", "storms"]
    assert (line["free_access"], line["language_detected"]) == (False, True)

    export_articles(media_url, "csv", tmp_path / "a.csv")
    (cell,) = csv.DictReader((tmp_path / "a.csv").open(encoding="utf-8"))
    assert json.loads(cell["images"])[0] == LEAD and json.loads(cell["keywords"]) == ["ferries", "storms"]

    export_articles(media_url, "parquet", tmp_path / "a.parquet")
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.column("images").to_pylist()[0][0] == LEAD
    assert table.column("free_access").to_pylist() == [False]
