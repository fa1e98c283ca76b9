"""Full-text search on SQLite (FTS5) and PostgreSQL (tsvector), kept in step with the articles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import run_wiredesk
from sqlalchemy import Engine

from cleaner import CleanArticle
from storage import Corpus, FetchedPage, make_engine
from storage.schema import upgrade
from storage.search import fts5_query, search

STORIES = {
    "osce-2023": (
        "Lavrov at OSCE meeting in Skopje",
        "Russian Foreign Minister Sergey Lavrov attended the OSCE "
        "ministerial meeting in Skopje, North Macedonia, and said goals in Ukraine were unchanged.",
    ),
    "osce-2024": (
        "Blinken and Lavrov clash in Malta",
        "Antony Blinken and Sergey Lavrov clashed at the OSCE meetings in Malta over escalation in Ukraine.",
    ),
    "storm": (
        "Storm closes Adriatic ports",
        "Ports along the Adriatic coast closed as a winter storm brought "
        "strong winds to Croatia and Montenegro.",
    ),
}


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    upgrade(engine)
    corpus = Corpus(engine)
    for day, (slug, (title, text)) in enumerate(STORIES.items(), start=1):
        url = f"https://wire.example/{slug}"
        page = FetchedPage(
            url,
            url,
            url,
            "wire" if slug != "storm" else "pa",
            datetime(2024, 12, day, tzinfo=UTC),
            200,
            b"<html/>",
        )
        corpus.store(
            page, CleanArticle(text=text * 3, title=title, published=datetime(2024, 12, day, tzinfo=UTC))
        )
    return engine


def test_ranked_hits_with_snippets(engine: Engine) -> None:
    hits = search(engine, "lavrov osce")
    assert {hit.url.rsplit("/", 1)[1] for hit in hits} == {"osce-2023", "osce-2024"}
    assert all("[" in hit.snippet and "]" in hit.snippet for hit in hits)
    assert hits[0].published_at is not None and hits[0].published_at.tzinfo is not None


def test_stemming_and_filters(engine: Engine) -> None:
    assert [h.title for h in search(engine, "meeting", since=datetime(2024, 12, 2, tzinfo=UTC))] == [
        "Blinken and Lavrov clash in Malta"
    ]
    assert [h.source for h in search(engine, "storm")] == ["pa"]
    assert search(engine, "storm", source="wire") == []


def test_index_follows_updates(engine: Engine) -> None:
    url = "https://wire.example/storm"
    page = FetchedPage(url, url, url, "pa", datetime(2024, 12, 9, tzinfo=UTC), 200, b"<html/>")
    Corpus(engine).store(
        page, CleanArticle(text="Ferries resumed service after the gale. " * 10, title="Ferries")
    )
    assert search(engine, "adriatic") == []
    assert [h.title for h in search(engine, "ferries")] == ["Ferries"]


def test_syntax_in_user_words_is_harmless(engine: Engine) -> None:
    assert fts5_query('lavrov AND "osce" NEAR(x') == '"lavrov" "AND" "osce" "NEAR" "x"'
    search(engine, 'lavrov AND "osce" NEAR( -x OR')
    assert search(engine, "   ") == []


def test_search_command(engine: Engine, db_url: str) -> None:
    result = run_wiredesk("search", "lavrov malta", "--db", db_url, "--format", "json")
    assert '"title": "Blinken and Lavrov clash in Malta"' in result.stdout
    assert "MATCH" in run_wiredesk("search", "x", "--db", db_url, "--show-sql").stdout or db_url.startswith(
        "post"
    )
