"""A pending URL asked for again must be judged as it was when first found (storage/pending.py).

Three ways a resumed URL was judged wrong, each on SQLite and PostgreSQL:
- every row counted as listed: a section page's link whose fetch failed, asked for again by the next
  crawl, was taken for a feed entry, so a page its own og:type calls a listing was stored as an
  article, where the crawl that found it would have dropped it;
- every `--url` crawl kept its rows under the source `adhoc`: an ad-hoc crawl of one site asked for
  another site's pending URLs (dropped as off-site, counted in its report, on every run);
- a URL robots.txt refused, or that redirected off its source's sites, stayed pending and was asked
  for again by every run for 7 days, counted as skipped each time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from conftest import column_values, crawl_report, one_source
from sqlalchemy import Engine, insert, select, text

from crawler.newsroom import Newsroom, pages
from crawler.newsroom.stories import GRAIN_CORRIDOR, HARBOUR_REOPENS
from storage import make_engine, note_failed, note_listed, take_due
from storage.models import PendingArticle
from storage.pending import MAX_DAYS, RECHECK_HOURS, FoundBy, note_refused
from storage.schema import alembic_config, upgrade

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
A, B = "http://example.com/a", "http://example.com/b"


def _rows(db_url: str) -> dict[str, tuple[str, str, str | None]]:
    """Pending rows by URL: (source key, found by, refused)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            columns = (
                PendingArticle.url,
                PendingArticle.source,
                PendingArticle.found_by,
                PendingArticle.refused,
            )
            return {url: tuple(rest) for url, *rest in connection.execute(select(*columns))}  # type: ignore[misc]
    finally:
        engine.dispose()


# Storage: what a row keeps.


def test_a_row_keeps_what_named_it_and_a_feed_outranks_a_section_page(engine: Engine) -> None:
    note_listed(engine, "s", [A, B], NOW, found_by=FoundBy.SECTION)
    note_listed(engine, "s", [A], NOW, found_by=FoundBy.FEED)  # a feed names the link too: listed
    note_listed(engine, "s", [A, B], NOW, found_by=FoundBy.SECTION)  # a link again changes nothing
    assert take_due(engine, "s", 5, NOW).urls == {A: FoundBy.FEED, B: FoundBy.SECTION}
    assert not FoundBy.SECTION.listed and FoundBy.FEED.listed and FoundBy.LISTING.listed


def test_a_refused_url_is_held_back_a_day_then_asked_for_again(engine: Engine) -> None:
    note_listed(engine, "s", [A, B], NOW - timedelta(days=1), found_by=FoundBy.FEED)
    note_refused(engine, [("s", A, "robots"), ("s", "http://example.com/not-pending", "robots")], NOW)
    due = take_due(engine, "s", 5, NOW + timedelta(hours=RECHECK_HOURS - 1))
    assert (list(due.urls), due.given_up) == ([B], 0)  # held back, not given up, no try counted
    assert set(take_due(engine, "s", 5, NOW + timedelta(hours=RECHECK_HOURS + 1)).urls) == {A, B}


def test_a_failed_fetch_ends_a_refusal_and_a_refused_url_goes_uncounted_after_the_days(
    engine: Engine,
) -> None:
    old = NOW - timedelta(days=MAX_DAYS - 1)
    note_listed(engine, "s", [A, B], old, found_by=FoundBy.FEED)
    note_refused(engine, [("s", A, "offsite_redirect"), ("s", B, "robots")], NOW)
    note_failed(engine, [("s", B, "http-503")], NOW)  # robots.txt allowed it since: fetched, failed
    assert list(take_due(engine, "s", 5, NOW + timedelta(hours=1)).urls) == [B]
    later = take_due(engine, "s", 5, NOW + timedelta(days=2))
    assert (later.urls, later.given_up) == ({}, 1)  # B given up; A's refusal was counted already


# Crawls: what a resumed URL becomes.


def _hub_page(story: Any, url: str) -> str:
    """A page whose og:type says it is a listing, with an article's worth of text."""
    return pages.portal_article(story, url).replace('content="article"', 'content="website"')


