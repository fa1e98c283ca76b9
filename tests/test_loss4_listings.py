"""A listing that names one page twice, with two dates (crawler/discovery.py `one_per_url`).

A feed that re-adds an edited story at its top keeps the old entry further down, and two sitemap
files merged into one name a page twice. The spider took the first entry of a URL and dropped the
others, their dates with them: when the first was the older date, the corpus gate judged the page by
it, found it stored since, and skipped the edit (`stored_unchanged`). Old code, on both backends: the
edited text was not fetched (0 of 1 revisions kept); now it is kept as a revision. Each page is
still asked for once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import crawl_report, one_source
from feedsite import FEED, FeedSite, article_path
from sqlalchemy import Engine, select

from crawler.discovery import parse_sitemap, read_feed
from storage.models import Article

NUMBER = 4301
PATH = article_path(NUMBER)
EARLY, LATE = "2026-12-03T08:00:00Z", "2026-12-03T11:30:00Z"
EDIT = "The talks were suspended again on Thursday evening, a spokesman for the ferry operator said."


def _feed(*dates: str) -> str:
    entry = "<entry><title>t</title><link href='{path}'/><updated>{date}</updated></entry>"
    entries = "".join(entry.format(path=PATH, date=date) for date in dates)
    return f"<feed xmlns='http://www.w3.org/2005/Atom'><title>F</title>{entries}</feed>"


@pytest.mark.slow
def test_an_edit_listed_below_the_pages_first_entry_is_fetched(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with FeedSite("127.0.0.61") as site:
        site.article(NUMBER)
        site.feed((NUMBER, EARLY))
        args = one_source(tmp_path / "sources.toml", [site.url(FEED)])
        assert crawl_report(db_url, tmp_path / "first.json", *args)["new"] == 1
        site.article(NUMBER, extra=(EDIT,))
        site.feed((NUMBER, EARLY), (NUMBER, datetime.now(UTC).isoformat()))  # the first entry, older
        second = crawl_report(db_url, tmp_path / "second.json", *args)
    assert second["revisions"] == 1, second
    with engine.connect() as connection:
        assert connection.execute(select(Article.text)).scalar_one().endswith(EDIT)


def test_a_feed_naming_a_page_twice_gives_it_its_latest_date() -> None:
    feed = read_feed(_feed(EARLY, LATE).encode(), "https://news.example/feed.xml")
    assert [(entry.url, entry.updated) for entry in feed.entries] == [
        ("https://news.example" + PATH, datetime(2026, 12, 3, 11, 30, tzinfo=UTC))
    ]


@pytest.mark.parametrize("damaged", [False, True], ids=["whole", "damaged"])
def test_a_sitemap_naming_a_page_twice_gives_it_its_latest_date(damaged: bool) -> None:
    urls = "".join(
        f"<url><loc>https://news.example{PATH}?utm_source={n}</loc><lastmod>{day}</lastmod></url>"
        for n, day in enumerate(["2026-12-03", "2026-12-05", "2026-12-04"])
    )
    other = "<url><loc>https://news.example/news/other.html</loc></url>"
    body = f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}{other}</urlset>"
    if damaged:  # a stray end tag: each entry is read on its own
        body = body.replace("<loc>https://news.example/news/other", "<loc></x>https://news.example/news/other")
    entries = parse_sitemap(body.encode(), "https://news.example/sitemap.xml")
    assert [(entry.url.split("?")[0], entry.updated) for entry in entries][:1] == [
        ("https://news.example" + PATH, datetime(2026, 12, 5, tzinfo=UTC))
    ]
    assert sum(entry.url.startswith("https://news.example" + PATH) for entry in entries) == 1
