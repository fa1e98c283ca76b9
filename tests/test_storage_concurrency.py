"""Two crawls writing one database at once store no duplicate and lose nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import COMMAND_DEADLINE, FAST, REPO, WIREDESK
from sqlalchemy import func, select

from crawler.newsroom import Newsroom
from storage import make_engine
from storage.models import Article, ArticleUrl, Page, Revision, Story

ARTICLES = 120


@pytest.mark.slow
def test_two_crawls_of_the_same_site_at_once(db_url: str, tmp_path: Path) -> None:
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=0.005) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        command = [
            WIREDESK,
            "crawl",
            "bulk",
            "--sources",
            str(sources),
            "--db",
            db_url,
            *FAST,
            "-s",
            "WIREDESK_STORE_BATCH=7",
        ]
        crawls = [
            subprocess.Popen(
                command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=(tmp_path / f"{n}.log").open("w")
            )
            for n in range(2)
        ]
        for crawl in crawls:
            crawl.wait(timeout=COMMAND_DEADLINE)
    logs = "".join(path.read_text() for path in tmp_path.glob("*.log"))
    assert [crawl.returncode for crawl in crawls] == [0, 0], logs
    engine = make_engine(db_url)
    with engine.connect() as connection:
        counts = {
            model.__tablename__: connection.scalar(select(func.count()).select_from(model))
            for model in (Article, Story, Revision, Page)
        }
        urls = connection.scalar(select(func.count()).select_from(ArticleUrl))
    assert counts == {"articles": ARTICLES, "stories": ARTICLES, "revisions": ARTICLES, "pages": ARTICLES}
    assert urls == ARTICLES
