"""The cost of finding a text's copies as the corpus grows: the candidate lookup at 10k and 100k articles.

    python -m benchmarks.dedup --scale [--fill 10000,100000] [--sample 1000] [--db sqlite,URL]

Each backend (--db sqlite,postgresql://...) gets one fresh database per size, all filled from the
same texts: the originals of generated stories (crawler/newsroom/syndication.py, 8 stories per
topic: same names, same background paragraphs), fingerprinted once and written straight into
`stories`, `articles` and `minhash_bands` (their LSH bands and containment anchors, as
`Corpus.store_many` writes them), many times faster than storing them batch by batch, for the same
index. The probes are syndicated copies of the first stories, whose originals every database holds:
each is looked up as a store batch does it (`NearIndex` built for 50 texts at once, then
`find_links` per text: the band and anchor probes, the candidates read and verified), nothing
written, in RUNS rounds over every database in turn (the best run of each counts), so the ratios see
the same machine load. Then other copies of those stories are stored through `Corpus.store_many`,
one batch into each database in turn: the lookup plus the inserts.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing import Pool

from sqlalchemy import Engine, insert

from benchmarks.dedup_scoring import BATCH, fresh_database, text_item
from cleaner.fingerprint import signature_bytes
from crawler.newsroom.syndication import Copy, corpus
from storage import Corpus, make_engine
from storage.bandindex import BandRows, probe, read_candidates, write_bands
from storage.dedup import PER_BAND, Fingerprint, NearIndex
from storage.models import Article, Story
from storage.schema import upgrade

FILL_CHUNK = 5000
"""Stories generated (and articles written) per chunk of the fill: bounds the memory it takes."""
RUNS = 3
"""Lookup runs per size; the best counts (the machine is shared, so slower runs are its noise)."""


@dataclass(frozen=True)
class Probe:
    """A text to look up, with what `find_links` needs and its index keys computed beforehand."""

    fingerprint: Fingerprint
    published: datetime
    site: str

    @classmethod
    def of(cls, copy: Copy) -> Probe:
        fingerprint = Fingerprint.of(copy.text)
        fingerprint.index_keys  # noqa: B018 - the signature, shingles and anchors, outside the timing
        return cls(fingerprint, copy.published, copy.site)


@dataclass(frozen=True)
class Measured:
    """One corpus size's figures."""

    size: int
    lookup_ms: float
    lookup_first_ms: float
    store_ms: float
    entries: float
    candidates: float


