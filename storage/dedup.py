"""Which story a new article belongs to: exact copies by text hash, near copies by MinHash LSH.

The LSH index lives in the database (`minhash_bands`), so it survives restarts, is the same on
SQLite and PostgreSQL, and is shared by every crawler process writing the corpus. Finding the
candidates of a new article is one indexed probe per band; they are then checked against their
stored signatures. The thresholds below come from benchmarks/dedup.py (see docs/dedup.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import and_, delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from cleaner.fingerprint import (
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
    """What dedup needs of a text, computed once per article."""

    text_hash: str
    signature: np.ndarray
    bands: list[int]

    @classmethod
    def of(cls, text: str) -> Fingerprint:
        signature = minhash(text)
        return cls(text_hash(text), signature, band_keys(signature))


def lock_for_insert(session: Session, fingerprints: list[Fingerprint]) -> None:
    """Serialise writers that could be storing copies of the same story at the same moment.

    PostgreSQL: transaction-scoped advisory locks on the article's band keys, in order (copies
    share at least one band, so the second waits for the first and then sees it). SQLite: the
    transaction takes the write lock up front (BEGIN IMMEDIATE), so lookups and inserts of two
    processes never interleave.
    """
    if session.bind is not None and session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k"),
            {"keys": sorted({band for fingerprint in fingerprints for band in fingerprint.bands})},
        )
    else:
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")


def find_story(session: Session, fingerprint: Fingerprint, published: datetime | None) -> int | None:
    """The story of a stored copy of this text, if there is one."""
    exact = session.scalar(
        select(Article.story_id).where(Article.text_hash == fingerprint.text_hash).limit(1)
    )
    if exact is not None:
        return exact
    best_story, best_score = None, SIMILAR
    for story_id, stored, stored_published in _candidates(session, fingerprint):
        score = similarity(fingerprint.signature, signature_from_bytes(stored))
        if score >= best_score and _same_story(score, published, stored_published):
            best_story, best_score = story_id, score
    return best_story


def _candidates(session: Session, fingerprint: Fingerprint) -> list[tuple[int, bytes, datetime | None]]:
    # OR of (band, bucket) equalities, not a row-value IN: both SQLite and PostgreSQL then probe the
    # primary key once per band, where SQLite would scan the table for `(band, bucket) IN (VALUES ...)`.
    probes = [
        and_(MinhashBand.band == band, MinhashBand.bucket == bucket)
        for band, bucket in enumerate(fingerprint.bands)
    ]
    shared = (
        select(MinhashBand.article_id)
        .where(or_(*probes))
        .group_by(MinhashBand.article_id)
        .order_by(func.count().desc())
        .limit(CANDIDATE_LIMIT)
        .subquery()
    )
    rows = session.execute(
        select(Article.story_id, Article.minhash, Story.first_published_at)
        .join(Story, Story.id == Article.story_id)
        .where(Article.id.in_(select(shared.c.article_id)), Article.minhash.is_not(None))
    )
    return [(story_id, stored, published) for story_id, stored, published in rows]


def _same_story(score: float, published: datetime | None, other: datetime | None) -> bool:
    if score >= VERY_SIMILAR or published is None or other is None:
        return True
    return abs(published - other) <= SAME_STORY_WINDOW


def index_article(session: Session, article_id: int, fingerprint: Fingerprint) -> None:
    """Add the article to the band index (and replace its entries after a revision)."""
    session.execute(delete(MinhashBand).where(MinhashBand.article_id == article_id))
    session.execute(
        insert(MinhashBand),
        [
            {"band": band, "bucket": bucket, "article_id": article_id}
            for band, bucket in enumerate(fingerprint.bands)
        ],
    )


def stored_signature(fingerprint: Fingerprint) -> bytes:
    """The signature as the `articles.minhash` column keeps it."""
    return signature_bytes(fingerprint.signature)
