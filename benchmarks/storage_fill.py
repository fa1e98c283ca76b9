"""Filling a PostgreSQL corpus to a size fast, for `benchmarks.storage`: generated in the server.

Storing 1,000,000 articles through `Corpus.store_many` (or COPY of rows made in Python, which
MinHashes every text) takes hours on this machine; the benchmark measures storing *at* a size, so
the rows under it only have to be what a corpus of that size holds, in number and in shape. Here
the server makes them with `generate_series` (900,000 in 41 minutes at load 20 on this 2-core
machine, most of it building the indexes again):

- per article its story, its URL row, its revision (the same text), a raw page row (its body a
  few bytes: the table is never read when storing, but its two indexes grow with the corpus), and
  its 74 band index rows (42 LSH bands and 32 containment anchors) with random 63-bit buckets:
  unrelated real texts share almost no bucket, so random keys give the index its real size and
  spread without making stored texts candidates of new ones;
- texts of 5 to 8 paragraphs of 40 words drawn log-uniformly from 20,000 (about as long as the
  benchmark's varied texts, so the full-text index and the table grow as theirs do), a 64-hex text
  hash, a 512-byte signature.

The band index's indexes (and its foreign key, before migration 0013) and the articles' secondary
indexes are dropped for the fill and built again after it (the way a bulk load is done: building a
B-tree of 74 million rows sorts once, inserting them one by one walks it 74 million times). Site
memory is not filled (it is bounded per site); the caller stores the fill's last articles through
`store_many` for it.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, text

from cleaner import CleanArticle
from crawler.newsroom.bulk import bulk_article, bulk_story
from storage import FetchedPage, make_engine
from storage.dedup import Fingerprint, stored_signature

CHUNK = 50_000
"""Articles per generating transaction."""
ANCHOR_BAND, BANDS, ANCHORS = 64, 42, 32
_TABLES = ("articles", "minhash_bands")
# Indexes kept during the fill: those behind a primary key or unique constraint of `articles`
# (others' foreign keys and the URL's uniqueness need them).
_KEEP = ("articles_pkey", "articles_url_key")


def sql_fill(engine: Engine, first: int, count: int) -> None:
    """Articles numbered first .. first+count-1 (URLs https://bench.example/story/N), made in SQL."""
    with engine.begin() as connection:
        rebuild = _drop_indexes(connection)
    try:
        for start in range(first, first + count, CHUNK):
            with engine.begin() as connection:
                _generate(connection, start, min(start + CHUNK, first + count) - 1)
    finally:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            for statement in rebuild:
                connection.execute(text(statement))


def _drop_indexes(connection: Connection) -> list[str]:
    """Drop the fill's costly indexes and constraints; returns the statements that rebuild them."""
    rebuild: list[str] = []
    constraints = connection.execute(
        text(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.conrelid = 'minhash_bands'::regclass ORDER BY c.contype DESC"
        )
    ).all()
    for table, name, definition in constraints:
        connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    indexes = connection.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = ANY(:tables) AND NOT indexname = ANY(:keep)"
        ),
        {"tables": list(_TABLES), "keep": list(_KEEP)},
    ).all()
    for name, definition in indexes:
        connection.execute(text(f'DROP INDEX "{name}"'))
        rebuild.append(definition)
    # Primary key first, foreign key last (it is checked against the whole table when added).
    return sorted(rebuild, key=lambda statement: "FOREIGN KEY" in statement)


def _generate(connection: Connection, low: int, high: int) -> None:
    """Articles low..high (numbers) with ids from the sequences, and every row that goes with them."""
    count = high - low + 1
    bases = {table: reserve_ids(connection, table, count) - low for table in ("stories", "articles", "pages")}
    values = {"low": low, "high": high, **{f"{table}_base": base for table, base in bases.items()}}
    for statement in _STATEMENTS:
        connection.execute(text(statement), values)


