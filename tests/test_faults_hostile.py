"""A crawl of the hostile site (tests/hostilesite.HostileSite), on SQLite and PostgreSQL: every good
article is stored, every hostile page is stored within bounds or counted with its reason, a lost
article makes the exit status non-zero, and a dead cleaning worker costs at most its page."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import COMMAND_DEADLINE, FAST, Started, run_wiredesk, start_wiredesk
from hostilesite import NO_ARTICLE, STORED, HostilePage, HostileSite, hook_environment
from sqlalchemy import select

from crawler.newsroom import Newsroom
from crawler.newsroom.bulk import bulk_story
from crawler.run import EXIT_ARTICLES_LOST
from storage import make_engine
from storage.bounds import TITLE_CHARS
from storage.models import Article, Page

# Two workers, and an address space of 1 GiB each: the memory page asks for more.
SETTINGS = ("AUTOTHROTTLE_ENABLED=False", "WIREDESK_CLEAN_WORKERS=2", "WIREDESK_CLEAN_MEMORY_LIMIT=1024")


def crawl(
    url: str, db_url: str, tmp_path: Path, *settings: str, hooks: bool = True
) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    """`wiredesk crawl --url URL` with the test hooks; its result and its --report figures."""
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    env = {**os.environ, "WIREDESK_SPOOL": str(tmp_path / "spool"), **(hook_environment() if hooks else {})}
    options = [arg for setting in (*SETTINGS, *settings) for arg in ("-s", setting)]
    result = run_wiredesk(
        "crawl",
        "--url",
        url,
        "--db",
        db_url,
        "--report",
        str(report),
        *options,
        check=False,
        env=env,
        timeout=300,
    )
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    return result, json.loads(report.read_text())


def articles_add_up(figures: dict[str, object]) -> bool:
    """Every article page fetched ended in exactly one place (copies are among the new)."""
    parts = ("new", "duplicates", "revisions", "unchanged", "no_article", "spooled", "lost")
    return figures["articles"] == sum(int(figures[part]) for part in parts)  # type: ignore[call-overload]


def stored(db_url: str) -> dict[str, Article]:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = {row.url: row for row in connection.execute(select(Article))}
    engine.dispose()
    return rows


def failed_pages(db_url: str) -> dict[str, str]:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = dict(connection.execute(select(Page.url, Page.error).where(Page.outcome == "failed")).all())
    engine.dispose()
    return rows


@pytest.mark.slow
def test_the_hostile_site_stores_every_good_article_and_counts_every_loss(
    db_url: str, tmp_path: Path
) -> None:
    with HostileSite() as site:
        first, figures = crawl(site.url + "/feed.xml", db_url, tmp_path)
        listed = site.listed()
        articles = stored(db_url)
        failures = failed_pages(db_url)
        site.second_round = True
        second, later = crawl(site.url + "/feed.xml", db_url, tmp_path, "WIREDESK_CLEAN_FAILURES=1")
    summary = first.stderr[-3000:]
    lost = [page for page in listed if page.fate not in (STORED, NO_ARTICLE, "store_failed")]
    # Without the trigger of the PostgreSQL test below, the database takes the poisoned title.
    kept = [page for page in listed if page.fate in (STORED, "store_failed")]
    assert first.returncode == EXIT_ARTICLES_LOST, summary
    assert figures["articles"] == len(listed) and articles_add_up(figures), figures
    assert (figures["new"], figures["no_article"], figures["lost"]) == (len(kept), 1, len(lost)), figures
    assert figures["errors"] == {"cleaner_error": 2, "worker_died": 1}, figures
    assert "articles lost to errors: 3 (cleaner_error ×2, worker_died ×1" in summary, summary

    def article(page: HostilePage) -> Article:
        return articles[site.article_url(page)]

    assert len(articles) == len(kept)
    for page in kept:
        assert bulk_story(page.number).paragraphs[0] in article(page).text, page.path
    by_number = {page.number: article(page) for page in kept}
    # The overlong <html lang> is no declaration: the language stored is the one detected in the text.
    assert (by_number[20].language, by_number[20].language_detected) == ("en", True)
    assert len(by_number[21].etag or "") == 600
    assert by_number[23].last_modified is None and by_number[28].published_at is None
    assert by_number[26].title == "Harbour \ufffd reopens"
    assert len(by_number[27].title or "") == TITLE_CHARS
    assert failures == {
        site.url + "/news/a-page-that-kills-its-cleaning-worker": "cleaning worker died 2 times on it "
        "(killed, or out of memory)",
        site.url
        + "/news/a-page-the-cleaner-raises-on": "the cleaner raised RuntimeError: raised by the test hook",
        site.url + "/news/a-page-that-needs-too-much-memory": "the cleaner raised MemoryError",
    }
    assert sorted(failures) == sorted(site.url + page.path for page in lost)

    # The second round: the pages given up are not fetched again (WIREDESK_CLEAN_FAILURES=1), and
    # two pages naming other articles as canonical are stored as their own.
    assert second.returncode == 0, second.stderr[-3000:]
    assert (later["articles"], later["new"], later["no_article"], later["lost"]) == (3, 2, 1, 0), later
    after = stored(db_url)
    good = site.url + site.pages[0].path
    assert (after[good].title, after[good].text) == (articles[good].title, articles[good].text)
    hijack, copy = (page for page in site.pages if page.late)
    assert bulk_story(hijack.number).paragraphs[0] in after[site.url + hijack.path].text
    assert after[site.url + copy.path].declared_original == site.original


def _workers_of(crawl: Started) -> list[int]:
    """The crawl's cleaning workers: the children of its child, the workers' template
    (crawler/forkserver.py), named `wiredesk-clean`."""
    parents, names = {}, {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        if not stat:
            continue
        name, rest = stat.split(" (", 1)[1].rsplit(")", 1)
        parents[int(entry.name)], names[int(entry.name)] = int(rest.split()[1]), name
    return [
        pid
        for pid, parent in parents.items()
        if names[pid] == "wiredesk-clean" and parents.get(parent) == crawl.pid
    ]


def test_a_cleaning_worker_killed_mid_crawl_costs_no_article(tmp_path: Path) -> None:
    """kill -9 of a cleaning worker: it is replaced, the page it held is cleaned again, nothing is lost
    (once, this lost every article after it: BrokenProcessPool for the rest of the crawl)."""
    db_url = f"sqlite:///{tmp_path / 'corpus.db'}"
    # Slow enough that most pages are still to come when the worker dies.
    with Newsroom(bulk_articles=60, bulk_delay=0.2) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        command = ["crawl", "bulk", "--sources", str(sources), "--db", db_url, *FAST]
        command += ["-s", "WIREDESK_CLEAN_WORKERS=2", "-s", "CONCURRENT_REQUESTS=2"]
        crawl = start_wiredesk(*command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + COMMAND_DEADLINE
        while time.monotonic() < deadline and (
            sum(path.startswith("/story/") for _, path in newsroom.requests) < 10
            or len(_workers_of(crawl)) < 2
        ):
            time.sleep(0.05)
        victim = _workers_of(crawl)[0]
        os.kill(victim, signal.SIGKILL)
        _, stderr = crawl.communicate(timeout=300)
    assert crawl.returncode == 0, stderr[-3000:]
    assert len(stored(db_url)) == 60, stderr[-3000:]
    assert "its cleaning worker died; trying it once more on a new one" in stderr, stderr
    assert "Traceback" not in stderr and "BrokenProcessPool" not in stderr, stderr[-3000:]
