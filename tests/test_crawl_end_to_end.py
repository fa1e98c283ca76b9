"""Whole crawls of the loopback newsroom with the real `wiredesk` command, checked with SQL."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import COMMAND_DEADLINE, FAST, LOOPBACK, REPO, column_values, run_wiredesk

from crawler.newsroom import REAL_SHAPE_PATHS, Newsroom
from crawler.newsroom.stories import (
    ADRIATIC_STORM,
    CHIP_PLANT,
    FERRY_FIRE_2019,
    FERRY_TALKS,
    FLOOD_DEFENCES,
    GRAIN_CORRIDOR,
    HARBOUR_REOPENS,
    LAVROV_WALKOUT,
    MUSEUM_RETURN,
    RAIL_STRIKE,
    RATES_HOLD,
    ROMAN_ROAD,
)


def real_shape_urls(newsroom: Newsroom) -> set[str]:
    """The articles at URLs no shape guess takes for articles, each listed by a feed or sitemap."""
    sites = {
        LAVROV_WALKOUT: newsroom.wire,
        GRAIN_CORRIDOR: newsroom.wire,
        CHIP_PLANT: newsroom.publisher,
        FLOOD_DEFENCES: newsroom.publisher,
        MUSEUM_RETURN: newsroom.publisher,
    }
    return {site.url(REAL_SHAPE_PATHS[story]) for story, site in sites.items()}


def expected_urls(newsroom: Newsroom) -> set[str]:
    """Every article of the newsroom, and nothing else: no section, tag, video or robots-forbidden page."""
    return real_shape_urls(newsroom) | {
        *(
            newsroom.wire.url(f"/article/{s.slug}")
            for s in (FERRY_TALKS, RATES_HOLD, HARBOUR_REOPENS, FERRY_FIRE_2019)
        ),
        newsroom.portal.url(f"/news/{FERRY_TALKS.slug}-184522.html"),
        *(
            newsroom.publisher.url(f"/news/world-news/{s.slug}/")
            for s in (ADRIATIC_STORM, ROMAN_ROAD, RAIL_STRIKE)
        ),
    }


def stored_urls(db_path: Path) -> set[str]:
    return set(column_values(db_path, "SELECT url FROM articles"))


def crawl(sources_file: Path, db_path: Path, *names: str) -> subprocess.CompletedProcess[str]:
    return run_wiredesk(
        "crawl", *names, "--sources", str(sources_file), "--db", f"sqlite:///{db_path}", *FAST
    )


@dataclass(frozen=True)
class Crawled:
    """The whole newsroom crawled once: its corpus, summary, --report figures and the paths asked for."""

    db_path: Path
    summary: str
    figures: dict[str, object]
    requested: frozenset[str]


# The tests that only read the crawl of every source share one (a crawl is some 4 CPU-seconds, most
# of it Scrapy's start-up): `xdist_group` sends them to one process, and the fixture is
# session-scoped so that it crawls once there (tests/conftest.py says why not module-scoped). It
# runs on the shipped number of cleaning workers (LOOPBACK, not FAST): the one end-to-end crawl
# that does.
WHOLE_NEWSROOM = pytest.mark.xdist_group("whole_newsroom_crawled")


@pytest.fixture(scope="session")
def crawled(newsroom: Newsroom, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    directory = tmp_path_factory.mktemp("whole-newsroom")
    sources, db_path, report = directory / "sources.toml", directory / "corpus.db", directory / "report.json"
    sources.write_text(newsroom.sources_toml(), encoding="utf-8")
    asked = len(newsroom.requests)
    result = run_wiredesk(
        "crawl", "--sources", str(sources), "--db", f"sqlite:///{db_path}", "--report", str(report), *LOOPBACK
    )
    requested = frozenset(path for _site, path in newsroom.requests[asked:])
    yield Crawled(db_path, result.stderr, json.loads(report.read_text(encoding="utf-8")), requested)


@WHOLE_NEWSROOM
def test_crawl_stores_exactly_the_articles(newsroom: Newsroom, crawled: Crawled) -> None:
    db_path = crawled.db_path
    assert stored_urls(db_path) == expected_urls(newsroom)
    assert real_shape_urls(newsroom) <= stored_urls(db_path)
    assert "crawl summary" in crawled.summary
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT a.title, a.text, a.http_status, length(p.body_zlib) "
            "FROM articles a JOIN pages p ON p.article_id = a.id"
        ).fetchall()
    assert len(rows) == 13
    for title, text, status, raw_size in rows:
        assert title and status == 200 and raw_size > 100
        assert len(text) > 200


@pytest.mark.slow
@WHOLE_NEWSROOM
def test_second_crawl_stores_no_duplicate_and_fetches_no_article(
    newsroom: Newsroom, crawled: Crawled, sources_file: Path, tmp_path: Path
) -> None:
    """The second crawl of the shared first one, on a copy of its corpus."""
    db_path = tmp_path / "corpus.db"
    shutil.copy(crawled.db_path, db_path)
    newsroom.requests.clear()
    summary = crawl(sources_file, db_path).stderr
    assert "(HTTP 304): 5" in summary
    with sqlite3.connect(db_path) as connection:
        counts = connection.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM pages), "
            "(SELECT count(*) FROM revisions)"
        ).fetchone()
    assert counts == (13, 13, 13)
    article_paths = {urlsplit(url).path for url in expected_urls(newsroom)}
    assert not article_paths & {path for _site, path in newsroom.requests}


@pytest.mark.slow
def test_one_named_source(newsroom: Newsroom, sources_file: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "corpus.db"
    crawl(sources_file, db_path, "portal")
    assert stored_urls(db_path) == {
        url for url in expected_urls(newsroom) if url.startswith(newsroom.portal.url(""))
    }


def test_unknown_source_is_a_clear_error(sources_file: Path, tmp_path: Path) -> None:
    result = run_wiredesk(
        "crawl", "nosuch", "--sources", str(sources_file), "--db", f"sqlite:///{tmp_path}/x.db", check=False
    )
    assert result.returncode == 1
    assert "no source named nosuch" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_adhoc_urls_of_every_kind(newsroom: Newsroom, tmp_path: Path) -> None:
    """A feed, a sitemap index, a section page and a single article, detected without being told."""
    db_path = tmp_path / "corpus.db"
    starts = [
        newsroom.portal.url("/atom.xml"),
        newsroom.publisher.url("/sitemap.xml"),
        newsroom.publisher.url("/news/world-news/"),
        newsroom.wire.url(f"/article/{RATES_HOLD.slug}"),
    ]
    args = [arg for url in starts for arg in ("--url", url)]
    run_wiredesk("crawl", *args, "--db", f"sqlite:///{db_path}", *FAST)
    wire_only = {
        newsroom.wire.url(f"/article/{s.slug}") for s in (FERRY_TALKS, HARBOUR_REOPENS, FERRY_FIRE_2019)
    } | {newsroom.wire.url(REAL_SHAPE_PATHS[s]) for s in (LAVROV_WALKOUT, GRAIN_CORRIDOR)}
    assert stored_urls(db_path) == expected_urls(newsroom) - wire_only


@pytest.mark.slow
def test_max_articles_bounds_the_crawl(newsroom: Newsroom, sources_file: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "corpus.db"
    run_wiredesk(
        "crawl",
        "publisher",
        "--sources",
        str(sources_file),
        "--db",
        f"sqlite:///{db_path}",
        "--max-articles",
        "2",
        *FAST,
    )
    assert len(stored_urls(db_path)) == 2


def test_unreachable_sources_end_with_a_summary_not_a_traceback(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[sources.gone]\nstart_urls = ["http://127.0.0.1:9/rss.xml"]\n', encoding="utf-8")
    result = run_wiredesk(
        "crawl",
        "--sources",
        str(sources),
        "--db",
        f"sqlite:///{tmp_path}/x.db",
        *FAST,
        "-s",
        "RETRY_TIMES=0",
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "gone" in result.stderr and "refused" in result.stderr and "failed: gone" in result.stderr


@pytest.mark.slow
def test_scrapy_crawl_from_the_repository_root(newsroom: Newsroom, tmp_path: Path) -> None:
    db_path = tmp_path / "corpus.db"
    scrapy = str(Path(sys.executable).parent / "scrapy")
    subprocess.run(
        [
            scrapy,
            "crawl",
            "news",
            "-a",
            f"url={newsroom.portal.url('/atom.xml')}",
            "-s",
            f"WIREDESK_DB=sqlite:///{db_path}",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=COMMAND_DEADLINE,
    )
    assert stored_urls(db_path) == {
        url for url in expected_urls(newsroom) if url.startswith(newsroom.portal.url(""))
    }


@WHOLE_NEWSROOM
def test_sql_json_over_a_crawled_corpus(crawled: Crawled) -> None:
    result = run_wiredesk(
        "sql",
        "SELECT source, count(*) AS n FROM articles GROUP BY source ORDER BY source",
        "--db",
        f"sqlite:///{crawled.db_path}",
        "--format",
        "json",
    )
    assert json.loads(result.stdout) == [
        {"source": "portal", "n": 1},
        {"source": "publisher", "n": 6},
        {"source": "wire", "n": 6},
    ]


@WHOLE_NEWSROOM
def test_every_url_not_fetched_is_counted_with_its_reason(crawled: Crawled) -> None:
    """The summary and --report name why each URL was left: the wire's section page links a tag,
    a video and an author page (not article-shaped), its feed a partner site's story (off-site), its
    robots.txt forbids a draft; a listed page that is no article is fetched and dropped."""
    summary, figures = crawled.summary, crawled.figures
    assert figures["skipped"] == {"not_article_shaped": 3, "offsite": 1, "robots": 1, "offsite_redirect": 1}
    assert "skipped: " in summary
    for label in ("not article-shaped ×3", "off-site ×1", "robots.txt ×1", "redirected off-site ×1"):
        assert label in summary, summary
    assert "no article (fetched, not stored)" in summary
    assert "/about/" in crawled.requested
