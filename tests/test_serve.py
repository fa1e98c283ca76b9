"""`wiredesk serve`: datasette on the corpus, tested through datasette's own test client."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import REPO

import cleaner
from crawler.cli import cli
from crawler.newsroom import pages
from crawler.newsroom.stories import ROMAN_ROAD
from crawler.serve import SCHEMA_QUERIES, corpus_datasette
from storage import Corpus, FetchedPage, make_engine
from storage.schema import upgrade

SITES = ("https://publisher.example/news/roman-road/", "https://mirror.example/world/roman-road-found")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """datasette's client on a corpus of one story carried by two sites."""
    path = tmp_path_factory.mktemp("serve") / "corpus.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    for number, url in enumerate(SITES):
        html = pages.publisher_article(ROMAN_ROAD, url, []).encode()
        fetched_at = datetime(2024, 12, 3, 8, tzinfo=UTC) + timedelta(hours=number)
        page = FetchedPage(url, url, url, url.split("/")[2], fetched_at, 200, html, "text/html")
        Corpus(engine).store(page, cleaner.clean(html, url))
    engine.dispose()
    return corpus_datasette(path).client


def get(client: Any, path: str) -> Any:
    response = asyncio.run(client.get(path))
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response


def test_articles_are_searchable_with_the_raw_columns_hidden(client: Any) -> None:
    found = get(client, "/corpus/articles.json?_search=roman&_shape=objects").json()
    assert len(found["rows"]) == 2
    assert "minhash" not in found["rows"][0] and "text" in found["rows"][0]
    assert get(client, "/corpus/articles.json?_search=zeppelin").json()["rows"] == []
    assert "minhash" in get(client, "/corpus/articles.json?_col=minhash").json()["columns"]
    assert "body_zlib" not in get(client, "/corpus/pages.json").json()["columns"]


def test_long_text_is_cut_in_tables_not_in_json(client: Any) -> None:
    last = ROMAN_ROAD.paragraphs[-1]
    assert last not in get(client, "/corpus/articles").text
    assert last in get(client, "/corpus/articles.json?_shape=objects").json()["rows"][0]["text"]


def test_a_story_with_its_copies(client: Any) -> None:
    copies = get(client, "/corpus/story_with_copies.json?story_id=1&_shape=objects").json()["rows"]
    assert [copy["url"] for copy in copies] == list(SITES)
    story_page = " ".join(re.sub("<[^>]+>", " ", get(client, "/corpus/stories/1").text).split())
    assert "2 rows from story_id in articles" in story_page


def test_canned_queries_are_the_schema_examples_and_all_run(client: Any) -> None:
    examples = re.findall(r"```sql\n(.*?)```", (REPO / "docs" / "schema.md").read_text("utf-8"), re.DOTALL)
    assert [sql for _, _, sql in SCHEMA_QUERIES] == [example.strip() for example in examples]
    assert len(SCHEMA_QUERIES) >= 10
    for name, _, _ in SCHEMA_QUERIES:
        assert get(client, f"/corpus/{name}.json").json()["ok"] is True


@pytest.mark.parametrize(
    ("db", "message"),
    [
        ("postgresql://u@localhost/db", "datasette reads SQLite only"),
        ("sqlite:///{tmp}/none.db", "no corpus at"),
    ],
)
def test_serve_refuses_what_it_cannot_open(tmp_path: Path, db: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["serve", "--db", db.format(tmp=tmp_path)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and message in result.stderr
