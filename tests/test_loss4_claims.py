"""A URL held by a false canonical claim: the real page there is fetched (crawler/corpusgate.py).

A template that names one article's URL in a page's og:url (a stale head) makes the first page
stored hold that URL; storage/claims.py gives it back once the real page, or a second claimant,
comes. But while a single false claim held it, the corpus gate took the URL for stored: the real
page, listed no later than the claimant's fetch, was skipped as `stored_unchanged`, crawl after
crawl, and never fetched. Old code, on both backends: 3 articles of 4 after the second crawl
(the featured story never fetched); now 4 of 4, each under its own URL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import crawl_report, one_source
from feedsite import FEED, FeedSite, article_path
from sqlalchemy import Engine, select

from cleaner import CleanArticle
from crawler.newsroom.bulk import bulk_story
from storage import Corpus, FetchedPage
from storage.models import Article

SITE = "https://news.example"
T0 = datetime(2026, 12, 3, 9, tzinfo=UTC)
FEATURED, NUMBERS = 4204, (4201, 4202, 4203)
EARLY = "2026-12-03T08:00:00Z"


def _store(corpus: Corpus, path: str, number: int, canonical: str) -> None:
    url = SITE + path
    page = FetchedPage.fetched(
        url, url, source="news", fetched_at=T0 + timedelta(minutes=number), http_status=200, body=b"<p>"
    ).claiming(canonical)
    story = bulk_story(number)
    corpus.store(page, CleanArticle(text="\n".join(story.paragraphs), title=story.headline))


def test_a_url_held_by_a_claim_only_is_known_as_such(engine: Engine) -> None:
    corpus = Corpus(engine)
    featured, canonical = f"{SITE}/2026/12/03/featured", f"{SITE}/world/ferry-talks"
    _store(corpus, "/2026/12/03/story-1", 1, featured)
    _store(corpus, "/amp/world/ferry-talks", 2, canonical)  # a variant: its claim is plausible
    known = corpus.known_urls([featured, canonical, f"{SITE}/2026/12/03/story-1"])
    assert {url: row.claimed for url, row in known.items()} == {
        featured: True,
        canonical: False,
        f"{SITE}/2026/12/03/story-1": False,
    }


@pytest.mark.slow
def test_the_real_page_under_a_false_claim_is_fetched_though_listed_earlier(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with FeedSite("127.0.0.62") as site:
        featured = site.url(article_path(FEATURED))
        site.article(NUMBERS[0], og_url=featured)  # a stale og:url: the featured story's
        for number in (*NUMBERS[1:], FEATURED):
            site.article(number)
        site.feed(*((number, EARLY) for number in NUMBERS))
        args = one_source(tmp_path / "sources.toml", [site.url(FEED)])
        first = crawl_report(db_url, tmp_path / "first.json", *args)
        assert first["new"] == 3, first
        # The featured story appears in the feed, dated as the others were: before the first crawl.
        site.feed(*((number, EARLY) for number in (FEATURED, *NUMBERS)))
        second = crawl_report(db_url, tmp_path / "second.json", *args)
    assert second["new"] == 1, second
    with engine.connect() as connection:
        current = {url: body for url, body in connection.execute(select(Article.url, Article.text))}
    expected = {site.url(article_path(n)): bulk_story(n).paragraphs[0] for n in (*NUMBERS, FEATURED)}
    assert {url: body.split("\n")[0] for url, body in current.items()} == expected
