"""The raw page behind a stored article, as fetched: what `wiredesk page URL` prints.

A page is found by any URL that led to it: the URL requested, the URL after redirects, the
article's URL or one of its variants (`article_urls`). Without a revision number the most recent
page is meant (failed pages too: they are the ones a cleaner bug leaves behind); with one, the page
that revision of the article was cleaned from.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, or_, select

from storage.models import Article, ArticleUrl, Page, Revision

_PAGES = Page.__table__


class PageNotFound(LookupError):
    """No stored page for that URL (or revision); the message says which."""


@dataclass(frozen=True)
class StoredPage:
    """One raw page as fetched, its body decompressed."""

    url: str
    final_url: str
    fetched_at: datetime
    content_type: str | None
    outcome: str
    body: bytes


def stored_page(engine: Engine, url: str, revision: int | None = None) -> StoredPage:
    """The page `url` led to (the latest), or the one revision `revision` of its article came from.

    Raises PageNotFound when no page, or no such revision, is stored.
    """
    with engine.connect() as connection:
        article_id = connection.scalar(
            select(ArticleUrl.article_id).where(ArticleUrl.url == url)
        ) or connection.scalar(select(Article.id).where(Article.url == url))
        if revision is not None:
            if article_id is None:
                raise PageNotFound(f"no stored article at {url}")
            page_id = connection.scalar(
                select(Revision.page_id).where(Revision.article_id == article_id, Revision.number == revision)
            )
            if page_id is None:
                raise PageNotFound(f"no raw page kept for revision {revision} of {url}")
            query = select(_PAGES).where(_PAGES.c.id == page_id)
        else:
            matches = [_PAGES.c.url == url, _PAGES.c.final_url == url]
            if article_id is not None:
                matches.append(_PAGES.c.article_id == article_id)
            query = (
                select(_PAGES).where(or_(*matches)).order_by(_PAGES.c.fetched_at.desc(), _PAGES.c.id.desc())
            )
        row = connection.execute(query.limit(1)).first()
    if row is None:
        raise PageNotFound(f"no stored page for {url}")
    return StoredPage(
        row.url, row.final_url, row.fetched_at, row.content_type, row.outcome, zlib.decompress(row.body_zlib)
    )