def reserve_ids(connection: Connection, table: str, count: int) -> int:
    """Take `count` ids of the table's sequence at once; returns the first."""
    sequence = f"pg_get_serial_sequence('{table}', 'id')"
    reserve = f"SELECT setval({sequence}, nextval({sequence}) + :count - 1) - :count + 1"
    return int(connection.execute(text(reserve), {"count": count}).scalar_one())


_AT = "(TIMESTAMPTZ '2024-01-01 00:00+00' + g * INTERVAL '1 minute')"
_WORDS = (
    "(SELECT string_agg('w' || floor(exp(random() * ln(20000)))::int "
    "|| CASE WHEN w % 40 = 39 THEN E'.\\n' ELSE ' ' END, '') "
    "FROM generate_series(g - g, 199 + (g % 4) * 40) AS w)"
)
_CHUNK_IDS = "FROM articles WHERE id BETWEEN :articles_base + :low AND :articles_base + :high"
_STATEMENTS = (
    "INSERT INTO stories (id, title, first_seen_at, first_published_at) "
    f"SELECT :stories_base + g, 'Headline ' || g, {_AT}, {_AT} - (g % 60) * INTERVAL '1 minute' "
    "FROM generate_series(CAST(:low AS bigint), :high) AS g",
    "INSERT INTO articles (id, url, source, site, story_id, title, authors, published_at, language, "
    "text, text_hash, minhash, revision_count, http_status, first_fetched_at, last_fetched_at) "
    "SELECT :articles_base + g, 'https://bench.example/story/' || g, 'bench', 'bench.example', "
    f":stories_base + g, 'Headline ' || g, '[\"Jane Doe\"]', {_AT} - (g % 60) * INTERVAL '1 minute', "
    f"'en', body, encode(sha256(convert_to(body, 'UTF8')), 'hex'), "
    f"decode(repeat(md5(g::text), 32), 'hex'), 1, 200, {_AT}, {_AT} "
    f"FROM generate_series(CAST(:low AS bigint), :high) AS g, LATERAL (SELECT {_WORDS} AS body) AS t",
    "INSERT INTO article_urls (url, article_id, first_seen_at) "
    f"SELECT url, id, first_fetched_at {_CHUNK_IDS}",
    "INSERT INTO pages (id, url, final_url, source, fetched_at, http_status, content_type, body_zlib, "
    "article_id, outcome) SELECT id - :articles_base + :pages_base, url, url, source, first_fetched_at, 200, "
    "'text/html', '\\x789c030000000001', id, 'new' " + _CHUNK_IDS,
    "INSERT INTO revisions (article_id, number, fetched_at, title, text, text_hash, page_id, cause) "
    "SELECT id, 1, first_fetched_at, title, text, text_hash, id - :articles_base + :pages_base, "
    "'fetch' " + _CHUNK_IDS,
    "INSERT INTO minhash_bands (band, bucket, article_id) "
    f"SELECT CAST(CASE WHEN k < {BANDS} THEN k ELSE {ANCHOR_BAND} END AS smallint), "
    f"CASE WHEN k < {BANDS} THEN floor(random() * 9.2e18)::bigint ELSE floor(random() * 1.1e18)::bigint END, "
    "a.id FROM generate_series(CAST(:articles_base AS bigint) + :low, :articles_base + :high) AS a(id), "
    f"generate_series(0, {BANDS + ANCHORS - 1}) AS k",
)


