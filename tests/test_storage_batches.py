"""A batch stores each item as if the ones before it were committed (SQLite and PostgreSQL).

`Corpus.store_many` reads the corpus once per batch and keeps the batch's own writes in memory, so
these cases put what depends on an earlier item into the same batch as that item, and compare with
storing the same items one by one into another corpus.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import PG_URL
from sqlalchemy import Engine, create_engine, func, select, text

from cleaner import CleanArticle
from cleaner.fingerprint import BANDS, band_keys, minhash, minhash_of, shingles, signature_bytes, text_hash
from storage import Corpus, FetchedPage, Outcome, StoreResult, make_engine
from storage import dedup as dedup_module
from storage.models import Article, ArticleUrl, MinhashBand, Page, Revision, Story
from storage.schema import upgrade

T0 = datetime(2024, 12, 5, 12, tzinfo=UTC)
WIRE = (
    "GENEVA (AP) — Negotiators from 40 countries agreed early on Friday on a treaty to share data on "
    "new viruses, after three years of talks that nearly collapsed twice over patents.\n"
    "The treaty obliges signatories to report unusual outbreaks within 72 hours and to share genetic "
    "sequences with a laboratory network run by the World Health Organization.\n"
    "Delegates said the compromise on patents leaves licensing to national law, which several "
    "producers of vaccines had demanded before they would sign."
)
NEAR_COPY = WIRE.replace("early on Friday", "on Friday").replace("nearly collapsed", "almost collapsed")
OTHER = (
    "LIMA, Peru (AP) — Heavy rain set off landslides that cut the main highway to the coast on "
    "Thursday, stranding hundreds of trucks loaded with fruit for export."
)


def item(
    url: str,
    body: str = WIRE,
    minutes: int = 0,
    canonical: str | None = None,
    published: datetime | None = T0,
) -> tuple[FetchedPage, CleanArticle]:
    page = FetchedPage(
        url, url, canonical or url, url.split("/")[2], T0 + timedelta(minutes=minutes), 200, url.encode()
    )
    return page, CleanArticle(text=body, title=url.rsplit("/", 1)[1], published=published)


ITEMS = [
    item("https://wire.example/a/treaty"),
    item("https://wire.example/a/treaty", minutes=1),
    item("https://wire.example/print/treaty", minutes=2),
    item("https://wire.example/a/treaty?utm=x", minutes=3, canonical="https://wire.example/a/treaty"),
    item("https://portal.example/treaty.html", minutes=4),
    item("https://daily.example/news/1", NEAR_COPY, 5, published=T0 - timedelta(hours=1)),
    item("https://wire.example/a/treaty", WIRE + "\nCorrection: 40 countries, not 41.", 6),
    item("https://wire.example/a/treaty", WIRE, 7),
    item("https://wire.example/b/landslide", OTHER, 8),
    item("https://wire.example/print/landslide", OTHER, 9),
]
OUTCOMES = [
    Outcome.NEW,
    Outcome.UNCHANGED,  # fetched again
    Outcome.DUPLICATE,  # the same text under another URL of the site
    Outcome.DUPLICATE,  # a tracking variant of the URL
    Outcome.COPY,  # an exact copy on another site, found by its hash
    Outcome.COPY,  # a near copy, found in the band index
    Outcome.REVISION,  # a correction
    Outcome.REVISION,  # and back to the first text
    Outcome.NEW,
    Outcome.DUPLICATE,
]


@pytest.fixture
def second_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty corpus on the same backend."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'one-by-one.db'}"
        return
    schema = f"wd_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def corpus(url: str) -> Corpus:
    engine = make_engine(url)
    upgrade(engine)
    return Corpus(engine)


def state(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row the store path writes, without the raw bodies and texts."""
    queries = {
        "articles": select(
            Article.id, Article.url, Article.story_id, Article.title, Article.text_hash
        ).add_columns(Article.revision_count, Article.published_at, Article.last_fetched_at),
        "stories": select(Story.id, Story.title, Story.first_published_at, Story.representative_article_id),
        "urls": select(ArticleUrl.url, ArticleUrl.article_id, ArticleUrl.first_seen_at),
        "pages": select(Page.id, Page.url, Page.article_id, Page.outcome, Page.fetched_at),
        "revisions": select(Revision.article_id, Revision.number, Revision.text_hash, Revision.page_id),
        "bands": select(MinhashBand.article_id, func.count()).group_by(MinhashBand.article_id),
    }
    with engine.connect() as connection:
        return {
            table: sorted(tuple(row) for row in connection.execute(query)) for table, query in queries.items()
        }


def numbered(engine: Engine, results: list[StoreResult]) -> tuple[list[StoreResult], dict[str, list[Any]]]:
    """The results and rows with each story id replaced by its rank: on PostgreSQL a batch takes
    story ids for its new articles beforehand, and those that join a stored story leave gaps."""
    with engine.connect() as connection:
        rank = {
            story: n
            for n, story in enumerate(connection.execute(select(Story.id).order_by(Story.id)).scalars())
        }
    rows = state(engine)
    rows["articles"] = [(*row[:2], rank[row[2]], *row[3:]) for row in rows["articles"]]
    rows["stories"] = [(rank[row[0]], *row[1:]) for row in rows["stories"]]
    return [replace(result, story_id=rank[result.story_id]) for result in results], rows


def test_a_batch_stores_what_storing_one_by_one_stores(db_url: str, second_url: str) -> None:
    batched, one_by_one = corpus(db_url), corpus(second_url)
    results = batched.store_many(ITEMS)
    singly = [one_by_one.store(page, article) for page, article in ITEMS]
    assert [result.outcome for result in results] == OUTCOMES
    assert numbered(batched.engine, results) == numbered(one_by_one.engine, singly)
    for store in (batched, one_by_one):
        store.engine.dispose()