@pytest.mark.slow
def test_a_section_link_asked_for_again_is_judged_as_a_link(db_url: str, tmp_path: Path) -> None:
    """The same page is dropped whether its first fetch succeeds or fails and the next crawl resumes it."""
    sources, report = tmp_path / "sources.toml", tmp_path / "report.json"
    with Newsroom() as newsroom:
        portal = newsroom.portal
        hubs = {name: f"/topics/{name}" for name in ("grain", "harbour")}
        portal.add(hubs["grain"], _hub_page(GRAIN_CORRIDOR, portal.url(hubs["grain"])))
        portal.add(hubs["harbour"], _hub_page(HARBOUR_REOPENS, portal.url(hubs["harbour"])), failures=1000)
        links = "".join(f"<a href='{path}'>{name}</a>" for name, path in hubs.items())
        section = portal.add("/hub/", f"<html><body>{links}</body></html>")
        crawl = one_source(sources, [portal.url("/hub/")], 'article_allow = ["/topics/"]\n')
        first = crawl_report(db_url, report, *crawl)
        assert first["no_article"] == 1  # grain: fetched at once, dropped as a listing
        assert _rows(db_url)[portal.url(hubs["harbour"])][1] == FoundBy.SECTION
        portal.routes[hubs["harbour"]].failures = 0
        section.body = b"<html><body><p>Nothing new.</p></body></html>"
        second = crawl_report(db_url, report, *crawl)
    assert (second["articles"], second["new"], second["no_article"]) == (1, 0, 1)
    assert set(column_values(db_url, "SELECT url FROM articles")) == set() and _rows(db_url) == {}


@pytest.mark.slow
def test_an_ad_hoc_crawl_asks_only_for_its_own_sites_pending_urls(db_url: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    story = replace(GRAIN_CORRIDOR, slug="grain-corridor-late")
    with Newsroom() as newsroom:
        portal, publisher = newsroom.portal, newsroom.publisher
        path = f"/news/2026/12/02/{story.slug}.html"
        portal.add(path, pages.portal_article(story, portal.url(path)), failures=1000)
        section = portal.add("/late/", f"<html><body><a href='{path}'>Grain corridor</a></body></html>")
        publisher.add("/quiet/", "<html><body><p>Nothing here.</p></body></html>")
        crawl_report(db_url, report, "--url", portal.url("/late/"))
        assert _rows(db_url)[portal.url(path)][0] == "adhoc:127.0.0.3"
        asked = len(newsroom.requests)
        other = crawl_report(db_url, report, "--url", publisher.url("/quiet/"))
        assert ("portal", path) not in newsroom.requests[asked:]
        assert other["skipped"] == {} and portal.url(path) in _rows(db_url)
        portal.routes[path].failures = 0
        section.body = b"<html><body><p>Nothing new.</p></body></html>"
        own = crawl_report(db_url, report, "--url", portal.url("/late/"))
    assert own["new"] == 1 and _rows(db_url) == {}
    assert set(column_values(db_url, "SELECT url FROM articles")) == {portal.url(path)}


@pytest.mark.slow
def test_urls_refused_on_purpose_are_not_asked_for_again_by_the_next_run(db_url: str, tmp_path: Path) -> None:
    sources, report = tmp_path / "sources.toml", tmp_path / "report.json"
    with Newsroom() as newsroom:
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        portal = newsroom.portal
        feed = portal.routes["/atom.xml"]
        listed = feed.body
        private, moved = "/private/2026/12/03/grain-corridor-late.html", "/news/2026/12/03/moved-away.html"
        portal.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        portal.redirect(moved, newsroom.wire.url(f"/article/{GRAIN_CORRIDOR.slug}"))
        entries = "".join(f"<entry><link href='{portal.url(path)}'/></entry>" for path in (private, moved))
        feed.body = feed.body.replace(b"</feed>", entries.encode() + b"</feed>")
        crawl = ("portal", "--sources", str(sources))
        first = crawl_report(db_url, report, *crawl)
        assert (first["skipped"].get("robots"), first["skipped"].get("offsite_redirect")) == (1, 1)
        feed.body = listed
        asked = len(newsroom.requests)
        second = crawl_report(db_url, report, *crawl)
        assert ("portal", moved) not in newsroom.requests[asked:]
    assert "robots" not in second["skipped"] and "offsite_redirect" not in second["skipped"]
    refused = {url: why for url, (_, _, why) in _rows(db_url).items()}
    assert refused == {portal.url(private): "robots", portal.url(moved): "offsite_redirect"}


def test_the_migration_moves_ad_hoc_rows_to_their_site_and_back(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0011")
    rows = [("adhoc", "http://www.example.com/a"), ("adhoc", "http://other.example/b"), ("wire", A)]
    with engine.begin() as connection:
        connection.execute(
            insert(PendingArticle.__table__),
            [{"source": source, "url": url, "first_listed_at": NOW, "tries": 0} for source, url in rows],
        )
    upgrade(engine)
    assert _rows(db_url) == {
        "http://www.example.com/a": ("adhoc:example.com", "listing", None),
        "http://other.example/b": ("adhoc:other.example", "listing", None),
        A: ("wire", "listing", None),
    }
    assert take_due(engine, "adhoc:example.com", 5, NOW).urls == {"http://www.example.com/a": FoundBy.LISTING}
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0011")
        back = connection.execute(text("SELECT source, url FROM pending_articles ORDER BY url")).all()
    engine.dispose()
    assert sorted(back) == sorted(rows)