def bench_article(number: int, copies: float, varied: bool = False) -> tuple[FetchedPage, CleanArticle]:
    """Article `number`, or, for a share `copies` of the numbers, a near copy of `number - 1` on
    another site (one paragraph of the original dropped, another line added)."""
    is_copy = copies > 0 and number > 0 and number % round(1 / copies) == 0
    story = bulk_story(number - 1 if is_copy else number)
    paragraphs = varied_paragraphs(number - 1 if is_copy else number) if varied else list(story.paragraphs)
    site = "bench.example"
    if is_copy:
        paragraphs = [*paragraphs[:-1], f"Reporting by the copy desk of site {number % 7}."]
        site = f"copy{number % 7}.example"
    url = f"https://{site}/story/{number}"
    at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=number)
    page = FetchedPage(url, url, url, "bench", at, 200, bulk_article(number, url, None))
    article = CleanArticle(
        text="\n".join(paragraphs),
        title=story.headline,
        authors=["Jane Doe"],
        published=at - timedelta(minutes=number % 60),
        language="en",
    )
    return page, article


_WORDS = [f"w{rank}" for rank in range(1, 20001)]
_ZIPF = [1 / rank for rank in range(1, 20001)]


def varied_paragraphs(number: int) -> list[str]:
    """Five to eight paragraphs of words drawn as in prose (Zipf's law over 20,000 words): unrelated
    texts share few shingles, so few LSH buckets, as real articles do (the bulk stories' small
    vocabulary makes every text share buckets with many others)."""
    rng = random.Random(number)
    return [" ".join(rng.choices(_WORDS, _ZIPF, k=40)) + "." for _ in range(rng.randint(5, 8))]


def bulk_write(
    url: str, first: int, start: int, end: int, step: int, bases: list[int], varied: bool
) -> float:
    """One loader: its numbers in transactions of 1,000 articles; its CPU in seconds."""
    engine = make_engine(url)
    cpu_before = time.process_time()
    numbers = list(range(start, end, step))
    connection = engine.raw_connection()
    try:
        driver = connection.driver_connection
        for at in range(0, len(numbers), 1000):
            rows = _bulk_rows(
                [(number, *(base + number - first for base in bases)) for number in numbers[at : at + 1000]],
                varied,
            )
            with driver.transaction(), driver.cursor() as cursor:
                for table, columns in _BULK_COLUMNS.items():
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows[table]:
                            copy.write_row(row)
    finally:
        connection.close()
        engine.dispose()
    return time.process_time() - cpu_before


_BULK_COLUMNS = {
    "stories": ("id", "title", "first_seen_at", "first_published_at"),
    "articles": (
        "id",
        "url",
        "source",
        "site",
        "story_id",
        "title",
        "authors",
        "published_at",
        "language",
        "text",
        "text_hash",
        "minhash",
        "revision_count",
        "http_status",
        "first_fetched_at",
        "last_fetched_at",
    ),
    "article_urls": ("url", "article_id", "first_seen_at"),
    "revisions": ("article_id", "number", "fetched_at", "title", "text", "text_hash", "cause"),
    "minhash_bands": ("band", "bucket", "article_id"),
}


def _bulk_rows(numbered: list[tuple[int, int, int]], varied: bool) -> dict[str, list[tuple[object, ...]]]:
    """The rows of these articles (number, article id, story id), table by table."""
    rows: dict[str, list[tuple[object, ...]]] = {table: [] for table in _BULK_COLUMNS}
    for number, article_id, story_id in numbered:
        page, article = bench_article(number, 0, varied)
        fingerprint = Fingerprint.of(article.text)
        at, title = page.fetched_at, article.title
        rows["stories"].append((story_id, title, at, article.published))
        rows["articles"].append(
            (
                article_id,
                page.url,
                page.source,
                "bench.example",
                story_id,
                title,
                json.dumps(list(article.authors)),
                article.published,
                article.language,
                article.text,
                fingerprint.text_hash,
                stored_signature(fingerprint),
                1,
                200,
                at,
                at,
            )
        )
        rows["article_urls"].append((page.url, article_id, at))
        rows["revisions"].append((article_id, 1, at, title, article.text, fingerprint.text_hash, "fetch"))
        rows["minhash_bands"] += [(band, bucket, article_id) for band, bucket in enumerate(fingerprint.bands)]
    return rows