def test_a_batch_keeps_its_own_revisions_and_story(db_url: str) -> None:
    store = corpus(db_url)
    results = store.store_many(ITEMS)
    wire, near = results[0], results[5]
    assert len({result.story_id for result in results[:8]}) == 1
    rows = state(store.engine)
    assert [number for article_id, number, _, _ in rows["revisions"] if article_id == wire.article_id] == [
        1,
        2,
        3,
    ]
    assert [outcome for _, _, article_id, outcome, _ in rows["pages"] if article_id == wire.article_id] == [
        "new",
        "revision",
        "revision",
    ]
    # The near copy was published an hour before the wire story: it represents the story.
    assert (wire.story_id, "1", T0 - timedelta(hours=1), near.article_id) in rows["stories"]
    store.engine.dispose()


def test_urls_of_two_articles_lead_to_the_canonical_ones(db_url: str) -> None:
    store = corpus(db_url)
    first = store.store(*item("https://wire.example/a/treaty"))
    second = store.store(*item("https://wire.example/b/landslide", OTHER))
    moved = item("https://wire.example/a/treaty", OTHER, 5, canonical="https://wire.example/b/landslide")
    result = store.store(*moved)
    assert (result.outcome, result.article_id) == (Outcome.UNCHANGED, second.article_id)
    assert first.article_id != second.article_id
    store.engine.dispose()


def test_pages_stored_again_need_no_minhash(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = corpus(db_url)
    store.store_many(ITEMS[:1])

    def no_minhash(shingled: set[str]) -> object:
        raise AssertionError("a MinHash signature was computed for a text already stored")

    monkeypatch.setattr(dedup_module, "minhash_of", no_minhash)
    outcomes = [result.outcome for result in store.store_many(ITEMS[1:4])]
    assert outcomes == [Outcome.UNCHANGED, Outcome.DUPLICATE, Outcome.DUPLICATE]
    store.engine.dispose()


def test_an_exact_copy_takes_the_stored_signature(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wire story on a new site is linked and indexed with the signature already stored for its
    text (from the corpus, or from the batch's first copy): MinHash runs once per distinct text."""
    store = corpus(db_url)
    store.store_many(ITEMS[:1])
    texts: list[set[str]] = []

    def counted(shingled: set[str]) -> object:
        texts.append(shingled)
        return minhash_of(shingled)

    monkeypatch.setattr(dedup_module, "minhash_of", counted)
    copies = [item(f"https://site{number}.example/treaty") for number in range(3)]
    results = store.store_many([*copies, item("https://site9.example/landslide", OTHER)])
    assert [result.outcome for result in results] == [Outcome.COPY] * 3 + [Outcome.NEW]
    assert texts == [shingles(OTHER)]
    assert len({result.story_id for result in results[:3]}) == 1
    with store.engine.connect() as connection:
        signatures = connection.execute(select(Article.minhash).where(Article.text_hash == text_hash(WIRE)))
        assert set(signatures.scalars()) == {signature_bytes(minhash(WIRE))}
        buckets = connection.execute(
            select(MinhashBand.article_id, func.count())
            .where(MinhashBand.bucket.in_(band_keys(minhash(WIRE))))
            .group_by(MinhashBand.article_id)
        )
        assert sorted(count for _, count in buckets) == [BANDS] * 4
    store.engine.dispose()


def test_the_site_memory_learns_a_batch_as_it_learns_each_sighting(db_url: str, second_url: str) -> None:
    """One key on five stories of a batch (past `FURNITURE_STORIES`), seen last on the fourth, on a
    line already seen on one of them: the batch's few statements write what one sighting at a time,
    in story order, writes (the set of stories, when it became furniture, when it was last seen)."""
    from storage import sitememory
    from storage.models import SiteLine

    def seen(story: int, minutes: int, keys: frozenset[str]) -> sitememory.Sighting:
        return sitememory.Sighting("example.com", story, keys, T0 + timedelta(minutes=minutes))

    earlier = [seen(7, 0, frozenset({"line a", "line b"}))]
    batch = [seen(story, minutes, frozenset({"line a", "line c"})) for story, minutes in ((9, 5), (3, 1))]
    batch += [seen(5, 2, frozenset({"line a"})), seen(8, 9, frozenset({"line a"})), seen(7, 4, frozenset())]
    batch += [seen(6, 3, frozenset({"line a", "line b"}))]

    def story(sighting: sitememory.Sighting) -> int:
        return sighting.story_id

    engines = [corpus(url).engine for url in (db_url, second_url)]
    for engine, groups in zip(
        engines, ([earlier, batch], [earlier, *([one] for one in sorted(batch, key=story))]), strict=True
    ):
        for group in groups:
            with engine.begin() as connection:
                sitememory.learn(connection, group)
    lines = select(SiteLine.key, SiteLine.story_ids, SiteLine.stories, SiteLine.furniture_at)
    rows = []
    for engine in engines:
        with engine.connect() as connection:
            rows.append(sorted(connection.execute(lines.add_columns(SiteLine.last_seen_at))))
        engine.dispose()
    assert rows[0] == rows[1]
    assert [row[:3] for row in rows[0]] == [
        ("line a", "7,3,5", 3),
        ("line b", "7,6", 2),
        ("line c", "3,9", 2),
    ]
    assert rows[0][0][3:] == (T0 + timedelta(minutes=2), T0 + timedelta(minutes=9))
