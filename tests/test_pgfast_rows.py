"""Rows written the cheaper ways of issue 20's eighth session read back as the plain ways wrote them:
band rows by binary COPY (PostgreSQL) or the driver's executemany (SQLite), SQLite's executemany
binding values as SQLAlchemy does, and SQLite's one-statement band probe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select, text

from storage.bandindex import BandRows, probe, write_bands
from storage.copyrows import execute_many
from storage.models import MinhashBand, Revision, SiteLine
from storage.sitememory import _upsert

T0 = datetime(2024, 5, 6, 9, 30, 15, 123456, tzinfo=UTC)
LARGEST = (1 << 63) - 1
"""The largest bucket a 63-bit key can be (band keys and anchors are halved 64-bit hashes)."""


def test_band_rows_read_back_as_written(engine: Engine) -> None:
    rows = BandRows()
    rows.add(7, [(0, LARGEST), (41, 0), (64, 12345678901234567)])
    rows.add(8, [(3, 99), (64, LARGEST - 1)])
    rows.add(9, [])
    with engine.begin() as connection:
        write_bands(connection, [], rows)
    with engine.connect() as connection:
        stored = set(connection.execute(select(MinhashBand.band, MinhashBand.bucket, MinhashBand.article_id)))
    assert stored == {
        (0, LARGEST, 7),
        (41, 0, 7),
        (64, 12345678901234567, 7),
        (3, 99, 8),
        (64, LARGEST - 1, 8),
    }


def test_sqlite_executemany_binds_as_sqlalchemy_does(sqlite_url: str) -> None:
    """Times in SQLite's stored form (compared as text by the site memory's age-out), a column's
    fixed default filled in, the statement's own fixed values bound."""
    from storage import make_engine
    from storage.schema import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    lines = [
        {"site": "a.example", "key": f"line {n}", "story_ids": str(n), "stories": 1, "last_seen_at": T0}
        for n in range(3)
    ]
    revision = {"article_id": 1, "number": 1, "fetched_at": T0, "title": "T", "text": "x", "text_hash": "h"}
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")  # revisions of no article: their binds only
        connection.commit()
        execute_many(connection, _upsert("sqlite"), lines[:2])
        connection.execute(_upsert("sqlite"), lines[2:])
        execute_many(connection, insert(Revision), [{**revision, "page_id": 1}])
        connection.execute(insert(Revision), [{**revision, "number": 2, "page_id": 2}])
        upserted_again = {**lines[0], "story_ids": "9", "last_seen_at": T0 + timedelta(seconds=1)}
        execute_many(connection, _upsert("sqlite"), [upserted_again])
        connection.commit()
    with engine.connect() as connection:
        raw_times = connection.execute(text("SELECT key, last_seen_at FROM site_lines ORDER BY key")).all()
        causes = connection.execute(text("SELECT cause, fetched_at FROM revisions ORDER BY number")).all()
        first = connection.execute(
            select(SiteLine.story_ids, SiteLine.stories, SiteLine.last_seen_at).where(
                SiteLine.key == "line 0"
            )
        ).one()
    assert raw_times[1][1] == raw_times[2][1]  # the same time, bound both ways, stored alike
    assert causes[0] == causes[1] and causes[0][0] == "fetch"
    assert tuple(first) == ("0,9", 2, T0 + timedelta(seconds=1))
    engine.dispose()


def test_the_sqlite_probe_reads_each_buckets_newest_entries_newest_first(sqlite_url: str) -> None:
    from storage import make_engine
    from storage.schema import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    rows = BandRows()
    for article_id in range(1, 41):
        rows.add(article_id, [(5, 1000)] + ([(64, LARGEST)] if article_id % 2 else []))
    with engine.begin() as connection:
        write_bands(connection, [], rows)
        found = probe(connection, [(5, 1000), (64, LARGEST), (6, 1000)], 32)
    assert found == {(5, 1000): list(range(40, 8, -1)), (64, LARGEST): list(range(39, 0, -2))}
    engine.dispose()
