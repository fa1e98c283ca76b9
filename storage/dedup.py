"""Which stored articles a text is a copy of: exact copies by text hash, near copies by MinHash LSH.

The LSH index lives in the database (`minhash_bands`), so it survives restarts, is the same on
SQLite and PostgreSQL, and is shared by every crawler process writing the corpus. Finding the
candidates of a new text is one bounded indexed probe per band (made for a whole batch at once,
`NearIndex`); each candidate is then checked
against its stored signature, and against its text where the signature cannot tell. Two texts
are *linked* when they are copies of one story by the rule below; a story is a connected group of
linked texts (storage/stories.py merges stories a text links). The rule depends on the two texts
only, never on what else is stored or in which order it came, so the stories do not depend on the
order of arrival. docs/dedup.md gives the arithmetic and the measurements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Text,
    any_,
    bindparam,
    cast,
    delete,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from cleaner.fingerprint import (
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

    def take_signature(self, signature: np.ndarray) -> None:
        """Use the signature of a stored text with the same hash instead of computing it.

        Both come from the normalised text alone (the hash is of it, the shingles are its words),
        so an exact copy's signature is the original's: a wire story on its tenth site costs a
        lookup, not a MinHash of a long text.
        """
        self.__dict__["signature"] = signature

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
            {"keys": pg_array(sorted({band for fingerprint in fingerprints for band in fingerprint.bands}))},
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


class NearIndex:
    """The band index as one store transaction sees it: probed once for all the batch's texts.

    Probing per text cost a query of 42 index probes each, most of a PostgreSQL insert's time;
    here the buckets of every text the batch indexes are read with one statement, the candidates
    found with a second, and the batch's own texts are added in memory as it writes them, so each
    text still sees the ones before it. The result is the per-text probe's: per bucket the
    PER_BAND newest entries (the batch's own are the newest), ranked by bands shared, PER_STORY
    per story, CANDIDATE_LIMIT in all. The batch's band rows are written together by `finish`.

    Read after `lock_bands`: a writer storing copies of the same story waits for this one's
    commit, then reads its rows.
    """

    def __init__(self, connection: Connection, fingerprints: list[Fingerprint], revisions: int) -> None:
        """`revisions`: how many stored articles the batch may index again (their stored entries are
        dropped from the buckets read, so each bucket is read that many entries deeper)."""
        self.connection = connection
        keys = sorted(
            {(band, bucket) for fingerprint in fingerprints for band, bucket in enumerate(fingerprint.bands)}
        )
        self._stored = _probe(connection, keys, PER_BAND + revisions)
        self._candidates = _read_candidates(connection, {a for ids in self._stored.values() for a in ids})
        self._own: dict[tuple[int, int], set[int]] = {}
        self._own_keys: dict[int, list[tuple[int, int]]] = {}
        self._written: dict[int, Fingerprint] = {}
        self._replaced: set[int] = set()

    def find_links(
        self,
        fingerprint: Fingerprint,
        published: datetime | None,
        story_of: Callable[[int], int],
        exclude: int | None = None,
    ) -> list[Link]:
        """The articles this text is linked to, among its candidates.

        `story_of`: the story a story id is now, merges of this transaction followed (the ranking
        keeps PER_STORY per story as it is when the text is stored). `exclude`: the article whose
        new text this is (a revision is not a copy of its old self).
        """
        chosen = [
            (article_id, candidate)
            for article_id, candidate in self._ranked(fingerprint, story_of)
            if article_id != exclude
        ]
        windows = {article_id: _within_window(published, c.published) for article_id, c in chosen}
        scores = {article_id: similarity(fingerprint.signature, c.signature) for article_id, c in chosen}
        unsure = [
            article_id for article_id, score in scores.items() if _needs_text(score, windows[article_id])
        ]
        scores.update(_exact_similarities(self.connection, fingerprint, unsure))
        return [
            Link(article_id, story_of(candidate.story_id), scores[article_id])
            for article_id, candidate in chosen
            if _linked(scores[article_id], windows[article_id])
        ]

    def _ranked(
        self, fingerprint: Fingerprint, story_of: Callable[[int], int]
    ) -> list[tuple[int, _Candidate]]:
        shared: Counter[int] = Counter()
        for key in enumerate(fingerprint.bands):
            shared.update(self._bucket(key))
        chosen: list[tuple[int, _Candidate]] = []
        per_story: Counter[int] = Counter()
        for article_id in sorted(shared, key=lambda found: (-shared[found], found)):
            candidate = self._candidates.get(article_id)
            if candidate is None:
                continue
            story = story_of(candidate.story_id)
            if per_story[story] < PER_STORY:
                per_story[story] += 1
                chosen.append((article_id, candidate))
                if len(chosen) == CANDIDATE_LIMIT:
                    break
        return chosen

    def _bucket(self, key: tuple[int, int]) -> list[int]:
        """The bucket's PER_BAND newest entries now: those stored (less the batch's re-indexed
        articles) and the batch's own."""
        stored = self._stored.get(key, [])
        own = self._own.get(key)
        if not own and not self._replaced:
            return stored[:PER_BAND]
        stored = [article_id for article_id in stored if article_id not in self._own_keys]
        return sorted([*stored, *(own or ())], reverse=True)[:PER_BAND]

    def add(
        self,
        article_id: int,
        fingerprint: Fingerprint,
        story_id: int,
        published: datetime | None,
        replace: bool,
    ) -> None:
        """Index the article's text (its rows are written by `finish`); `replace` its stored entries."""
        for key in self._own_keys.pop(article_id, []):
            self._own[key].discard(article_id)
        keys = list(enumerate(fingerprint.bands))
        for key in keys:
            self._own.setdefault(key, set()).add(article_id)
        self._own_keys[article_id] = keys
        self._candidates[article_id] = _Candidate(story_id, fingerprint.signature, published)
        self._written[article_id] = fingerprint
        if replace:
            self._replaced.add(article_id)

    def moved(self, article_id: int, story_id: int) -> None:
        """The article is now in this story (a revision moved it)."""
        candidate = self._candidates.get(article_id)
        if candidate is not None:
            self._candidates[article_id] = replace(candidate, story_id=story_id)

    def finish(self) -> None:
        """Write the batch's band rows: the re-indexed articles' old rows go first."""
        replaced = sorted(self._replaced)
        for start in range(0, len(replaced), _IN_CHUNK):
            chunk = replaced[start : start + _IN_CHUNK]
            self.connection.execute(delete(MinhashBand).where(MinhashBand.article_id.in_(chunk)))
        rows = [
            (band, bucket, article_id)
            for article_id, fingerprint in self._written.items()
            for band, bucket in enumerate(fingerprint.bands)
        ]
        if not rows:
            return
        if self.connection.dialect.name == "postgresql":
            bands, buckets, ids = zip(*rows, strict=True)
            self.connection.execute(
                _INSERT_BANDS, {"bands": pg_array(bands), "buckets": pg_array(buckets), "ids": pg_array(ids)}
            )
        else:
            self.connection.execute(
                insert(MinhashBand), [{"band": b, "bucket": k, "article_id": a} for b, k, a in rows]
            )


