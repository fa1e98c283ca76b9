"""Which stored articles a text is a copy of: exact copies by text hash, near copies by MinHash LSH.

The LSH index lives in the database (`minhash_bands`), so it survives restarts, is the same on
SQLite and PostgreSQL, and is shared by every crawler process writing the corpus. Finding the
candidates of a new text is one bounded indexed probe per band; each candidate is then checked
against its stored signature, and against its text where the signature cannot tell. Two texts
are *linked* when they are copies of one story by the rule below; a story is a connected group of
linked texts (storage/stories.py merges stories a text links). The rule depends on the two texts
only, never on what else is stored or in which order it came, so the stories do not depend on the
order of arrival. docs/dedup.md gives the arithmetic and the measurements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import numpy as np
from sqlalchemy import (
    BigInteger,
    Connection,
    Select,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    union_all,
)

from cleaner.fingerprint import (
    BANDS,
    band_keys,
    minhash,
    shingles,
    signature_bytes,
    signature_from_bytes,
    similarity,
    text_hash,
)
from storage.models import Article, MinhashBand

SIMILAR = 0.5
"""Jaccard similarity (word 5-shingles) from which two texts are copies of one story."""
VERY_SIMILAR = 0.85
"""Copies this close are one story however far apart they were published (a late republication)."""
SAME_STORY_WINDOW = timedelta(hours=12)
"""Two similar texts published this long apart or more are not linked (a running story's next day
is a new story) unless VERY_SIMILAR. Stories chain linked texts, so one story may span more than
this: a copy half a day late still joins through the copies between. Half a day because a running
story's versions come about a day apart: a text less than half a day from another is nearer to its
version than to the next, so versions do not chain into one story through their copies."""
SURE_MARGIN = 0.2
"""The MinHash estimate decides alone when it is this far from the threshold: its standard deviation
is at most sqrt(0.25 / NUM_PERM) = 0.044, so 0.2 is 4.5 deviations (wrong once in 300,000 pairs).
Nearer the threshold, the texts' own shingles decide."""
PER_BAND = 32
"""Band index entries read per band of a probe, newest first: a bucket holding more is a text
copied by more sites than this (texts share three signature values by chance with probability
J^3), and its newest copies stand for it. This bounds the probe, whatever the corpus."""
PER_STORY = 10
"""Candidates kept per story, those sharing the most bands first: one big story cannot crowd out
the others a text may link."""
CANDIDATE_LIMIT = 100
"""Candidates checked per text, those sharing the most bands first: bounds the verification."""


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

    @cached_property
    def shingles(self) -> set[str]:
        """The text's word 5-shingles, for the candidates whose estimate is near the threshold."""
        return shingles(self.text)


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


@dataclass(frozen=True)
class Link:
    """A stored article a text is a copy of, in the story it is in now."""

    article_id: int
    story_id: int
    similarity: float


def find_links(
    connection: Connection, fingerprint: Fingerprint, published: datetime | None, exclude: int | None = None
) -> list[Link]:
    """The stored articles this text is linked to, among its candidates.

    `exclude`: the article whose new text this is (a revision is not a copy of its old self).
    """
    candidates = [
        candidate
        for candidate in connection.execute(_CANDIDATES, _probe_parameters(fingerprint))
        if candidate.id != exclude
    ]
    windows = {candidate.id: _within_window(published, candidate.published_at) for candidate in candidates}
    scores = {
        candidate.id: similarity(fingerprint.signature, signature_from_bytes(candidate.minhash))
        for candidate in candidates
    }
    unsure = [article_id for article_id, score in scores.items() if _needs_text(score, windows[article_id])]
    scores.update(_exact_similarities(connection, fingerprint, unsure))
    return [
        Link(candidate.id, candidate.story_id, scores[candidate.id])
        for candidate in candidates
        if _linked(scores[candidate.id], windows[candidate.id])
    ]


def _within_window(published: datetime | None, other: datetime | None) -> bool:
    """Published close enough to be copies of one version of a story (an unknown time does not bar it)."""
    return published is None or other is None or abs(published - other) < SAME_STORY_WINDOW


def _linked(score: float, within_window: bool) -> bool:
    return score >= (SIMILAR if within_window else VERY_SIMILAR)


def _needs_text(estimate: float, within_window: bool) -> bool:
    """Whether the estimate is too near the threshold that applies to decide alone."""
    threshold = SIMILAR if within_window else VERY_SIMILAR
    return abs(estimate - threshold) < SURE_MARGIN


def _exact_similarities(connection: Connection, fingerprint: Fingerprint, ids: list[int]) -> dict[int, float]:
    """Jaccard similarity of the texts' shingle sets, for the candidates the estimate cannot settle."""
    if not ids:
        return {}
    ours = fingerprint.shingles
    rows = connection.execute(select(Article.id, Article.text).where(Article.id.in_(ids)))
    return {article_id: jaccard(ours, shingles(stored)) for article_id, stored in rows}


def jaccard(first: set[str], second: set[str]) -> float:
    """|A ∩ B| / |A ∪ B|; 0 for two empty sets (an empty text is nobody's copy)."""
    union = len(first | second)
    return len(first & second) / union if union else 0.0


def _probe_parameters(fingerprint: Fingerprint) -> dict[str, int]:
    return {f"bucket_{band}": bucket for band, bucket in enumerate(fingerprint.bands)}


def _candidates_statement() -> Select[tuple[int, int, bytes, datetime | None]]:
    """Built once, with the buckets as parameters: building and caching its terms per article cost
    several times running it.

    Each band is probed on the primary key (band, bucket, article_id), newest entries first and at
    most PER_BAND of them; the articles found are ranked by the bands they share, at most PER_STORY
    per story and CANDIDATE_LIMIT in all. Window functions and LIMIT in subqueries: SQLite and
    PostgreSQL both run it as written.
    """
    probes = [
        select(
            select(MinhashBand.article_id)
            .where(
                MinhashBand.band == band,
                MinhashBand.bucket == bindparam(f"bucket_{band}", type_=BigInteger()),
            )
            .order_by(MinhashBand.article_id.desc())
            .limit(PER_BAND)
            .subquery()
            .c.article_id
        )
        for band in range(BANDS)
    ]
    found = union_all(*probes).subquery()
    shared = select(found.c.article_id, func.count().label("bands")).group_by(found.c.article_id).subquery()
    ranked = (
        select(
            Article.id,
            Article.story_id,
            Article.minhash,
            Article.published_at,
            shared.c.bands,
            func.row_number()
            .over(partition_by=Article.story_id, order_by=(shared.c.bands.desc(), Article.id))
            .label("rank_in_story"),
        )
        .join(shared, shared.c.article_id == Article.id)
        .where(Article.minhash.is_not(None))
        .subquery()
    )
    return (
        select(ranked.c.id, ranked.c.story_id, ranked.c.minhash, ranked.c.published_at)
        .where(ranked.c.rank_in_story <= PER_STORY)
        .order_by(ranked.c.bands.desc(), ranked.c.id)
        .limit(CANDIDATE_LIMIT)
    )


_CANDIDATES = _candidates_statement()


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
