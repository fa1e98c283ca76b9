"""Stories are groups of linked copies: a text linked to two stories merges them, whatever the order."""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import PG_URL
from sqlalchemy import Engine, create_engine, func, insert, select, text

from cleaner import CleanArticle
from cleaner.fingerprint import band_keys, minhash, shingles, signature_bytes, text_hash
from crawler.newsroom.syndication import Copy, corpus
from storage import Corpus, FetchedPage, Outcome, make_engine
from storage.containment import ANCHOR_BAND, anchors
from storage.export import export_articles
from storage.models import Article, MinhashBand, Story, StoryMerge
from storage.schema import upgrade

T0 = datetime(2024, 3, 4, 8, tzinfo=UTC)
# Ten paragraphs of one story; the first six and the last six share only two, so two sites carrying
# those two excerpts are not copies of each other, but both are copies of the whole.
STORY = [
    f"Paragraph {n} of the harbour story: the port authority of Valletta said on Monday that the "
    f"{word} berth would stay closed while divers checked the damage left by the storm in week {n}."
    for n, word in enumerate(
        ("north", "south", "east", "west", "inner", "outer", "grain", "ferry", "cruise", "fuel"), start=1
    )
]


def page(url: str, fetched: datetime) -> FetchedPage:
    return FetchedPage(url, url, url, "test", fetched, 200, b"<html/>")


def store(engine: Engine, url: str, paragraphs: list[str], published: datetime, title: str = "T") -> int:
    result = Corpus(engine).store(
        page(url, published + timedelta(minutes=5)),
        CleanArticle(text="\n".join(paragraphs), title=title, published=published),
    )
    return result.story_id


def story_of(engine: Engine, url: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(Article.story_id).where(Article.url == url))


def test_a_text_linked_to_two_stories_merges_them(engine: Engine, db_url: str, tmp_path: Path) -> None:
    first = store(engine, "https://a.example/1", STORY[:6], T0 + timedelta(hours=1), "Excerpt A")
    second = store(engine, "https://b.example/1", STORY[4:], T0 + timedelta(hours=2), "Excerpt B")
    assert first != second
    merged = store(engine, "https://wire.example/1", STORY, T0, "The original")
    assert merged == min(first, second)
    with engine.connect() as connection:
        stories = {row.id: row for row in connection.execute(select(Story))}
        record = connection.execute(select(StoryMerge)).one()
        copies = connection.execute(
            text("SELECT story_id, site, is_representative FROM story_copies ORDER BY copy_number")
        ).all()
        sites = connection.execute(text("SELECT story_id, copies, sites FROM story_sites")).all()
    survivor, gone = stories[merged], stories[max(first, second)]
    assert (gone.merged_into, gone.representative_article_id) == (merged, None)
    assert survivor.merged_into is None
    assert (survivor.title, survivor.first_published_at) == ("The original", T0)
    assert (record.story_id, record.into_story_id, record.cause) == (gone.id, merged, "copy")
    assert record.article_id == survivor.representative_article_id
    assert 0.3 < record.similarity < 0.9 and record.merged_at is not None
    assert {story for story, _, _ in copies} == {merged} and sum(rep for *_, rep in copies) == 1
    assert sites == [(merged, 3, 3)]
    export_articles(db_url, "jsonl", tmp_path / "corpus.jsonl")
    exported = [json.loads(line) for line in (tmp_path / "corpus.jsonl").read_text().splitlines()]
    assert {row["story_id"] for row in exported} == {merged}


def test_a_revision_linking_another_story_merges_them(engine: Engine) -> None:
    first = store(engine, "https://a.example/1", STORY[:4], T0)
    second = store(engine, "https://b.example/1", STORY[4:], T0 + timedelta(hours=1))
    assert first != second
    outcome = Corpus(engine).store(
        page("https://a.example/1", T0 + timedelta(hours=2)),
        CleanArticle(text="\n".join(STORY), title="T", published=T0),
    )
    assert outcome.outcome is Outcome.REVISION and outcome.story_id == first
    assert story_of(engine, "https://b.example/1") == first
    with engine.connect() as connection:
        assert connection.execute(select(StoryMerge.cause, StoryMerge.story_id)).one() == ("revision", second)


def test_stories_merged_twice_point_at_the_last_survivor(engine: Engine) -> None:
    left = store(engine, "https://a.example/1", STORY[:4], T0)
    middle = store(engine, "https://b.example/1", STORY[3:7], T0)
    right = store(engine, "https://c.example/1", STORY[6:], T0)
    assert len({left, middle, right}) == 3
    store(engine, "https://d.example/1", STORY[4:], T0)  # like middle and right: merges right into middle
    store(engine, "https://e.example/1", STORY[:7], T0)  # like left and middle: merges middle into left
    with engine.connect() as connection:
        pointers = dict(connection.execute(select(Story.id, Story.merged_into)).all())
        merges = connection.scalar(select(func.count()).select_from(StoryMerge))
    assert pointers == {left: None, middle: left, right: left}
    assert merges == 2


