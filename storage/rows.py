"""The article columns a page and its text set, and the statements built once to write them.

Built once: building a statement and its cache key per article cost more than running it.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, case, insert, update

from cleaner import CleanArticle
from storage import dedup
from storage.dedup import Fingerprint
from storage.models import Article
from storage.records import FetchedPage, Outcome

_ARTICLES = Article.__table__

# zlib level of a raw page (`pages.body_zlib`). On the 181 AEB pages (170 KiB of HTML each) level 3
# compresses in 0.42x the CPU of zlib's default 6 for pages 12 % larger, level 1 in 0.37x for 19 %:
# 3 takes most of the saving for little disk, and the import's main process compresses every page.
RAW_PAGE_LEVEL = 3

INSERT_ARTICLE = insert(_ARTICLES).returning(_ARTICLES.c.id)
REFRESH = (
    update(_ARTICLES)
    .where(_ARTICLES.c.id == bindparam("b_id"))
    .values(
        last_fetched_at=bindparam("b_fetched_at"),
        etag=bindparam("b_etag"),
        last_modified=bindparam("b_last_modified"),
    )
)

# An older fetch kept (`Kind.OLDER`): one more revision, and the first fetch moves back if it is older.
_FETCHED_AT = bindparam("b_fetched_at", type_=_ARTICLES.c.first_fetched_at.type)
OLDER_FETCH = (
    update(_ARTICLES)
    .where(_ARTICLES.c.id == bindparam("b_id"))
    .values(
        revision_count=bindparam("b_count"),
        first_fetched_at=case(
            (_ARTICLES.c.first_fetched_at > _FETCHED_AT, _FETCHED_AT), else_=_ARTICLES.c.first_fetched_at
        ),
    )
)


def as_utc(moment: datetime) -> datetime:
    """An aware time, naive ones taken as UTC (as `UTCDateTime` stores them), so times compare."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def text_values(page: FetchedPage, article: CleanArticle, fingerprint: Fingerprint) -> dict[str, object]:
    """The columns an insert and a revision both set from the page and its text."""
    return {
        "text": article.text,
        "text_hash": fingerprint.text_hash,
        "minhash": dedup.stored_signature(fingerprint),
        "http_status": page.http_status,
        "last_fetched_at": page.fetched_at,
        "etag": page.etag,
        "last_modified": page.last_modified,
        "declared_original": page.declared_original,
        **metadata(article),
    }


def metadata(article: CleanArticle) -> dict[str, object]:
    return {
        "title": article.title,
        "summary": article.summary,
        "authors": list(article.authors),
        "agency": article.agency,
        "dateline": article.dateline,
        "published_at": article.published,
        "modified_at": article.modified,
        "language": article.language,
        "language_detected": article.language_detected,
        "top_image": article.top_image,
        "images": [dict(image) for image in article.images],
        "keywords": list(article.keywords),
        "free_access": article.free_access,
    }


def compressed_page(body: bytes) -> bytes:
    """A raw page as `pages.body_zlib` holds it (zlib, read back by `zlib.decompress`)."""
    return zlib.compress(body, RAW_PAGE_LEVEL)


def page_row(page: FetchedPage, article_id: int | None, outcome: Outcome) -> dict[str, Any]:
    """The `pages` row of a kept raw page."""
    return {
        "url": page.url,
        "final_url": page.final_url,
        "source": page.source,
        "fetched_at": page.fetched_at,
        "http_status": page.http_status,
        "content_type": page.content_type,
        "body_zlib": compressed_page(page.body),
        "article_id": article_id,
        "outcome": outcome.value,
    }


def revision_row(
    article: CleanArticle, article_id: int | None, number: int, page: FetchedPage, fingerprint: Fingerprint
) -> dict[str, Any]:
    """The `revisions` row of a fetched text (its `page_id` is set once the page is written)."""
    return {
        "article_id": article_id,
        "number": number,
        "fetched_at": page.fetched_at,
        "title": article.title,
        "text": article.text,
        "text_hash": fingerprint.text_hash,
    }
