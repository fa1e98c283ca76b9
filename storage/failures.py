"""Pages that could not be cleaned in time: kept raw, counted, and not fetched again past a bound.

A page that makes the extractor spin is given up by the cleaning time limit. Its raw body goes to
`pages` with outcome `failed` and the reason (no article row), so nothing is lost and a better
cleaner can try it again; the spider counts those rows per URL and stops fetching a URL that has
failed WIREDESK_CLEAN_FAILURES times, instead of timing it out on every crawl for as long as a
feed lists it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from sqlalchemy import Engine, func, insert, select

from storage.models import Page
from storage.records import FetchedPage

FAILED = "failed"
"""`pages.outcome` of a page that was fetched but could not be cleaned."""


def record_failed_page(engine: Engine, page: FetchedPage, reason: str) -> None:
    """Keep the raw page with the reason it failed."""
    with engine.begin() as connection:
        connection.execute(
            insert(Page).values(
                url=page.url,
                final_url=page.final_url,
                source=page.source,
                fetched_at=page.fetched_at,
                http_status=page.http_status,
                content_type=page.content_type,
                body_zlib=zlib.compress(page.body, 6),
                article_id=None,
                outcome=FAILED,
                error=reason,
            )
        )


def failed_attempts(engine: Engine, urls: Iterable[str]) -> dict[str, int]:
    """How many times each of these URLs was fetched and failed (URLs that never failed are absent)."""
    wanted = list(dict.fromkeys(urls))
    found: dict[str, int] = {}
    with engine.connect() as connection:
        for start in range(0, len(wanted), 500):
            rows = connection.execute(
                select(Page.url, func.count())
                .where(Page.outcome == FAILED, Page.url.in_(wanted[start : start + 500]))
                .group_by(Page.url)
            )
            found.update({url: count for url, count in rows})
    return found
