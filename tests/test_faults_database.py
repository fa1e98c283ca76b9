"""The database goes away: articles wait in the local spool and are written, once, when it is back."""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import COMMAND_DEADLINE, FAST, REPO, WIREDESK, Outage, row_count, run_wiredesk
from hostilesite import NO_ARTICLE, HostileSite, poison_trigger
from scrapy.settings import Settings
from sqlalchemy import func, select

from cleaner import CleanArticle
from crawler.corpusgate import CorpusGate
from crawler.newsroom import Newsroom
from crawler.run import EXIT_ARTICLES_LOST
from storage import Corpus, FetchedPage, Outcome, make_engine
from storage.bounds import MAX_URL_BYTES
from storage.engine import SQLITE_BUSY_TIMEOUT_ENV, SQLITE_BUSY_TIMEOUT_MS, DatabaseUnavailable
from storage.models import Article, Page, Revision
from storage.schema import upgrade
from storage.spool import quarantined, replay, spool, spool_dir, spooled

ARTICLES = 80
# The fate of the hostile site's page titled POISON, when `poison_trigger` makes the database refuse it.
POISONED = "store_failed"
SURROGATE_TITLE = "Harbour \ud800 reopens"


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
    assert [r.outcome for r in replay(directory, corpus).stored] == [Outcome.NEW] * 3
    assert spooled(directory) == [] and replay(directory, corpus).entries == []
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Article)) == 3
        assert connection.scalar(select(Page.body_zlib).limit(1))


def _spool_with_bad_entries(directory: Path) -> None:
    """Three good articles (one titled with a lone surrogate), one whose URL storage refuses, one
    file that is not JSON: the first bad one used to be retried before every batch, for ever."""
    spool(directory, *_page(0))
    page, article = _page(1)
    spool(directory, page, replace(article, title=SURROGATE_TITLE))
    too_long = "https://wire.example/a/" + "x" * MAX_URL_BYTES
    refused, article = _page(2)
    spool(directory, replace(refused, url=too_long, final_url=too_long, canonical_url=too_long), article)
    (directory / "20241205T090000-garbled.json").write_text("{not json", encoding="utf-8")
    spool(directory, *_page(3))


def test_replay_goes_past_bad_entries_and_quarantines_them(db_url: str, tmp_path: Path) -> None:
    directory = spool_dir(tmp_path, db_url)
    _spool_with_bad_entries(directory)
    engine = make_engine(db_url)
    upgrade(engine)
    report = replay(directory, Corpus(engine))
    assert [result.outcome for result in report.stored] == [Outcome.NEW] * 3
    assert sorted(entry.problem or "" for entry in report.quarantined) == [
        f"URL longer than {MAX_URL_BYTES} bytes",
        "unreadable: JSONDecodeError: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
    ]
    assert report.stopped is None and spooled(directory) == [] and len(quarantined(directory)) == 2
    with engine.connect() as connection:
        title = connection.scalar(select(Article.title).where(Article.url.like("%number-1")))
    assert title == SURROGATE_TITLE.replace("\ud800", "\ufffd")
    engine.dispose()


def test_wiredesk_replay_says_what_became_of_each_entry(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'corpus.db'}"
    _spool_with_bad_entries(spool_dir(tmp_path / "spool", db_url))
    result = run_wiredesk("replay", "--db", db_url, "--spool", str(tmp_path / "spool"), check=False)
    lines = result.stdout.splitlines()
    assert result.returncode == EXIT_ARTICLES_LOST and "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 5 and sum(line.endswith(": new") for line in lines) == 3, result.stdout
    assert "20241205T090000-garbled.json: quarantined: unreadable: JSONDecodeError" in result.stdout
    assert "3 spooled articles written" in result.stderr and "2 could not be stored" in result.stderr
    again = run_wiredesk("replay", "--db", db_url, "--spool", str(tmp_path / "spool"))
    assert again.stdout == "" and "nothing to do" in again.stderr


def test_spool_folders_are_per_database(tmp_path: Path) -> None:
    assert spool_dir(tmp_path, "sqlite:///a.db") != spool_dir(tmp_path, "sqlite:///b.db")


