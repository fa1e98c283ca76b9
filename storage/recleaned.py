"""Storing re-cleaned texts (`Corpus.store_recleaned`): a changed text is a revision of its article.

The raw page a stored text came from, cleaned again (`wiredesk reclean`), goes through story
assignment again like a publisher revision: indexed again, linked, maybe merging stories.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from cleaner import CleanArticle
from storage import dedup
from storage.batch import Batch
from storage.dedup import Fingerprint
from storage.models import Article, Revision
from storage.reclean import current_page_ids
from storage.rows import metadata
from storage.steps import Stored, story_of

# Values per IN list, well under SQLite's and PostgreSQL's limits on bound parameters.
IN_CHUNK = 500

_ARTICLES, _REVISIONS = Article.__table__, Revision.__table__


# `revisions.cause` of a text that is a raw page cleaned again, not a new fetch.
RECLEAN = "reclean"


@dataclass(frozen=True)
class Recleaned:
    """A stored article's raw page cleaned again: what `Corpus.store_recleaned` stores if it changed."""

    article_id: int
    page_id: int
    url: str
    """The page's final URL (its site's memory learns from the text)."""
    fetched_at: datetime
    article: CleanArticle


def lock_articles(connection: Connection, article_ids: list[int]) -> dict[int, Stored]:
    """The articles, locked against a concurrent revision (PostgreSQL; SQLite holds the write lock)."""
    columns = (_ARTICLES.c.id, _ARTICLES.c.story_id, _ARTICLES.c.site, _ARTICLES.c.text_hash)
    found: dict[int, Stored] = {}
    for start in range(0, len(article_ids), IN_CHUNK):
        query = (
            select(*columns, _ARTICLES.c.revision_count, _ARTICLES.c.last_fetched_at)
            .where(_ARTICLES.c.id.in_(sorted(article_ids)[start : start + IN_CHUNK]))
            .order_by(_ARTICLES.c.id)
            .with_for_update(key_share=True)
        )
        for row in connection.execute(query):
            found[row.id] = Stored(
                row.site, row.text_hash, row.revision_count, row.id, row.story_id, row.last_fetched_at
            )
    return found


def store_changed(
    connection: Connection, ready: list[tuple[Recleaned, CleanArticle, Fingerprint] | None]
) -> list[bool | None]:
    """Store the texts that changed, in the caller's transaction: for each item, True when its text
    changed, None when its article is gone or its text was refused (None in `ready`)."""
    dedup.lock_texts(connection, (fingerprint.text_hash for _, _, fingerprint in filter(None, ready)))
    stored = lock_articles(connection, [item.article_id for item, _, _ in filter(None, ready)])
    # A page fetched since this one was read for cleaning holds the current text already.
    current = current_page_ids(connection, list(stored))
    changed = [
        (item, article, fingerprint, stored[item.article_id])
        for item, article, fingerprint in filter(None, ready)
        if item.article_id in stored
        and current.get(item.article_id) == item.page_id
        and stored[item.article_id].text_hash != fingerprint.text_hash
    ]
    dedup.lock_bands(connection, [fingerprint for _, _, fingerprint, _ in changed])
    batch = Batch(connection)
    batch.near = dedup.NearIndex(connection, [fingerprint for _, _, fingerprint, _ in changed], len(changed))
    for item, article, fingerprint, target in changed:
        target.revision_count += 1
        target.text_hash = fingerprint.text_hash
        connection.execute(
            update(_ARTICLES)
            .where(_ARTICLES.c.id == target.id)
            .values(
                revision_count=target.revision_count,
                text=article.text,
                text_hash=fingerprint.text_hash,
                minhash=dedup.stored_signature(fingerprint),
                **metadata(article),
            )
        )
        batch.revisions.append(
            {
                "article_id": target.id,
                "number": target.revision_count,
                "fetched_at": item.fetched_at,
                "title": article.title,
                "text": article.text,
                "text_hash": fingerprint.text_hash,
                "page_id": item.page_id,
                "cause": RECLEAN,
            }
        )
        batch.relink(target, fingerprint, article, RECLEAN)
        batch.saw(item.url, article, story_of(target), item.fetched_at)
    if batch.revisions:
        connection.execute(insert(_REVISIONS), batch.revisions)
    batch.revisions.clear()
    batch.finish()
    now_changed = {item.article_id for item, *_ in changed}
    return [
        None if entry is None or entry[0].article_id not in stored else entry[0].article_id in now_changed
        for entry in ready
    ]
