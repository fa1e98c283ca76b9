"""The spool of a database is found however its URL is written (issue 21: nothing lost silently).

Before, the spool folder was named after the URL as written: articles a crawl spooled under
`postgresql+psycopg://crawler:pw@db/news` were invisible to `wiredesk replay --db
postgresql://crawler@db:5432/news` ("0 spooled articles written: nothing to do", exit 0) and to
every later crawl that spelled it otherwise; they waited on disk for ever.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cleaner import CleanArticle
from storage.records import FetchedPage
from storage.spool import QUARANTINE, spool, spool_dir, spooled

PG = "postgresql+psycopg://crawler:secret@db.example/news"


def _spool_one(directory: Path) -> Path:
    page = FetchedPage(
        url="https://news.example/a",
        final_url="https://news.example/a",
        canonical_url="https://news.example/a",
        source="news",
        fetched_at=datetime(2026, 12, 2, tzinfo=UTC),
        http_status=200,
        body=b"<html></html>",
    )
    return spool(directory, page, CleanArticle(text="A story."))


@pytest.mark.parametrize(
    "other_spelling",
    [
        "postgresql://crawler@db.example:5432/news",
        "postgresql+psycopg2://crawler:changed@DB.example/news",
    ],
)
def test_the_spool_is_found_whatever_the_spelling_of_a_postgresql_url(
    tmp_path: Path, other_spelling: str
) -> None:
    _spool_one(spool_dir(tmp_path, PG))
    assert len(spooled(spool_dir(tmp_path, other_spelling))) == 1


def test_a_sqlite_file_is_one_spool_by_relative_or_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _spool_one(spool_dir(tmp_path / "spool", "sqlite:///news.db"))
    assert len(spooled(spool_dir(tmp_path / "spool", f"sqlite:///{tmp_path / 'news.db'}"))) == 1


@pytest.mark.parametrize(
    "another_database",
    [
        "postgresql+psycopg://crawler@db.example/other",
        "postgresql+psycopg://crawler@db.example:5433/news",
        "postgresql+psycopg://reader@db.example/news",
        f"{PG}?options=-csearch_path%3Dcorpus2",
    ],
)
def test_another_database_or_schema_has_another_spool(tmp_path: Path, another_database: str) -> None:
    _spool_one(spool_dir(tmp_path, PG))
    assert spooled(spool_dir(tmp_path, another_database)) == []


def test_entries_spooled_under_the_old_folder_name_are_adopted(tmp_path: Path) -> None:
    """Entries of the folder named after the URL as written (before) are moved, quarantine too."""
    legacy = tmp_path / hashlib.sha256(PG.encode("utf-8")).hexdigest()[:16]
    _spool_one(legacy)
    (legacy / QUARANTINE).mkdir()
    (legacy / QUARANTINE / "bad.json").write_text("{}", encoding="utf-8")
    directory = spool_dir(tmp_path, PG)
    assert directory != legacy
    assert len(spooled(directory)) == 1
    assert (directory / QUARANTINE / "bad.json").exists()
    assert spooled(legacy) == []
