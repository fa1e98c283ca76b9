"""What the band index costs PostgreSQL per stored article, in other layouts, on a filled corpus.

    python -m benchmarks.dedup_layouts --db postgresql+psycopg://... --schema SCHEMA [--rounds 40]

SCHEMA is a corpus kept by `python -m benchmarks.storage --fill sql --keep SCHEMA` (its
`minhash_bands` holds 74 rows per article). The band rows are copied into scratch tables, one per
layout, dropped at the end; then, round after round, each layout in turn gets one batch's work as
`storage.bandindex` gives it to the server: the bucket probe of 50 articles' 74 keys each (random
63-bit keys, as new texts have: unrelated texts share no bucket), then the insert of their rows,
then the commit. Printed: the backend's CPU per article for each statement (read from /proc: the
server must be local) and the WAL it wrote (mostly full-page images of the B-tree leaves the
inserts dirty first after a checkpoint).

Layouts: `key` (one row per key, primary key (band, bucket, article_id), an index on article_id, a
foreign key to articles: before migration 0013), `no key` (the same without the foreign key: now),
`no key, COPY` (the same table, rows sent by COPY as storage now sends them), `gin` (one row per
article, its keys in a bigint[] under a GIN index: a probe is `keys && the batch's keys`, with no
per-bucket bound). docs/performance.md, issue 20's sixth session, gives the figures.
"""

from __future__ import annotations

import argparse
import os
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import psycopg

ARTICLES = 50
KEYS = 74
ANCHOR_BAND, BANDS = 64, 42
_TICKS = os.sysconf("SC_CLK_TCK")
_SETUP = (
    "CREATE TABLE wd_key AS SELECT * FROM minhash_bands",
    "ALTER TABLE wd_key ADD PRIMARY KEY (band, bucket, article_id)",
    "CREATE INDEX ON wd_key (article_id)",
    "ALTER TABLE wd_key ADD FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE CASCADE",
    "CREATE TABLE wd_nokey AS SELECT * FROM minhash_bands",
    "ALTER TABLE wd_nokey ADD PRIMARY KEY (band, bucket, article_id)",
    "CREATE INDEX ON wd_nokey (article_id)",
    "CREATE TABLE wd_gin AS SELECT article_id, array_agg((band::bigint << 56) # bucket) AS keys "
    "FROM minhash_bands GROUP BY article_id",
    "ALTER TABLE wd_gin ADD PRIMARY KEY (article_id)",
    "CREATE INDEX ON wd_gin USING gin (keys)",
    "ANALYZE wd_key, wd_nokey, wd_gin",
)
_PROBE = (
    "SELECT k.band, k.bucket, e.article_id "
    "FROM unnest(CAST(%s AS smallint[]), CAST(%s AS bigint[])) AS k(band, bucket) "
    "CROSS JOIN LATERAL (SELECT m.article_id FROM {table} m WHERE m.band = k.band "
    "AND m.bucket = k.bucket ORDER BY m.article_id DESC LIMIT 32) AS e"
)
_INSERT = (
    "INSERT INTO {table} (band, bucket, article_id) "
    "SELECT * FROM unnest(CAST(%s AS smallint[]), CAST(%s AS bigint[]), CAST(%s AS bigint[]))"
)
Rows = list[tuple[int, int, int]]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True, help="PostgreSQL URL (postgresql+psycopg://...)")
    parser.add_argument("--schema", required=True, help="a corpus kept by benchmarks.storage --keep")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with psycopg.connect(args.db.replace("postgresql+psycopg", "postgresql")) as connection:
        connection.execute(f"SET search_path = {args.schema}")
        connection.execute("SET maintenance_work_mem = '512MB'")
        # `keys && 3,700 values` looks unselective to the planner: the GIN index is what is measured.
        connection.execute("SET enable_seqscan = off")
        for statement in _SETUP:
            connection.execute(statement)
        connection.commit()
        try:
            _measure(connection, args.rounds)
        finally:
            connection.rollback()
            connection.execute("DROP TABLE IF EXISTS wd_key, wd_nokey, wd_gin")
            connection.commit()


