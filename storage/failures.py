"""Pages fetched but lost to an error: kept raw, counted, and not fetched again past a bound.

A page given up by the cleaning time limit, one whose cleaning worker died twice, one the cleaner
raised on, one storage refused: its raw body goes to `pages` with outcome `failed` and the reason
(no article row), so nothing is lost and a better cleaner can try it again; the spider counts those
rows per URL and stops fetching a URL that has failed WIREDESK_CLEAN_FAILURES times, instead of
failing on it in every crawl for as long as a feed lists it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from sqlalchemy import Engine, func, insert, select

from storage.bounds import CONTENT_TYPE_CHARS, bounded_error, capped, cut_url
from storage.models import Page
from storage.records import FetchedPage, Outcome

FAILED = Outcome.FAILED.value
"""`pages.outcome` of a page that was fetched but lost to an error."""


def record_failed_page(engine: Engine, page: FetchedPage, reason: str) -> None:
    """Keep the raw page with the reason it failed; whatever the page holds, this row can be written."""
    with engine.begin() as connection:
        connection.execute(
            insert(Page).values(
                url=cut_url(page.url),
                final_url=cut_url(page.final_url),
                source=capped(page.source, Page.__table__.c.source.type.length),
                fetched_at=page.fetched_at,
                http_status=page.http_status if 0 <= page.http_status < 1000 else 0,
                content_type=capped(page.content_type, CONTENT_TYPE_CHARS),
                body_zlib=zlib.compress(page.body, 6),
                article_id=None,
                outcome=FAILED,
                error=bounded_error(reason),
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
