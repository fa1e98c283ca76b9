"""Which story a new article belongs to: exact copies by text hash, near copies by MinHash LSH.

The LSH index lives in the database (`minhash_bands`), so it survives restarts, is the same on
SQLite and PostgreSQL, and is shared by every crawler process writing the corpus. Finding the
candidates of a new article is one indexed probe per band; they are then checked against their
stored signatures. The thresholds below come from benchmarks/dedup.py (see docs/dedup.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import numpy as np
from sqlalchemy import (
    BigInteger,
    Connection,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
)

from cleaner.fingerprint import (
    BANDS,
    band_keys,
    minhash,
    signature_bytes,
    signature_from_bytes,
    similarity,
    text_hash,
)
from storage.models import Article, MinhashBand, Story

SIMILAR = 0.5
"""Estimated Jaccard (word 5-shingles) from which two texts are copies of one story."""
VERY_SIMILAR = 0.85
"""Copies this close are one story however far apart they were published (a late republication)."""
SAME_STORY_WINDOW = timedelta(hours=18)
"""A similar text published this long after a story's first publication is a new story (a running
story's next day), not a copy. Republishers carry wire copy within hours; a running story's next
version comes a day later and keeps much of the previous day's text (Jaccard up to about 0.65 in
benchmarks/syndication.py)."""
CANDIDATE_LIMIT = 50
"""Candidates checked per new article, those sharing the most bands first: keeps lookups bounded."""


@dataclass(frozen=True)
class Fingerprint:
    """What dedup needs of a text: its hash at once, its MinHash signature and bands when first asked.

    Most pages a crawl stores that are not new are known by their hash alone (fetched again
    unchanged, or the same text under another URL of the site). The signature costs several times
    the hash on a long text, so it is only computed for texts that are inserted or revised.
    """

    text: str = field(repr=False)
    text_hash: str

    @classmethod
    def of(cls, text: str) -> Fingerprint:
        return cls(text, text_hash(text))

    @cached_property
    def signature(self) -> np.ndarray:
        return minhash(self.text)

    @cached_property
    def bands(self) -> list[int]:
        return band_keys(self.signature)


def lock_texts(connection: Connection, hashes: Iterable[str]) -> None:
    """First of the two locking steps of a batch: serialise writers storing the same texts.

    Two writers could otherwise both find a text unknown and both insert it. PostgreSQL:
    transaction-scoped advisory locks on the text hashes, in order, in the two-key lock space (apart
    from `lock_bands`' one-key space). SQLite: the transaction takes the write lock up front
    (BEGIN IMMEDIATE), so lookups and inserts of two processes never interleave.
    """
    if connection.dialect.name != "postgresql":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    keys = sorted({_text_lock_key(digest) for digest in hashes})
    connection.execute(
        text(
            "SELECT pg_advisory_xact_lock(k1, k2) FROM unnest(CAST(:k1 AS int[]), CAST(:k2 AS int[])) "
            "AS k(k1, k2) ORDER BY k1, k2"
        ),
        {"k1": [k1 for k1, _ in keys], "k2": [k2 for _, k2 in keys]},
    )


def lock_bands(connection: Connection, fingerprints: list[Fingerprint]) -> None:
    """Second step, before looking for near copies: serialise writers of copies of the same story.

    PostgreSQL: advisory locks on the band keys of the texts about to be inserted, in order (copies
    share at least one band, so the second waits for the first and then sees it). Every writer takes
    all its text locks, then all its band locks, each set in order, so no two can wait on each other.
    SQLite: the write lock is already held.
    """
    if connection.dialect.name == "postgresql" and fingerprints:
        connection.execute(
            text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k"),
            {"keys": sorted({band for fingerprint in fingerprints for band in fingerprint.bands})},
        )


def _text_lock_key(digest: str) -> tuple[int, int]:
    """Two signed 32-bit halves of the hash's first 64 bits, for pg_advisory_xact_lock(int, int)."""
    high, low = int(digest[:8], 16), int(digest[8:16], 16)
    return high - (high >> 31 << 32), low - (low >> 31 << 32)


def find_story(
    connection: Connection,
    fingerprint: Fingerprint,
    published: datetime | None,
    first_published: Mapping[int, datetime | None],
) -> int | None:
    """The story of a stored near copy of this text (exact copies are found by their hash before).

    `first_published` overrides the stored first publication of stories the caller changed and has
    not written yet.
    """
    best_story, best_score = None, SIMILAR
    for story_id, stored, stored_published in _candidates(connection, fingerprint):
        score = similarity(fingerprint.signature, signature_from_bytes(stored))
        other = first_published.get(story_id, stored_published)
        if score >= best_score and _same_story(score, published, other):
            best_story, best_score = story_id, score
    return best_story


def _candidates(connection: Connection, fingerprint: Fingerprint) -> list[tuple[int, bytes, datetime | None]]:
    buckets = {f"bucket_{band}": bucket for band, bucket in enumerate(fingerprint.bands)}
    return [
        (story_id, stored, published)
        for story_id, stored, published in connection.execute(_CANDIDATES, buckets)
    ]


def _candidates_statement() -> Select[tuple[int, bytes | None, datetime | None]]:
    """Built once, with the buckets as parameters: building and caching its 64 terms per article cost
    several times running it.

    An OR of (band, bucket) equalities, not a row-value IN: both SQLite and PostgreSQL then probe
    the primary key once per band, where SQLite would scan the table for `(band, bucket) IN (VALUES ...)`.
    """
    probes = [
        and_(MinhashBand.band == band, MinhashBand.bucket == bindparam(f"bucket_{band}", type_=BigInteger()))
        for band in range(BANDS)
    ]
    shared = (
        select(MinhashBand.article_id)
        .where(or_(*probes))
        .group_by(MinhashBand.article_id)
        .order_by(func.count().desc())
        .limit(CANDIDATE_LIMIT)
        .subquery()
    )
    return (
        select(Article.story_id, Article.minhash, Story.first_published_at)
        .join(Story, Story.id == Article.story_id)
        .where(Article.id.in_(select(shared.c.article_id)), Article.minhash.is_not(None))
    )


_CANDIDATES = _candidates_statement()


def _same_story(score: float, published: datetime | None, other: datetime | None) -> bool:
    if score >= VERY_SIMILAR or published is None or other is None:
        return True
    return abs(published - other) <= SAME_STORY_WINDOW


def index_article(connection: Connection, article_id: int, fingerprint: Fingerprint, replace: bool) -> None:
    """Add the article to the band index; `replace` its entries after a revision.

    A new article has none to replace: foreign keys (on in both backends) delete an article's bands
    with it, so even a reused SQLite rowid starts clean.
    """
    if replace:
        connection.execute(delete(MinhashBand).where(MinhashBand.article_id == article_id))
    connection.execute(
        insert(MinhashBand),
        [
            {"band": band, "bucket": bucket, "article_id": article_id}
            for band, bucket in enumerate(fingerprint.bands)
        ],
    )


def stored_signature(fingerprint: Fingerprint) -> bytes:
    """The signature as the `articles.minhash` column keeps it."""
    return signature_bytes(fingerprint.signature)
