"""The band index in SQL: the locks of a store transaction, the bucket probe, the band rows written.

storage/dedup.py decides which stored texts a text is a copy of; this module is what that costs
the database: transaction-scoped locks that serialise writers of the same texts and stories, one
bounded probe of the buckets of a whole batch, one read of the candidates found, one write of the
batch's band rows. The same on SQLite and PostgreSQL, each in the form that is cheap there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
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

from cleaner.fingerprint import signature_from_bytes
from storage.copyrows import copy_in, execute_many
from storage.models import Article, MinhashBand

IN_CHUNK = 500
"""Values per SQLite IN list (its limit on bound parameters)."""
_PROBE_PG = text(
    "SELECT k.band, k.bucket, e.article_id "
    "FROM unnest(CAST(:bands AS smallint[]), CAST(:buckets AS bigint[])) AS k(band, bucket) "
    "CROSS JOIN LATERAL (SELECT m.article_id FROM minhash_bands m WHERE m.band = k.band "
    "AND m.bucket = k.bucket ORDER BY m.article_id DESC LIMIT :per_band) AS e"
)
# Every key's newest entries in one statement (one per key cost a call from Python each: 3,700 a
# batch), as a list of ids per key (the key's place in the JSON array), sorted again in Python.
_PROBE_SQLITE = (
    "SELECT k.key, (SELECT group_concat(article_id) FROM (SELECT article_id FROM minhash_bands "
    "WHERE band = json_extract(k.value, '$[0]') AND bucket = json_extract(k.value, '$[1]') "
    "ORDER BY article_id DESC LIMIT ?)) FROM json_each(?) AS k"
)
_INSERT_BANDS = insert(MinhashBand)
_COPY_BANDS = "COPY minhash_bands (band, bucket, article_id) FROM STDIN (FORMAT BINARY)"
# A band row in COPY's binary format: its field count, then each field's length and value, big-endian.
_BAND_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("band_length", ">i4"),
        ("band", ">i2"),
        ("bucket_length", ">i4"),
        ("bucket", ">i8"),
        ("id_length", ">i4"),
        ("article_id", ">i8"),
    ]
)
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no header extension
_BINARY_TRAILER = b"\xff\xff"


def lock_texts(connection: Connection, hashes: Iterable[str]) -> None:
    """First of the two locking steps of a batch: serialise writers storing the same texts.

    Two writers could otherwise both find a text unknown and both insert it. PostgreSQL:
    transaction-scoped advisory locks on the text hashes, in order, in the two-key lock space (apart
    from `lock_band_keys`' one-key space). SQLite: the transaction takes the write lock up front
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


def lock_band_keys(connection: Connection, keys: set[int]) -> None:
    """Second step, before looking for near copies: serialise writers of copies of the same story.

    PostgreSQL: advisory locks on the band keys of the texts about to be inserted, in order (copies
    share at least one band, so the second waits for the first and then sees it). Every writer takes
    all its text locks, then all its band locks, each set in order, so no two can wait on each other.
    SQLite: the write lock is already held.
    """
    if connection.dialect.name == "postgresql" and keys:
        connection.execute(
            text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k"),
            {"keys": pg_array(sorted(keys))},
        )


def _text_lock_key(digest: str) -> tuple[int, int]:
    """Two signed 32-bit halves of the hash's first 64 bits, for pg_advisory_xact_lock(int, int)."""
    high, low = int(digest[:8], 16), int(digest[8:16], 16)
    return high - (high >> 31 << 32), low - (low >> 31 << 32)


def member_of(
    connection: Connection, column: ColumnElement[Any], values: list[int] | list[str]
) -> list[ColumnElement[bool]]:
    """Conditions `column IN values`, one per statement to run.

    PostgreSQL: one `= ANY(array)`, whatever the count, and the same SQL text each time (so
    psycopg parses it once and the server may prepare it; a long IN list is new SQL each time).
    SQLite: IN lists of at most `IN_CHUNK` values (its limit on bound parameters).
    """
    if not values:
        return []
    if connection.dialect.name != "postgresql":
        return [column.in_(values[start : start + IN_CHUNK]) for start in range(0, len(values), IN_CHUNK)]
    if isinstance(values[0], int):
        return [column == any_(cast(bindparam(None, pg_array(values), Text), ARRAY(BigInteger)))]
    return [column == any_(bindparam(None, values, ARRAY(Text)))]


def pg_array(values: Iterable[int]) -> str:
    """Integers as a PostgreSQL array literal, for CAST(:param AS bigint[]): psycopg adapts a list
    of thousands of ints element by element in Python, several times slower than joining them."""
    return "{" + ",".join(map(str, values)) + "}"


def probe(
    connection: Connection, keys: list[tuple[int, int]], per_band: int
) -> dict[tuple[int, int], list[int]]:
    """Each (band, bucket)'s `per_band` newest entries, newest first: one statement on PostgreSQL
    (a lateral probe of the primary key per bucket); on SQLite one too, a bounded subquery per key."""
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
    rows = connection.exec_driver_sql(_PROBE_SQLITE, (per_band, json.dumps(keys)))
    for at, ids in rows:
        if ids is not None:
            found[keys[at]] = sorted(map(int, ids.split(",")), reverse=True)
    return found


@dataclass(frozen=True)
class Candidate:
    """What verifying a candidate needs: its story (as read), signature and publication time."""

    story_id: int
    signature: np.ndarray
    published: datetime | None
    site: str | None


def read_candidates(connection: Connection, ids: set[int]) -> dict[int, Candidate]:
    """The stored articles found in the buckets, with what verifying them needs (those with a signature)."""
    found: dict[int, Candidate] = {}
    columns = (Article.id, Article.story_id, Article.minhash, Article.published_at, Article.site)
    for among in member_of(connection, Article.id, sorted(ids)):
        query = select(*columns).where(among, Article.minhash.is_not(None))
        for article_id, story_id, signature, published, site in connection.execute(query):
            found[article_id] = Candidate(story_id, signature_from_bytes(signature), published, site)
    return found


def read_texts(connection: Connection, ids: list[int]) -> dict[int, str]:
    """The stored texts of these articles, for the candidates their signatures cannot settle."""
    found: dict[int, str] = {}
    for among in member_of(connection, Article.id, sorted(ids)):
        rows = connection.execute(select(Article.id, Article.text).where(among))
        found.update((article_id, body) for article_id, body in rows)
    return found


@dataclass
class BandRows:
    """Band index rows to write, as three columns (filled a text at a time, written in one go)."""

    bands: list[int] = field(default_factory=list)
    buckets: list[int] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)

    def add(self, article_id: int, keys: list[tuple[int, int]]) -> None:
        """The rows of one article's (band, bucket) keys."""
        if keys:
            bands, buckets = zip(*keys, strict=True)
            self.bands += bands
            self.buckets += buckets
            self.article_ids += [article_id] * len(keys)

    def binary_copy(self) -> bytes:
        """The rows as the data of a binary COPY, header and trailer included: numpy lays them out in
        one pass, and the server reads the integers as they are instead of parsing their digits."""
        rows = np.empty(len(self.bands), _BAND_ROW)
        rows["fields"] = 3
        rows["band_length"], rows["bucket_length"], rows["id_length"] = 2, 8, 8
        rows["band"], rows["bucket"], rows["article_id"] = self.bands, self.buckets, self.article_ids
        return _BINARY_HEADER + rows.tobytes() + _BINARY_TRAILER


def write_bands(connection: Connection, replaced: list[int], rows: BandRows) -> None:
    """Drop the band rows of the `replaced` articles, then write `rows`."""
    for start in range(0, len(replaced), IN_CHUNK):
        chunk = replaced[start : start + IN_CHUNK]
        connection.execute(delete(MinhashBand).where(MinhashBand.article_id.in_(chunk)))
    if not rows.bands:
        return
    if connection.dialect.name == "postgresql":
        # COPY, in the transaction's own connection: the server inserts the heap rows page by page
        # (one WAL record per page, not per row), a tenth cheaper than INSERT ... SELECT unnest.
        with copy_in(connection, _COPY_BANDS) as copy:
            copy.write(rows.binary_copy())
    else:
        execute_many(
            connection,
            _INSERT_BANDS,
            [
                {"band": band, "bucket": bucket, "article_id": article_id}
                for band, bucket, article_id in zip(rows.bands, rows.buckets, rows.article_ids, strict=True)
            ],
        )