@pytest.mark.slow
def test_postgres_goes_away_mid_crawl(pg_outage: Outage, tmp_path: Path) -> None:
    pg_database, away, back = pg_outage
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
        deadline = time.monotonic() + COMMAND_DEADLINE
        while row_count(pg_database, "articles", missing_ok=True) < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        away()
        time.sleep(3)
        back()
        _, stderr = crawl.communicate(timeout=COMMAND_DEADLINE)
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


def _poison(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        for statement in poison_trigger(connection.dialect.name):
            connection.exec_driver_sql(statement)
    engine.dispose()


def test_the_database_away_with_a_poisoned_page_waiting_costs_that_page_only(
    pg_outage: Outage, tmp_path: Path
) -> None:
    """The issue this answers: a page the database refuses, spooled while it was away, then failed
    the replay before every batch, so every later article was lost, in that crawl and every later
    one. Now it is quarantined on its own, counted, and everything else is stored once."""
    pg_database, away, back = pg_outage
    _poison(pg_database)
    spool_root = tmp_path / "spool"
    env = {**os.environ, "WIREDESK_SPOOL": str(spool_root)}
    with HostileSite() as hostile, Newsroom(bulk_articles=ARTICLES, bulk_delay=0.05) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        command = [WIREDESK, "crawl", "bulk", "--url", hostile.url + "/feed.xml", "--sources", str(sources)]
        command += ["--db", pg_database, *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
        command += ["-s", "WIREDESK_STORE_BATCH=5"]
        crawl = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + COMMAND_DEADLINE
        while "/feed.xml" not in hostile.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        # Away while the hostile pages are cleaned and batched, until the poisoned one waits in the spool.
        away()
        poisoned = next(hostile.url + page.path for page in hostile.listed() if page.fate == POISONED)
        while not _spooled_url(spool_dir(spool_root, pg_database), poisoned) and time.monotonic() < deadline:
            time.sleep(0.1)
        back()
        _, stderr = crawl.communicate(timeout=300)
        good = [
            hostile.article_url(page) for page in hostile.listed() if page.fate not in (NO_ARTICLE, POISONED)
        ]
    assert "spooling" in stderr and "Traceback" not in stderr, stderr[-5000:]
    assert crawl.returncode == EXIT_ARTICLES_LOST, stderr[-5000:]
    leftover = spooled(spool_dir(spool_root, pg_database))
    if leftover:
        run_wiredesk("replay", "--db", pg_database, "--spool", str(spool_root), env=env, check=False)
    engine = make_engine(pg_database)
    with engine.connect() as connection:
        urls = [url for (url,) in connection.execute(select(Article.url))]
        failed = connection.execute(select(Page.url, Page.error).where(Page.outcome == "failed")).all()
    engine.dispose()
    assert len(urls) == len(set(urls)) == ARTICLES + len(good)
    assert set(good) <= set(urls) and poisoned not in urls
    assert [url for url, _ in failed] == [poisoned] and "poisoned" in failed[0].error
    assert spooled(spool_dir(spool_root, pg_database)) == []
    assert len(quarantined(spool_dir(spool_root, pg_database))) == 1
    assert "spooled, then refused (quarantined)" in stderr, stderr[-3000:]


def _spooled_url(directory: Path, url: str) -> bool:
    """Whether a page of this URL waits in the spool (files vanish as they are replayed: no error)."""
    for path in spooled(directory):
        try:
            if json.loads(path.read_text())["page"]["url"] == url:
                return True
        except OSError:
            continue
    return False


def test_a_spool_that_cannot_be_written_stops_the_crawl_in_one_line(
    pg_outage: Outage, tmp_path: Path
) -> None:
    """The database goes away for good and the spool cannot take a file (a file-size limit on the
    crawl: EFBIG, as ENOSPC on a full disk): the crawl stops fetching, says why once, exits 3."""
    pg_database, away, back = pg_outage
    env = {**os.environ, "WIREDESK_SPOOL": str(tmp_path / "spool")}

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    # One page at a time, 0.2 s each: most of the site is still to fetch when the crawl stops.
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=0.2) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        report = tmp_path / "report.json"
        command = [WIREDESK, "crawl", "bulk", "--sources", str(sources), "--db", pg_database, *FAST]
        command += [
            "--report",
            str(report),
            "-s",
            "CONCURRENT_REQUESTS=1",
            "-s",
            "WIREDESK_STORE_BATCH=5",
        ]
        crawl = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=small_files,
        )
        deadline = time.monotonic() + COMMAND_DEADLINE
        while row_count(pg_database, "articles", missing_ok=True) < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        away()
        _, stderr = crawl.communicate(timeout=300)
        back()
    figures = json.loads(report.read_text())
    assert crawl.returncode == EXIT_ARTICLES_LOST, stderr[-5000:]
    assert "Traceback" not in stderr, stderr[-5000:]
    assert stderr.count("cannot spool articles while the database is unavailable") == 1, stderr[-5000:]
    assert "[Errno 27] File too large" in stderr and "stopped: cannot spool articles" in stderr
    assert figures["finish_reason"] == "spool_failed" and figures["articles"] < ARTICLES, figures
    assert figures["errors"]["spool_failed"] == figures["lost"] > 0, figures
    assert figures["articles"] == figures["new"] + figures["lost"] and figures["spooled"] == 0, figures
    assert spooled(spool_dir(tmp_path / "spool", pg_database)) == []