def _measure(connection: psycopg.Connection, rounds: int) -> None:
    backend = connection.execute("SELECT pg_backend_pid()").fetchone()
    assert backend is not None
    top = connection.execute("SELECT max(id) FROM articles").fetchone()
    assert top is not None
    spent: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    layouts: dict[str, tuple[Callable[..., object], Callable[..., object]]] = {
        "key": (_probe("wd_key"), _insert("wd_key")),
        "no key": (_probe("wd_nokey"), _insert("wd_nokey")),
        "no key, COPY": (_probe("wd_nokey"), _copy),
        "gin": (_probe_gin, _insert_gin),
    }
    for number in range(rounds):
        for name, (probe, insert) in layouts.items():
            # Existing article ids: the key's check finds them, as it finds a batch's own articles.
            rows = [
                (
                    ANCHOR_BAND if key >= BANDS else key,
                    random.getrandbits(62),
                    top[0] - number * ARTICLES - index,
                )
                for index in range(ARTICLES)
                for key in range(KEYS)
            ]
            for step, work in (("probe", probe), ("insert", insert), ("commit", None)):
                before = _cpu(backend[0]), _wal(connection)
                if work is None:
                    connection.commit()
                else:
                    work(connection, rows)
                spent[name, step][0] += _cpu(backend[0]) - before[0]
                spent[name, step][1] += _wal(connection) - before[1]
    print(f"{rounds} rounds of {ARTICLES} articles, {KEYS} keys each; backend CPU ms and WAL kB per article")
    print(f"{'layout':14}{'probe ms':>10}{'insert ms':>11}{'commit ms':>11}{'total ms':>10}{'WAL kB':>9}")
    articles = rounds * ARTICLES
    for name in layouts:
        cpu = [1000 * spent[name, step][0] / articles for step in ("probe", "insert", "commit")]
        wal = sum(spent[name, step][1] for step in ("probe", "insert", "commit")) / articles / 1024
        print(f"{name:14}{cpu[0]:>10.3f}{cpu[1]:>11.3f}{cpu[2]:>11.3f}{sum(cpu):>10.3f}{wal:>9.1f}")


def _probe(table: str) -> Callable[[psycopg.Connection, Rows], object]:
    def probe(connection: psycopg.Connection, rows: Rows) -> object:
        bands, buckets = _array([b for b, _, _ in rows]), _array([k for _, k, _ in rows])
        return connection.execute(_PROBE.format(table=table), (bands, buckets)).fetchall()

    return probe


def _insert(table: str) -> Callable[[psycopg.Connection, Rows], object]:
    def insert(connection: psycopg.Connection, rows: Rows) -> object:
        columns = [_array([row[at] for row in rows]) for at in range(3)]
        return connection.execute(_INSERT.format(table=table), columns)

    return insert


def _copy(connection: psycopg.Connection, rows: Rows) -> None:
    with (
        connection.cursor() as cursor,
        cursor.copy("COPY wd_nokey (band, bucket, article_id) FROM STDIN") as copy,
    ):
        copy.write("".join(f"{band}\t{bucket}\t{article}\n" for band, bucket, article in rows))


def _folded(rows: Rows) -> list[int]:
    """Band and bucket as one bigint key (a GIN index holds one key type; buckets are below 2**62)."""
    return [(band << 56) ^ bucket for band, bucket, _ in rows]


def _probe_gin(connection: psycopg.Connection, rows: Rows) -> object:
    query = "SELECT article_id, keys FROM wd_gin WHERE keys && CAST(%s AS bigint[])"
    return connection.execute(query, (_array(_folded(rows)),)).fetchall()


def _insert_gin(connection: psycopg.Connection, rows: Rows) -> object:
    keys = _folded(rows)
    # New rows of their own (no key to articles here): the stored ones keep their ids.
    articles = [-rows[at][2] for at in range(0, len(rows), KEYS)]
    arrays = ["{" + ",".join(map(str, keys[at : at + KEYS])) + "}" for at in range(0, len(keys), KEYS)]
    return connection.execute(
        "INSERT INTO wd_gin (article_id, keys) SELECT r.a, CAST(r.k AS bigint[]) "
        "FROM unnest(CAST(%s AS bigint[]), CAST(%s AS text[])) AS r(a, k)",
        (_array(articles), arrays),
    )


def _array(values: list[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _wal(connection: psycopg.Connection) -> int:
    row = connection.execute("SELECT pg_current_wal_insert_lsn() - '0/0'").fetchone()
    assert row is not None
    return int(row[0])


if __name__ == "__main__":
    main()
