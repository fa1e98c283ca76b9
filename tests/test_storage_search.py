"""Full-text search on SQLite (FTS5) and PostgreSQL (tsvector): kept in step with the articles, one
query syntax with the same results on both, and an index that datasette and sqlite-utils find."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from cleaner import CleanArticle
from crawler.cli import cli
from storage import Corpus, FetchedPage, make_engine
from storage.schema import upgrade
from storage.search import SearchSyntaxError, fts5_query, search, tsquery

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
    return _corpus(db_url)


def _corpus(db_url: str) -> Engine:
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
    assert fts5_query('lavrov AND "osce" NEAR(x') == '"lavrov" AND "AND" AND "osce" AND "NEAR x"'
    assert tsquery("lavrov's (osce) & !x:* <->") == "(lavrov <-> s) & osce & x:*"
    search(engine, 'lavrov AND "osce" NEAR( -x OR')
    search(engine, "it's (a) & !b:* <-> 'c' \\ ;")
    assert search(engine, "   ") == []


# One syntax, the same results on SQLite and PostgreSQL (each query runs on both).
SYNTAX = [
    ("lavrov", {"osce-2023", "osce-2024"}),
    ("lavrov storm", set()),  # every word must appear
    ("lavrov OR storm", {"osce-2023", "osce-2024", "storm"}),
    ("malta OR skopje", {"osce-2023", "osce-2024"}),
    ("lavrov -malta", {"osce-2023"}),
    ('lavrov -"clashed at"', {"osce-2023"}),
    ("ports OR lavrov -skopje", {"osce-2024", "storm"}),
    ('"winter storm"', {"storm"}),
    ('"storm winter"', set()),  # a phrase keeps its order
    ("escal*", {"osce-2024"}),  # prefix: escalation
    ("Ukrain* Skop*", {"osce-2023"}),
    ("meetings", {"osce-2023", "osce-2024"}),  # stemmed: meeting, meetings
]


@pytest.mark.parametrize(("words", "slugs"), SYNTAX, ids=[words for words, _ in SYNTAX])
def test_one_syntax_on_both_backends(engine: Engine, words: str, slugs: set[str]) -> None:
    assert {hit.url.rsplit("/", 1)[1] for hit in search(engine, words)} == slugs


def test_only_excluded_words_are_refused(engine: Engine) -> None:
    with pytest.raises(SearchSyntaxError, match="-word only excludes"):
        search(engine, "-storm")


def test_search_command(engine: Engine, db_url: str) -> None:
    result = CliRunner().invoke(cli, ["search", "lavrov malta", "--db", db_url, "--json"])
    assert result.exit_code == 0, result.stderr
    (hit,) = json.loads(result.stdout)
    assert hit["title"] == "Blinken and Lavrov clash in Malta"
    assert "[Lavrov]" in hit["snippet"]
    table = CliRunner().invoke(cli, ["search", "lavrov malta", "--db", db_url, "--table"])
    assert "[Lavrov]" in table.stdout, "the highlight was read as markup"
    show_sql = CliRunner().invoke(cli, ["search", "x", "--db", db_url, "--show-sql"]).stdout
    assert ("MATCH" if db_url.startswith("sqlite") else "to_tsquery") in show_sql


def test_sqlite_utils_finds_and_uses_the_index(sqlite_url: str) -> None:
    """datasette and sqlite-utils detect an FTS table by its declaration (content="articles")."""
    import sqlite_utils

    _corpus(sqlite_url).dispose()
    database = sqlite_utils.Database(sqlite_url.removeprefix("sqlite:///"))
    assert database["articles"].detect_fts() == "articles_fts"
    found = database["articles"].search("adriatic", columns=["url"])
    assert [row["url"] for row in found] == ["https://wire.example/storm"]
