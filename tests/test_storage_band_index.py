"""The band index without its foreign key (migration 0013): its rows survive the migration both ways,
a deleted article's rows go with it, and copies are found across batches and concurrent writers."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import Engine, delete, insert, inspect, select

from cleaner import CleanArticle
from storage import Corpus, FetchedPage, make_engine
from storage.dedup import Fingerprint
from storage.models import Article, MinhashBand
from storage.schema import alembic_config, upgrade

T0 = datetime(2024, 5, 6, 9, tzinfo=UTC)
WRITERS = 4


def story_text(number: int) -> list[str]:
    """Six paragraphs of words drawn for this story alone: unrelated stories share no band."""
    rng = random.Random(number)
    return [" ".join(f"w{rng.randrange(20000)}" for _ in range(30)) + "." for _ in range(6)]


def copy_text(number: int, site: int) -> list[str]:
    """The story as another site carries it: its last paragraph dropped, a line of its own added."""
    return [*story_text(number)[:-1], f"Reporting by the desk of site {site}."]


def item(url: str, paragraphs: list[str], published: datetime) -> tuple[FetchedPage, CleanArticle]:
    page = FetchedPage(url, url, url, url.split("/")[2], published + timedelta(minutes=5), 200, b"<html/>")
    return page, CleanArticle(text="\n".join(paragraphs), title="T", published=published)


def store(engine: Engine, url: str, paragraphs: list[str], published: datetime = T0) -> int:
    return Corpus(engine).store(*item(url, paragraphs, published)).story_id


def band_rows(engine: Engine) -> set[tuple[int, int, int]]:
    with engine.connect() as connection:
        rows = connection.execute(select(MinhashBand.band, MinhashBand.bucket, MinhashBand.article_id))
        return {(band, bucket, article_id) for band, bucket, article_id in rows}


def article_id(engine: Engine, url: str) -> int:
    with engine.connect() as connection:
        return connection.execute(select(Article.id).where(Article.url == url)).scalar_one()


def test_the_migration_keeps_the_rows_and_a_trigger_drops_a_deleted_articles(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0012_loss")
    original = store(engine, "https://wire.example/1", story_text(1))
    store(engine, "https://other.example/2", story_text(2))
    before = band_rows(engine)
    assert len(before) == sum(len(Fingerprint.of("\n".join(story_text(n))).index_keys) for n in (1, 2))
    upgrade(engine)
    assert band_rows(engine) == before
    assert inspect(engine).get_foreign_keys("minhash_bands") == []
    assert store(engine, "https://portal.example/1", copy_text(1, 3), T0 + timedelta(hours=1)) == original
    gone = article_id(engine, "https://other.example/2")
    with engine.begin() as connection:
        connection.execute(delete(Article).where(Article.id == gone))
        connection.execute(insert(MinhashBand), {"band": 0, "bucket": 7, "article_id": gone + 1000})
    assert {row[2] for row in band_rows(engine)} == {
        article_id(engine, "https://wire.example/1"),
        article_id(engine, "https://portal.example/1"),
        gone + 1000,
    }
    kept = {row for row in band_rows(engine) if row[2] != gone + 1000}
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0012_loss")
    engine.dispose()
    assert band_rows(engine) == kept
    [key] = inspect(engine).get_foreign_keys("minhash_bands")
    assert (key["referred_table"], key["constrained_columns"]) == ("articles", ["article_id"])
    upgrade(engine)
    assert band_rows(engine) == kept


def test_a_copy_finds_its_original_stored_in_an_earlier_batch(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    corpus = Corpus(engine)
    originals = corpus.store_many([item(f"https://wire.example/{n}", story_text(n), T0) for n in range(5)])
    copies = corpus.store_many(
        [item(f"https://copy{n}.example/{n}", copy_text(n, n), T0 + timedelta(hours=2)) for n in range(5)]
    )
    assert [result.story_id for result in copies] == [result.story_id for result in originals]
    assert len({result.story_id for result in originals}) == 5


def test_four_writers_storing_copies_of_the_same_stories_at_once_give_one_story_each(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    stories = range(12)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        order = random.Random(writer).sample(list(stories), len(stories))
        items = [
            item(f"https://site{writer}.example/{n}", copy_text(n, writer), T0 + timedelta(minutes=writer))
            for n in order
        ]
        try:
            for start in range(0, len(items), 3):
                Corpus(engine).store_many(items[start : start + 3])
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        found = dict(connection.execute(select(Article.url, Article.story_id)).all())
    for n in stories:
        assert len({found[f"https://site{writer}.example/{n}"] for writer in range(WRITERS)}) == 1
    assert len(set(found.values())) == len(stories)