def scale(dbs: list[str], sizes: list[int], sample: int) -> dict[str, list[Measured]]:
    """One fresh database per backend and size, filled from the same texts (fingerprinted once), then
    measured side by side in rounds (each database in turn), so the ratios see the same machine load."""
    figures: dict[str, list[Measured]] = {}
    with ExitStack() as stack:
        engines = {(db, size): _fresh_engine(stack, db) for db in dbs for size in sizes}
        started = time.perf_counter()
        copies = fill(engines, max(sizes))
        print(
            f"filled to {', '.join(f'{size:,}' for size in sizes)} articles in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        probes = [Probe.of(copy) for copy in copies[:sample]]
        lookups: dict[tuple[str, int], list[float]] = {key: [] for key in engines}
        for _ in range(RUNS):
            for key, engine in engines.items():
                lookups[key].append(lookup_ms(engine, probes))
        stores = store_ms(engines, copies[sample : 2 * sample])
        for (db, size), engine in engines.items():
            entries, candidates = index_depth(engine, probes)
            runs = lookups[(db, size)]
            figures.setdefault(db, []).append(
                Measured(size, min(runs), runs[0], stores[(db, size)], entries, candidates)
            )
    return figures


def _fresh_engine(stack: ExitStack, db: str) -> Engine:
    engine = make_engine(stack.enter_context(fresh_database(db)))
    stack.callback(engine.dispose)
    upgrade(engine)
    return engine


def print_scale(measured: dict[str, list[Measured]]) -> None:
    for db, figures in measured.items():
        _print_one(db.split("://")[0].split("+")[0], figures)


def _print_one(backend: str, figures: list[Measured]) -> None:
    print(f"{backend}:")
    print(
        f"{'stored':>10}{'lookup ms/text':>16}{'(first run)':>13}{'store ms/article':>18}"
        f"{'entries/text':>14}{'candidates/text':>17}"
    )
    for row in figures:
        print(
            f"{row.size:>10,}{row.lookup_ms:>16.2f}{row.lookup_first_ms:>13.2f}{row.store_ms:>18.2f}"
            f"{row.entries:>14.0f}{row.candidates:>17.0f}"
        )
    first, last = figures[0], figures[-1]
    print(
        f"ratio {last.size:,} / {first.size:,}: lookup {last.lookup_ms / first.lookup_ms:.2f}, "
        f"store {last.store_ms / first.store_ms:.2f}"
    )


def fill(engines: dict[tuple[str, int], Engine], size: int) -> list[Copy]:
    """Write originals of generated stories into each database until it holds its size; the first
    chunk's syndicated copies (their originals are in every database) are returned as probes."""
    probes: list[Copy] = []
    with Pool(2) as pool:
        for start in range(0, size, FILL_CHUNK):
            copies = corpus(min(FILL_CHUNK, size - start), seed=1000 + start)
            originals = [_renamed(copy, f"fill{start}") for copy in copies if copy.url.count("/") == 3]
            probes = probes or [copy for copy in copies if copy.url.count("/") != 3]
            rows = pool.map(_indexed, [copy.text for copy in originals], chunksize=50)
            for (_, target), engine in engines.items():
                if start < target:
                    _write(engine, originals[: target - start], rows)
    return probes


def _renamed(copy: Copy, prefix: str) -> Copy:
    """The copy under a URL of its own (the generator's URLs repeat from one chunk to the next)."""
    return replace(copy, url=copy.url.replace("https://", f"https://{prefix}."))


def _indexed(body: str) -> tuple[str, bytes, list[tuple[int, int]]]:
    """What the index needs of a text: its hash, its signature and its (band, bucket) keys."""
    fingerprint = Fingerprint.of(body)
    return fingerprint.text_hash, signature_bytes(fingerprint.signature), fingerprint.index_keys


def _write(engine: Engine, chunk: list[Copy], rows: list[tuple[str, bytes, list[tuple[int, int]]]]) -> None:
    now = datetime.now(UTC)
    with engine.begin() as connection:
        stories = connection.execute(
            insert(Story).returning(Story.id, sort_by_parameter_order=True),
            [{"title": c.headline, "first_seen_at": now, "first_published_at": c.published} for c in chunk],
        ).scalars()
        articles = connection.execute(
            insert(Article).returning(Article.id, sort_by_parameter_order=True),
            [
                {
                    "url": copy.url,
                    "source": copy.site,
                    "site": copy.site,
                    "story_id": story_id,
                    "title": copy.headline,
                    "published_at": copy.published,
                    "text": copy.text,
                    "text_hash": digest,
                    "minhash": signature,
                    "http_status": 200,
                    "first_fetched_at": now,
                    "last_fetched_at": now,
                }
                for copy, story_id, (digest, signature, _) in zip(chunk, stories, rows, strict=False)
            ],
        ).scalars()
        bands = BandRows()
        for article_id, (_, _, keys) in zip(articles, rows, strict=False):
            bands.add(article_id, keys)
        write_bands(connection, [], bands)


def lookup_ms(engine: Engine, probes: list[Probe]) -> float:
    """Milliseconds per text to find the links of the probes, in store batches, writing nothing."""
    with engine.connect() as connection:
        started = time.perf_counter()
        for start in range(0, len(probes), BATCH):
            batch = probes[start : start + BATCH]
            near = NearIndex(connection, [p.fingerprint for p in batch], 0)
            for p in batch:
                near.find_links(p.fingerprint, p.published, _same_story, site=p.site)
        elapsed = time.perf_counter() - started
        connection.rollback()
    return elapsed / len(probes) * 1000


def index_depth(engine: Engine, probes: list[Probe]) -> tuple[float, float]:
    """Index entries a probe reads per text, and stored candidates (signatures) it reads per text."""
    entries = candidates = 0
    with engine.connect() as connection:
        for start in range(0, len(probes), BATCH):
            batch = probes[start : start + BATCH]
            keys = sorted({key for p in batch for key in p.fingerprint.index_keys})
            found = probe(connection, keys, PER_BAND)
            entries += sum(len(ids) for ids in found.values())
            candidates += len(read_candidates(connection, {a for ids in found.values() for a in ids}))
        connection.rollback()
    return entries / len(probes), candidates / len(probes)


def store_ms(engines: dict[tuple[str, int], Engine], copies: list[Copy]) -> dict[tuple[str, int], float]:
    """Milliseconds per article to store the copies through `Corpus.store_many` into each database,
    one batch into each in turn."""
    items = [text_item(c.url, c.site, c.text, c.headline, c.published) for c in copies]
    corpora = {key: Corpus(engine) for key, engine in engines.items()}
    spent = dict.fromkeys(engines, 0.0)
    for start in range(0, len(items), BATCH):
        for key, corpus_ in corpora.items():
            started = time.perf_counter()
            corpus_.store_many(items[start : start + BATCH])
            spent[key] += time.perf_counter() - started
    return {key: seconds / len(items) * 1000 for key, seconds in spent.items()}


def _same_story(story_id: int) -> int:
    return story_id