def test_similar_texts_far_apart_in_time_stay_apart_unless_nearly_identical(engine: Engine) -> None:
    day_one = store(engine, "https://a.example/1", STORY[:7], T0)
    next_day = store(engine, "https://b.example/1", STORY[2:], T0 + timedelta(days=1))
    republished = store(engine, "https://c.example/1", STORY[:7], T0 + timedelta(days=3))
    assert next_day != day_one
    assert republished == day_one


def partition(engine: Engine, copies: list[Copy]) -> frozenset[frozenset[str]]:
    with engine.connect() as connection:
        assigned = dict(connection.execute(select(Article.url, Article.story_id)).all())
    groups: dict[int, set[str]] = defaultdict(set)
    for copy in copies:
        groups[assigned[copy.url]].add(copy.url)
    return frozenset(frozenset(group) for group in groups.values())


def store_copies(engine: Engine, copies: list[Copy], batch: int = 20) -> None:
    items = [
        (page(copy.url, copy.published), CleanArticle(copy.text, copy.headline, published=copy.published))
        for copy in copies
    ]
    corpus_ = Corpus(engine)
    for start in range(0, len(items), batch):
        corpus_.store_many(items[start : start + batch])


@pytest.fixture
def fresh_engines(db_url: str, tmp_path: Path) -> Iterator[Callable[[], Engine]]:
    """More empty databases of the test's backend: SQLite files, or PostgreSQL schemas dropped after."""
    schemas: list[str] = []
    engines: list[Engine] = []

    def fresh() -> Engine:
        name = f"wd_test_{uuid.uuid4().hex[:12]}"
        if db_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / name}.db"
        else:
            with create_engine(PG_URL, isolation_level="AUTOCOMMIT").connect() as connection:
                connection.execute(text(f"CREATE SCHEMA {name}"))
            schemas.append(name)
            url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{name}"
        engines.append(make_engine(url))
        upgrade(engines[-1])
        return engines[-1]

    yield fresh
    for engine in engines:
        engine.dispose()
    if schemas:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in schemas:
                connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


TANGLED = corpus(60, seed=3, tangled=True)


def test_the_corpus_has_stories_held_together_only_by_their_original() -> None:
    """Without such stories the next test could not fail: here the order of arrival used to matter."""
    by_story: dict[int, list[Copy]] = defaultdict(list)
    for copy in TANGLED:
        by_story[copy.story].append(copy)
    assert len(TANGLED) >= 200
    assert sum(len(copies) >= 3 for copies in by_story.values()) >= 20


@pytest.mark.slow
def test_five_orders_give_the_same_stories(fresh_engines: Callable[[], Engine]) -> None:
    partitions = []
    for order in range(5):
        engine = fresh_engines()
        store_copies(engine, random.Random(order).sample(TANGLED, len(TANGLED)))
        partitions.append(partition(engine, TANGLED))
    assert all(found == partitions[0] for found in partitions[1:])
    assert len(partitions[0]) < len(TANGLED) * 0.5


def test_two_writers_at_once_give_the_stories_of_one(fresh_engines: Callable[[], Engine]) -> None:
    alone = fresh_engines()
    store_copies(alone, TANGLED)
    expected = partition(alone, TANGLED)
    engine = fresh_engines()
    shuffled = random.Random(9).sample(TANGLED, len(TANGLED))
    halves = [shuffled[0::2], shuffled[1::2]]
    errors: list[BaseException] = []

    def write(copies: list[Copy]) -> None:
        try:
            store_copies(engine, copies, batch=5)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(half,)) for half in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert partition(engine, TANGLED) == expected
    with engine.connect() as connection:
        live = connection.scalar(select(func.count()).select_from(Story).where(Story.merged_into.is_(None)))
        used = connection.scalar(select(func.count(func.distinct(Article.story_id))))
    assert live == used


def test_upgrade_reindexes_stored_articles_in_the_new_band_layout_with_anchors(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0004")
    body = "\n".join(STORY)
    with engine.begin() as connection:
        story = connection.execute(
            insert(Story.__table__).returning(Story.id), {"title": "T", "first_seen_at": T0}
        ).scalar_one()
        article = connection.execute(
            insert(Article.__table__).returning(Article.id),
            {
                "url": "https://wire.example/1",
                "source": "wire",
                "site": "wire.example",
                "story_id": story,
                "authors": [],
                "text": body,
                "text_hash": text_hash(body),
                "minhash": signature_bytes(minhash(body)),
                "revision_count": 1,
                "http_status": 200,
                "first_fetched_at": T0,
                "last_fetched_at": T0,
                "published_at": T0,
            },
        ).scalar_one()
        old_layout = [{"band": band, "bucket": band, "article_id": article} for band in range(32)]
        connection.execute(insert(MinhashBand.__table__), old_layout)
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            select(MinhashBand.band, MinhashBand.bucket)
            .where(MinhashBand.article_id == article)
            .order_by(MinhashBand.band, MinhashBand.bucket)
        ).all()
    assert [bucket for band, bucket in rows if band != ANCHOR_BAND] == band_keys(minhash(body))
    assert [bucket for band, bucket in rows if band == ANCHOR_BAND] == anchors(shingles(body))
    assert store(engine, "https://portal.example/1", STORY[:8], T0) == story
