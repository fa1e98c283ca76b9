"""What `wiredesk reclean` reads: the stored articles chosen, and the raw page of each one's text.

Articles are walked in id order, a chunk at a time (`article_ids` with `after`), so a re-cleaning
interrupted between chunks starts again where it stopped and reads nothing twice. Storing what
changed is `Corpus.store_recleaned` (storage/repository.py).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select

from cleaner import furniture_key
from storage.models import Article, Page, Revision
from storage.sitememory import registered_site

_ARTICLES, _PAGES, _REVISIONS = Article.__table__, Page.__table__, Revision.__table__


@dataclass(frozen=True)
class Selection:
    """Which articles to re-clean; no field set means every article."""

    source: str | None = None
    site: str | None = None
    """A host or a domain: its articles and its subdomains' (`example.com` takes `news.example.com`)."""
    since: datetime | None = None
    """Articles last fetched at or after this time."""


@dataclass(frozen=True)
class RawPage:
    """The raw page an article's current text was cleaned from."""

    article_id: int
    page_id: int
    url: str
    final_url: str
    fetched_at: datetime
    content_type: str | None
    body: bytes


def article_ids(connection: Connection, selection: Selection, after: int, limit: int) -> list[int]:
    """The next `limit` chosen articles with an id above `after`, in id order."""
    query = select(_ARTICLES.c.id).where(_ARTICLES.c.id > after).order_by(_ARTICLES.c.id).limit(limit)
    if selection.source is not None:
        query = query.where(_ARTICLES.c.source == selection.source)
    if selection.site is not None:
        site = selection.site.lower().removeprefix("www.")
        query = query.where(or_(_ARTICLES.c.site == site, _ARTICLES.c.site.endswith("." + site)))
    if selection.since is not None:
        query = query.where(_ARTICLES.c.last_fetched_at >= selection.since)
    return list(connection.scalars(query))


def raw_pages(connection: Connection, ids: list[int]) -> dict[int, RawPage]:
    """Each article's current page (the one its current text came from), by article id."""
    pages = current_page_ids(connection, ids)
    query = select(_PAGES).where(_PAGES.c.id.in_(list(pages.values())))
    return {row.article_id: _raw_page(row) for row in connection.execute(query)}


def current_page_ids(connection: Connection, ids: list[int]) -> dict[int, int]:
    """Each article's current page id: the page of its current revision (the highest number), else
    its most recent kept page; without the bodies.

    Not simply the most recent page: an older fetch stored late (an old WARC imported) keeps its
    page, dated after the current text's own page when the article was refetched unchanged since;
    cleaned again, it would turn the article's text back to the older one. Storing a re-cleaned text
    checks this again: a crawl that stored a newer page of the article while its old page was being
    cleaned made that old page's text stale.
    """
    kept = _PAGES.c.outcome != "failed"
    of_revision = (
        select(_REVISIONS.c.article_id, _REVISIONS.c.page_id)
        .join(_ARTICLES, _ARTICLES.c.id == _REVISIONS.c.article_id)
        .join(_PAGES, _PAGES.c.id == _REVISIONS.c.page_id)
        .where(_REVISIONS.c.article_id.in_(ids), _REVISIONS.c.number == _ARTICLES.c.revision_count, kept)
    )
    found: dict[int, int] = {article_id: page_id for article_id, page_id in connection.execute(of_revision)}
    latest = (
        select(_PAGES.c.article_id, _PAGES.c.id)
        .where(_PAGES.c.article_id.in_([i for i in ids if i not in found]), kept)
        .order_by(_PAGES.c.article_id, _PAGES.c.fetched_at.desc(), _PAGES.c.id.desc())
    )
    for article_id, page_id in connection.execute(latest):
        found.setdefault(article_id, page_id)
    return found


def _raw_page(row: Any) -> RawPage:
    return RawPage(
        row.article_id,
        row.id,
        row.url,
        row.final_url,
        row.fetched_at,
        row.content_type,
        zlib.decompress(row.body_zlib),
    )


def sites_fetched_since(connection: Connection, since: datetime, sources: list[str]) -> dict[str, list[str]]:
    """The hosts whose articles these sources fetched since `since`, grouped by the site their memory
    is under (another crawl running meanwhile has its own sites)."""
    hosts = connection.scalars(
        select(_ARTICLES.c.site)
        .where(_ARTICLES.c.last_fetched_at >= since, _ARTICLES.c.source.in_(sources))
        .distinct()
    )
    sites: dict[str, list[str]] = {}
    for host in hosts:
        sites.setdefault(registered_site(f"http://{host}/"), []).append(host)
    return sites


def carrying(
    connection: Connection, hosts: list[str], furniture: frozenset[str], since: datetime | None, chunk: int
) -> Iterator[list[int]]:
    """The ids of the hosts' articles (fetched since `since`, if given) whose text holds a furniture
    line, a chunk at a time: the articles a re-cleaning with that memory would change."""
    after = 0
    while True:
        query = (
            select(_ARTICLES.c.id, _ARTICLES.c.text)
            .where(_ARTICLES.c.site.in_(hosts), _ARTICLES.c.id > after)
            .order_by(_ARTICLES.c.id)
            .limit(chunk)
        )
        if since is not None:
            query = query.where(_ARTICLES.c.last_fetched_at >= since)
        rows = connection.execute(query).all()
        if not rows:
            return
        after = rows[-1].id
        found = [row.id for row in rows if _holds_any(row.text, furniture)]
        if found:
            yield found


def _holds_any(text: str, furniture: frozenset[str]) -> bool:
    return any(furniture_key(line) in furniture for line in text.splitlines())
