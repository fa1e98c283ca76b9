"""Canonical URLs that name no page of the article's own (storage/claims.py, storage/urls.py).

A template that names one article's URL on every page (a stale og:url, the featured story in the
head) made the first page stored hold that URL: the real page, fetched there later, became a
revision of the first page's article, whose own text stopped being current (4 current texts of 5),
and a refetch of the first page flipped it back. A home or section page declared as every
article's canonical URL made the first article stored there take the site's home page as its URL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text

from cleaner import CleanArticle
from crawler.newsroom import bulk
from storage import Corpus, FetchedPage, Outcome
from storage.models import Article, ArticleUrl
from storage.urls import Identity, page_identity

SITE = "https://news.example"
FEATURED = f"{SITE}/2026/12/03/featured-story-9"
T0 = datetime(2026, 12, 3, 9, tzinfo=UTC)


def _item(path: str, number: int, canonical: str | None, minutes: int) -> tuple[FetchedPage, CleanArticle]:
    url = SITE + path
    page = FetchedPage.fetched(
        url, url, source="news", fetched_at=T0 + timedelta(minutes=minutes), http_status=200, body=b"<p>"
    ).claiming(canonical)
    story = bulk.bulk_story(number)
    return page, CleanArticle(text="\n".join(story.paragraphs), title=story.headline)


def _claimants() -> list[tuple[FetchedPage, CleanArticle]]:
    """Four articles whose template names the featured story, then the featured story itself."""
    items = [_item(f"/2026/12/03/story-{n}", n, FEATURED, n) for n in range(4)]
    return [*items, _item("/2026/12/03/featured-story-9", 9, FEATURED, 9)]


def _current(engine: Engine) -> dict[str, str]:
    """Each article's URL and the first words of its current text."""
    with engine.connect() as connection:
        rows = connection.execute(select(Article.url, Article.text)).all()
        latest = connection.execute(text("SELECT count(*) FROM articles_latest")).scalar_one()
    assert latest == len(rows)
    return {url: body[:40] for url, body in rows}


def _expected() -> dict[str, str]:
    return {page.final_url: article.text[:40] for page, article in _claimants()}


def test_pages_claiming_one_articles_url_each_stay_current(engine: Engine) -> None:
    corpus = Corpus(engine)
    outcomes = [corpus.store(page, article).outcome for page, article in _claimants()]
    assert outcomes == [Outcome.NEW] * 5
    assert _current(engine) == _expected()
    # Fetched again, the first claimant is unchanged: it no longer takes the featured URL back.
    page, article = _claimants()[0]
    again = FetchedPage.fetched(
        page.url, page.url, source="news", fetched_at=T0 + timedelta(hours=1), http_status=200, body=b"<p>"
    ).claiming(FEATURED)
    assert corpus.store(again, article).outcome is Outcome.UNCHANGED
    assert _current(engine) == _expected()


def test_claims_in_one_batch_are_given_back_too(engine: Engine) -> None:
    results = Corpus(engine).store_many(_claimants())
    assert [result.outcome for result in results] == [Outcome.NEW] * 5
    assert _current(engine) == _expected()
    with engine.connect() as connection:
        holder = connection.execute(select(ArticleUrl.article_id).where(ArticleUrl.url == FEATURED)).scalar()
    assert holder == results[-1].article_id


def test_a_variant_fetched_first_still_ends_with_its_canonical_page(engine: Engine) -> None:
    """What canonical URLs are for: an AMP page fetched first, then its canonical page, cleaned a
    little differently, are one article (its text the canonical page's)."""
    corpus = Corpus(engine)
    canonical = f"{SITE}/world/ferry-talks-resume"
    amp, article = _item("/amp/world/ferry-talks-resume", 3, canonical, 0)
    assert corpus.store(amp, article).outcome is Outcome.NEW
    page, full = _item("/world/ferry-talks-resume", 3, canonical, 5)
    full = CleanArticle(text=full.text + "\nA paragraph the AMP page left out.", title=full.title)
    assert corpus.store(page, full).outcome is Outcome.REVISION
    assert list(_current(engine)) == [canonical]


def test_a_republished_copy_is_an_article_of_its_own_site() -> None:
    """Checked, and kept: a canonical URL on another site is a declared original, never an identity."""
    own = f"{SITE}/wire/ferry-talks-resume"
    original = "https://agency.example/a/ferry-talks"
    assert page_identity(own, original) == Identity(own, original)


@pytest.mark.parametrize(
    "declared",
    [f"{SITE}/", f"{SITE}/index.html", SITE, f"{SITE}/world/", f"{SITE}/world"],
    ids=["root", "index", "bare-host", "section", "section-no-slash"],
)
def test_a_home_or_section_page_is_not_an_articles_identity(declared: str) -> None:
    page = f"{SITE}/world/2026/12/03/ferry-talks-resume"
    assert page_identity(page, declared) == Identity(page)


@pytest.mark.parametrize(
    ("page", "declared"),
    [
        (f"{SITE}/world/ferry-talks/amp/", f"{SITE}/world/ferry-talks/"),
        (f"{SITE}/amp/world/ferry-talks", f"{SITE}/world/ferry-talks"),
        (f"{SITE}/world/ferry-talks/amp.html", f"{SITE}/world/ferry-talks"),
        (f"{SITE}/politics/ferry-talks-123", f"{SITE}/world/ferry-talks-123"),
        (f"{SITE}/?p=123", f"{SITE}/2026/12/ferry-talks"),
    ],
    ids=["amp-suffix", "amp-prefix", "amp-file", "category", "shortlink"],
)
def test_a_variants_canonical_url_is_still_followed(page: str, declared: str) -> None:
    assert page_identity(page, declared) == Identity(declared)


def test_articles_sharing_a_home_page_canonical_keep_their_own_urls(engine: Engine) -> None:
    corpus = Corpus(engine)
    for number in range(3):
        page, article = _item(f"/2026/12/03/story-{number}", number, f"{SITE}/", number)
        assert corpus.store(page, article).outcome is Outcome.NEW
    assert sorted(_current(engine)) == [f"{SITE}/2026/12/03/story-{n}" for n in range(3)]
