"""The docs stay true: every example query in docs/schema.md runs on a crawled corpus."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FAST, PG_URL, REPO, run_wiredesk
from sqlalchemy import create_engine, text

from crawler.newsroom import Newsroom
from storage.readonly import run_query

SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)
EXAMPLES = SQL_BLOCK.findall((REPO / "docs" / "schema.md").read_text(encoding="utf-8"))


@pytest.fixture(params=["sqlite", "postgresql"])
def crawled_corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The newsroom crawled twice, with one article updated in between (so there is a revision)."""
    directory = tmp_path_factory.mktemp("docs")
    if request.param == "sqlite":
        url = f"sqlite:///{directory / 'corpus.db'}"
        yield from _crawled(url, directory)
        return
    request.getfixturevalue("pg_available")
    schema = f"wd_docs_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield from _crawled(f"{PG_URL}?options=-csearch_path%3D{schema}", directory)
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _crawled(url: str, directory: Path) -> Iterator[str]:
    with Newsroom() as newsroom:
        sources = directory / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        run_wiredesk("crawl", "--sources", str(sources), "--db", url, *FAST)
        page = newsroom.wire.routes["/article/central-bank-holds-rates-inflation-eases"]
        page.body = page.body.replace(b"</p><p>", b" The decision was unanimous on the timing.</p><p>", 1)
        run_wiredesk(
            "crawl", "wire", "--sources", str(sources), "--db", url, *FAST, "-s", "WIREDESK_REVISIT_HOURS=0"
        )
    yield url


def test_schema_doc_has_at_least_ten_examples() -> None:
    assert len(EXAMPLES) >= 10


@pytest.mark.slow
def test_every_schema_example_runs_and_returns_rows(crawled_corpus: str) -> None:
    """One test per backend, not one per query: under xdist, queries spread over several processes
    made each crawl the corpus again. Every query is run; the failure names each one that failed."""
    failed = []
    for query in EXAMPLES:
        try:
            result = run_query(crawled_corpus, query)
        except Exception as error:  # any failure: reported with its query below
            failed.append(f"{query}\n-> {type(error).__name__}: {error}")
            continue
        if not (result.columns and result.rows):
            failed.append(f"{query}\n-> no rows")
    assert not failed, "\n\n".join(failed)


def test_readme_opens_with_the_two_setup_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in first_block.strip().splitlines()] == [
        ["make", "crawl"],
        ["make", "test"],
    ]
