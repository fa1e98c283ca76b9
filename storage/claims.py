"""A canonical URL an article holds only because another page of it claimed it, given back when the
claim turns out false.

A page whose rel=canonical/og:url names a same-site URL not stored yet takes that URL as its
article's identity (`storage.urls.page_identity`): that is how an AMP, print or category variant
fetched first and its canonical page end as one article. A template that names one article's URL on
every page (a stale og:url, a featured story's URL in the head) made the first page of the site
hold that URL: the real page, fetched there later, became a revision of that first page's article,
whose own text stopped being current, and every later claimant was refused only because of it.

The claim is false when none of the holder's pages was fetched at a URL that plausibly names the
claimed page (`storage.urls.page_key`: the same last path segment and query, variants aside) and
another text comes for the URL: the real page fetched there, or a second page claiming it. Then the
holder gets back a URL of its own (`articles.url`), the claimed URL is no longer its, and the page
that came is stored as the batch would have stored it had the claim never been made.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, select, update

from storage.models import Article, ArticleUrl, Page
from storage.records import FetchedPage
from storage.steps import Kind, Step, Stored
from storage.urls import normalise_url, page_key

logger = logging.getLogger(__name__)
_ARTICLES, _URLS, _PAGES = Article.__table__, ArticleUrl.__table__, Page.__table__


def held_by_claim(connection: Connection, holders: dict[str, int]) -> set[str]:
    """The URLs of `holders` (URL: the article holding it) that their article holds by a claim only:
    it has raw pages, and none was fetched at that URL or a variant of it (the signal `Claims.false`
    goes by). The crawl fetches such a URL (`crawler/corpusgate.py`): the page there may be another
    article, which a false claim would otherwise hide for good."""
    fetched: dict[int, set[str | None]] = {}
    ids = sorted(set(holders.values()))
    for start in range(0, len(ids), 500):
        rows = connection.execute(
            select(_PAGES.c.article_id, _PAGES.c.url, _PAGES.c.final_url).where(
                _PAGES.c.article_id.in_(ids[start : start + 500])
            )
        )
        for article_id, url, final_url in rows:
            fetched.setdefault(article_id, set()).update((_key(url), _key(final_url)))
    claimed = set()
    for url, article_id in holders.items():
        keys = fetched.get(article_id, set()) - {None}
        if keys and _key(url) not in keys:
            claimed.add(url)
    return claimed


def plausible(page: FetchedPage, url: str) -> bool:
    """The page was fetched at `url`, or at a variant of the page it names."""
    return _key(url) in {_key(own) for own in (page.url, page.final_url)} - {None}


def _key(url: str) -> str | None:
    """`page_key` of the URL normalised; None for one that cannot be split (a broken IPv6 host)."""
    try:
        return page_key(normalise_url(url))
    except ValueError:
        return None


@dataclass
class Claims:
    """The batch's view of who fetched what, to tell a false claim from a variant's."""

    connection: Connection
    fetched: dict[int, set[str]] = field(default_factory=dict)
    """Per article of the batch (`id(Stored)`), the URLs its pages of this batch were fetched at."""
    steps: dict[str, Step] = field(default_factory=dict)
    """The step of this batch that records each URL it adds."""

    def planned(self, step: Step) -> None:
        """A step of the batch, once planned."""
        self.fetched.setdefault(id(step.target), set()).update((step.page.url, step.page.final_url))
        self.steps.update((url, step) for url in step.new_urls)

    def false(self, holder: Stored, url: str) -> bool:
        """`holder` holds `url` by a claim: no page of it was fetched there or at a variant of it."""
        fetched = set(self.fetched.get(id(holder), ()))
        if holder.id is not None:
            rows = self.connection.execute(
                select(_PAGES.c.url, _PAGES.c.final_url).where(_PAGES.c.article_id == holder.id)
            )
            fetched.update(seen for row in rows for seen in row)
        keys = {_key(seen) for seen in fetched} - {None}
        return bool(keys) and _key(url) not in keys

    def given_back(self, holder: Stored, url: str, by_url: dict[str, Stored]) -> bool:
        """`url` came with another text, and `holder` held it by a false claim: given back (and out of
        the batch's `by_url`), so that the page is stored as if the claim had never been made."""
        if not self.false(holder, url) or not self.release(holder, url):
            return False
        logger.info("%s: held by another page's false canonical claim: given back", url)
        del by_url[url]
        return True

    def release(self, holder: Stored, url: str) -> bool:
        """`holder` gives `url` back, taking one of its own URLs; False when it has none other."""
        step = self.steps.get(url)
        if step is not None:  # recorded by this batch: not written yet
            others = [other for other in step.new_urls if other != url]
            if step.kind is Kind.INSERT and step.url == url:
                if not others:
                    return False
                step.url = others[0]
            step.new_urls = others
            del self.steps[url]
            return True
        assert holder.id is not None
        own = self.connection.execute(
            select(_URLS.c.url)
            .where(_URLS.c.article_id == holder.id, _URLS.c.url != url)
            .order_by(_URLS.c.first_seen_at, _URLS.c.url)
            .limit(1)
        ).scalar()
        if own is None:
            return False
        self.connection.execute(
            update(_ARTICLES).where(_ARTICLES.c.id == holder.id, _ARTICLES.c.url == url).values(url=own)
        )
        self.connection.execute(delete(_URLS).where(_URLS.c.url == url, _URLS.c.article_id == holder.id))
        return True