@pytest.mark.slow
def test_sqlite_locked_by_another_writer_mid_crawl(tmp_path: Path) -> None:
    """Another writer holds the lock past the busy timeout, twice over (the store retries once).

    The crawl's busy timeout is 2 s, not the shipped 30 s ($WIREDESK_SQLITE_BUSY_TIMEOUT), so the
    batch goes to the spool after seconds, not a minute, by the same path; the lock is released as
    soon as it does. The newsroom is slow enough that articles are still coming when the lock is taken.
    """
    path = tmp_path / "corpus.db"
    db_url = f"sqlite:///{path}"
    upgrade(make_engine(db_url))
    env = {**os.environ, "WIREDESK_SPOOL": str(tmp_path / "spool"), SQLITE_BUSY_TIMEOUT_ENV: "2"}
    spool_of_db = spool_dir(tmp_path / "spool", db_url)
    with Newsroom(bulk_articles=ARTICLES, bulk_delay=0.2) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        command = [WIREDESK, "crawl", "bulk", "--sources", str(sources), "--db", db_url, *FAST]
        command += ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "WIREDESK_STORE_BATCH=5"]
        crawl = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + COMMAND_DEADLINE
        while row_count(db_url, "articles", missing_ok=True) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        locker = sqlite3.connect(path, timeout=30, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        deadline = time.monotonic() + COMMAND_DEADLINE
        while not spooled(spool_of_db) and crawl.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        locker.rollback()
        locker.close()
        _, stderr = crawl.communicate(timeout=COMMAND_DEADLINE)
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


def test_the_sqlite_busy_timeout_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy_timeout(read_only: bool) -> int:
        engine = make_engine(f"sqlite:///{tmp_path / 'corpus.db'}", read_only=read_only)
        with engine.connect() as connection:
            value = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
        engine.dispose()
        return value

    assert busy_timeout(read_only=False) == SQLITE_BUSY_TIMEOUT_MS == 30_000
    monkeypatch.setenv(SQLITE_BUSY_TIMEOUT_ENV, "1.5")
    assert busy_timeout(read_only=False) == busy_timeout(read_only=True) == 1500
    for wrong in ("soon", "-1", "nan"):
        monkeypatch.setenv(SQLITE_BUSY_TIMEOUT_ENV, wrong)
        with pytest.raises(DatabaseUnavailable, match=SQLITE_BUSY_TIMEOUT_ENV):
            make_engine(f"sqlite:///{tmp_path / 'corpus.db'}")


def test_a_crawl_ending_while_the_database_is_away_keeps_going(caplog: pytest.LogCaptureFixture) -> None:
    """The feeds' validators are saved as the crawl closes; a database away then costs one full
    listing next time, with a warning, not a traceback."""
    crawler = SimpleNamespace(settings=Settings(), stats=SimpleNamespace(get_stats=dict))
    gate = CorpusGate(crawler, Corpus(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/gone")))
    with caplog.at_level("WARNING"):
        gate.save_validators({"https://wire.example/rss.xml": ('"v1"', None)})
    assert "listing validators not saved" in caplog.text
