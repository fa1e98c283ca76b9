"""The database goes away: articles wait in the local spool and are written, once, when it is back."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import FAST, PG_URL, REPO, WIREDESK, run_wiredesk
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from cleaner import CleanArticle
from crawler.newsroom import Newsroom
from crawler.spiders.news import NewsSpider
from storage import Corpus, FetchedPage, Outcome, make_engine
from storage.models import Article, Page, Revision
from storage.schema import upgrade
from storage.spool import replay, spool, spool_dir, spooled

ARTICLES = 80


def _page(number: int) -> tuple[FetchedPage, CleanArticle]:
    url = f"https://wire.example/a/story-number-{number}"
    text_ = f"Story {number}. " + " ".join(f"w{number}x{i}" for i in range(50))
    page = FetchedPage(
        url, url, url, "wire", datetime(2024, 12, 5, tzinfo=UTC), 200, b"<html>\x00\xff</html>"
    )
    return page, CleanArticle(text=text_, title=f"T{number}", published=datetime(2024, 12, 5, 9, tzinfo=UTC))


def test_spool_and_replay_store_each_article_once(db_url: str, tmp_path: Path) -> None:
    directory = spool_dir(tmp_path, db_url)
    for number in range(3):
        spool(directory, *_page(number))
    engine = make_engine(db_url)
    upgrade(engine)
    corpus = Corpus(engine)
    assert [r.outcome for r in replay(directory, corpus)] == [Outcome.NEW] * 3
    assert spooled(directory) == [] and replay(directory, corpus) == []
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Article)) == 3
        assert connection.scalar(select(Page.body_zlib).limit(1))


def test_spool_folders_are_per_database(tmp_path: Path) -> None:
    assert spool_dir(tmp_path, "sqlite:///a.db") != spool_dir(tmp_path, "sqlite:///b.db")


@pytest.fixture
def pg_database(pg_available: None) -> Iterator[str]:
    """A database of its own, which the test can close to new connections and open again."""
    name = f"wd_down_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        connection.execute(
            text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        )
        connection.execute(text(f"DROP DATABASE {name}"))
    admin.dispose()


def _set_reachable(name: str, reachable: bool) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {str(reachable).lower()}"))
        if not reachable:
            connection.execute(
                text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            )
    admin.dispose()


def _stored(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Article)) or 0
    except Exception:
        return 0
    finally:
        engine.dispose()


def test_postgres_goes_away_mid_crawl(pg_database: str, tmp_path: Path) -> None:
    name = make_url(pg_database).database or ""
    upgrade(make_engine(pg_database))
    env = {**os.environ, "WIREDESK_SPOOL": str(tmp_path / "spool")}
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=0.05) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        command = [
            WIREDESK,
            "crawl",
            "bulk",
            "--sources",
            str(sources),
            "--db",
            pg_database,
            *FAST,
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=2",
            "-s",
            "WIREDESK_STORE_BATCH=5",
        ]
        crawl = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while _stored(pg_database) < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        _set_reachable(name, False)
        time.sleep(3)
        _set_reachable(name, True)
        _, stderr = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, stderr
    assert "spooling" in stderr, stderr
    leftover = spooled(spool_dir(tmp_path / "spool", pg_database))
    if leftover:
        run_wiredesk("replay", "--db", pg_database, "--spool", str(tmp_path / "spool"), env=env)
    engine = make_engine(pg_database)
    with engine.connect() as connection:
        articles = connection.scalar(select(func.count()).select_from(Article))
        revisions = connection.scalar(select(func.count()).select_from(Revision))
        distinct_urls = connection.scalar(select(func.count(func.distinct(Article.url))))
    engine.dispose()
    assert articles == distinct_urls == revisions == ARTICLES
    assert spooled(spool_dir(tmp_path / "spool", pg_database)) == []


@pytest.mark.slow
def test_sqlite_locked_by_another_writer_mid_crawl(tmp_path: Path) -> None:
    """Another writer holds the lock past the busy timeout, twice over (the store retries once).

    Slow by nature: SQLITE_BUSY_TIMEOUT_MS (30 s) is a constant of storage/engine.py, so the batch
    goes to the spool only after a minute; the lock is released as soon as it does. The newsroom is
    slow enough that articles are still coming when the lock is taken.
    """
    path = tmp_path / "corpus.db"
    db_url = f"sqlite:///{path}"
    upgrade(make_engine(db_url))
    env = {**os.environ, "WIREDESK_SPOOL": str(tmp_path / "spool")}
    spool_of_db = spool_dir(tmp_path / "spool", db_url)
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=0.2) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        command = [WIREDESK, "crawl", "bulk", "--sources", str(sources), "--db", db_url, *FAST]
        command += ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "WIREDESK_STORE_BATCH=5"]
        crawl = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while _stored(db_url) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        locker = sqlite3.connect(path, timeout=30, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        deadline = time.monotonic() + 120
        while not spooled(spool_of_db) and crawl.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        locker.rollback()
        locker.close()
        _, stderr = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, stderr
    assert "spooling" in stderr and "database back" in stderr and "Traceback" not in stderr, stderr
    engine = make_engine(db_url)
    with engine.connect() as connection:
        articles = connection.scalar(select(func.count()).select_from(Article))
        revisions = connection.scalar(select(func.count()).select_from(Revision))
        distinct_urls = connection.scalar(select(func.count(func.distinct(Article.url))))
    engine.dispose()
    assert articles == distinct_urls == revisions == ARTICLES
    assert spooled(spool_of_db) == []


def test_a_crawl_ending_while_the_database_is_away_keeps_going(caplog: pytest.LogCaptureFixture) -> None:
    """The feeds' validators are saved as the crawl closes; a database away then costs one full
    listing next time, with a warning, not a traceback."""
    spider = SimpleNamespace(
        crawler=SimpleNamespace(stats=SimpleNamespace(get_stats=dict)),
        listing_validators={"https://wire.example/rss.xml": ('"v1"', None)},
        corpus=Corpus(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/gone")),
        logger=logging.getLogger("test-spider"),
    )
    with caplog.at_level("WARNING"):
        NewsSpider.closed(spider, "finished")  # type: ignore[arg-type]
    assert "listing validators not saved" in caplog.text
