"""The article columns a page and its text set, and the statements built once to write them.

Built once: building a statement and its cache key per article cost more than running it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, insert, text, update

from cleaner import CleanArticle
from storage import dedup
from storage.copyrows import copy_rows
from storage.dedup import Fingerprint
from storage.models import Article
from storage.records import FetchedPage, Outcome

_ARTICLES = Article.__table__

# zlib level of a raw page (`pages.body_zlib`). On the 181 AEB pages (170 KiB of HTML each) level 3
# compresses in 0.42x the CPU of zlib's default 6 for pages 12 % larger, level 1 in 0.37x for 19 %:
# 3 takes most of the saving for little disk, and the import's main process compresses every page.
RAW_PAGE_LEVEL = 3

INSERT_ARTICLE = insert(_ARTICLES).returning(_ARTICLES.c.id)
_RESERVE_IDS = text(
    "SELECT CASE WHEN g <= :count THEN nextval(pg_get_serial_sequence('articles', 'id')) END, "
    "CASE WHEN g <= :count THEN nextval(pg_get_serial_sequence('stories', 'id')) END, "
    "CASE WHEN g <= :pages THEN nextval(pg_get_serial_sequence('pages', 'id')) END "
    "FROM generate_series(1, GREATEST(:count, :pages)) AS g"
)
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


@dataclass(frozen=True)
class Reserved:
    """Ids a batch takes from the sequences before writing, so that its rows go by COPY."""

    articles: list[int]
    stories: list[int]
    pages: list[int]


def reserve_ids(connection: Connection, count: int, pages: int) -> Reserved:
    """Ids for a batch's `count` new articles, as many new stories, and its `pages` raw pages, in
    one statement (PostgreSQL; SQLite: none, its rows are inserted one by one). A new article that
    joins a stored story leaves its story id unused: a gap in the sequence, as a rolled-back insert
    leaves."""
    if not (count or pages) or connection.dialect.name != "postgresql":
        return Reserved([], [], [])
    rows = connection.execute(_RESERVE_IDS, {"count": count, "pages": pages}).all()
    return Reserved(
        [row[0] for row in rows[:count]], [row[1] for row in rows[:count]], [row[2] for row in rows[:pages]]
    )


@dataclass
class NewArticles:
    """A batch's new article rows: on PostgreSQL written together, on SQLite one by one as they come.

    On PostgreSQL each insert was a round trip of its own, about a third of what a new article cost
    the writer and the server together (its row's index and full-text work is the rest): here the
    batch's article ids are taken from the sequence with one statement (`reserve`), each new
    article gets its id at once, and the rows go by one COPY when something is about to read
    or change them in the database (`flush`: before an update of articles, a story merge, and the
    rows that refer to them at the end of the batch). On SQLite, in process, a row costs no round
    trip: it is inserted at once. Their new stories go first (`Stories.flush`): the caller flushes both.
    """

    connection: Connection
    _ids: list[int] = field(default_factory=list)
    _rows: list[dict[str, Any]] = field(default_factory=list)

    def reserve(self, ids: list[int]) -> None:
        """The ids the batch's new articles take, in this order (`reserve_ids`)."""
        self._ids = ids[::-1]

    def add(self, values: dict[str, Any]) -> int:
        """A new article's row; its id."""
        if not self._ids:
            return int(self.connection.execute(INSERT_ARTICLE, values).scalar_one())
        article_id = self._ids.pop()
        self._rows.append({"id": article_id, **values})
        return article_id

    def flush(self) -> None:
        """Write the rows added since the last flush."""
        if self._rows:
            copy_rows(self.connection, _ARTICLES, self._rows)
            self._rows = []