@dataclass(frozen=True)
class _Candidate:
    """What verifying a candidate needs: its story (as read), signature and publication time."""

    story_id: int
    signature: np.ndarray
    published: datetime | None


_IN_CHUNK = 500
_PROBE_PG = text(
    "SELECT k.band, k.bucket, e.article_id "
    "FROM unnest(CAST(:bands AS smallint[]), CAST(:buckets AS bigint[])) AS k(band, bucket) "
    "CROSS JOIN LATERAL (SELECT m.article_id FROM minhash_bands m WHERE m.band = k.band "
    "AND m.bucket = k.bucket ORDER BY m.article_id DESC LIMIT :per_band) AS e"
)
_PROBE_SQLITE = (
    "SELECT article_id FROM minhash_bands WHERE band = ? AND bucket = ? ORDER BY article_id DESC LIMIT ?"
)
_INSERT_BANDS = text(
    "INSERT INTO minhash_bands (band, bucket, article_id) "
    "SELECT * FROM unnest(CAST(:bands AS smallint[]), CAST(:buckets AS bigint[]), CAST(:ids AS bigint[]))"
)


def member_of(
    connection: Connection, column: ColumnElement[Any], values: list[int] | list[str]
) -> list[ColumnElement[bool]]:
    """Conditions `column IN values`, one per statement to run.

    PostgreSQL: one `= ANY(array)`, whatever the count, and the same SQL text each time (so
    psycopg parses it once and the server may prepare it; a long IN list is new SQL each time).
    SQLite: IN lists of at most `_IN_CHUNK` values (its limit on bound parameters).
    """
    if not values:
        return []
    if connection.dialect.name != "postgresql":
        return [column.in_(values[start : start + _IN_CHUNK]) for start in range(0, len(values), _IN_CHUNK)]
    if isinstance(values[0], int):
        return [column == any_(cast(bindparam(None, pg_array(values), Text), ARRAY(BigInteger)))]
    return [column == any_(bindparam(None, values, ARRAY(Text)))]


def pg_array(values: Iterable[int]) -> str:
    """Integers as a PostgreSQL array literal, for CAST(:param AS bigint[]): psycopg adapts a list
    of thousands of ints element by element in Python, several times slower than joining them."""
    return "{" + ",".join(map(str, values)) + "}"


def _probe(
    connection: Connection, keys: list[tuple[int, int]], per_band: int
) -> dict[tuple[int, int], list[int]]:
    """Each (band, bucket)'s `per_band` newest entries, newest first: one statement on PostgreSQL
    (a lateral probe of the primary key per bucket); on SQLite, in process, one cheap probe each."""
    found: dict[tuple[int, int], list[int]] = {}
    if not keys:
        return found
    if connection.dialect.name == "postgresql":
        bands, buckets = zip(*keys, strict=True)
        rows = connection.execute(
            _PROBE_PG, {"bands": pg_array(bands), "buckets": pg_array(buckets), "per_band": per_band}
        )
        for band, bucket, article_id in rows:
            found.setdefault((band, bucket), []).append(article_id)
        return found
    cursor = connection.connection.cursor()
    try:
        for band, bucket in keys:
            ids = [row[0] for row in cursor.execute(_PROBE_SQLITE, (band, bucket, per_band))]
            if ids:
                found[(band, bucket)] = ids
    finally:
        cursor.close()
    return found


def _read_candidates(connection: Connection, ids: set[int]) -> dict[int, _Candidate]:
    """The stored articles found in the buckets, with what verifying them needs (those with a signature)."""
    found: dict[int, _Candidate] = {}
    columns = (Article.id, Article.story_id, Article.minhash, Article.published_at)
    for among in member_of(connection, Article.id, sorted(ids)):
        query = select(*columns).where(among, Article.minhash.is_not(None))
        for article_id, story_id, signature, published in connection.execute(query):
            found[article_id] = _Candidate(story_id, signature_from_bytes(signature), published)
    return found


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


def stored_signature(fingerprint: Fingerprint) -> bytes:
    """The signature as the `articles.minhash` column keeps it."""
    return signature_bytes(fingerprint.signature)
