"""Dedup's text print computed where the page is cleaned, and a batch's new stories written together.

A crawl's cleaning workers compute the text's hash, MinHash signature and containment anchors
(`clean_and_hash`); storage takes what the page carries instead of computing it in its writer
(issue 20). On PostgreSQL a batch takes the ids of its new stories beforehand and writes their rows
in one statement, before the articles that refer to them: every story and link must come out as
when each story was inserted on its own.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select

from cleaner import CleanArticle
from cleaner.fingerprint import ANCHORS, band_keys, minhash, signature_from_bytes, text_print
from crawler.cleaning import clean_and_hash
from storage import Corpus, FetchedPage, Outcome
from storage.containment import ANCHOR_BAND
from storage.dedup import Fingerprint
from storage.models import Article, MinhashBand, Story, StoryMerge
from storage.spool import load, spool

T0 = datetime(2024, 12, 5, 12, tzinfo=UTC)


def prose(seed: int, words: int = 160) -> str:
    """A text of its own: unrelated seeds share no 5-word run."""
    rng = random.Random(seed)
    return " ".join(f"w{rng.randrange(100_000)}" for _ in range(words)) + "."


def page(url: str, minutes: int = 0) -> FetchedPage:
    return FetchedPage(url, url, url, url.split("/")[2], T0 + timedelta(minutes=minutes), 200, b"<html/>")


def test_the_print_a_worker_computes_is_the_one_storage_computes() -> None:
    paragraphs = "".join(f"<p>{prose(n, 60)}</p>" for n in range(6))
    html = f'<html lang="en"><body><article><h1>Harbour reopens</h1>{paragraphs}</article></body></html>'
    article, prints = clean_and_hash(html.encode(), "http://127.0.0.7/news/harbour", "utf-8", 20.0)
    assert article.found and prints is not None
    computed = Fingerprint.of(article.text)
    assert prints.text_hash == computed.text_hash
    assert np.array_equal(np.array(prints.signature, dtype=np.uint32), computed.signature)
    assert list(prints.anchors) == computed.anchors and len(prints.anchors) == ANCHORS
    assert computed.signature.tolist() == minhash(article.text).tolist()
    carried = Fingerprint.carried(article.text, prints.text_hash, prints.signature, prints.anchors)
    assert carried.index_keys == computed.index_keys


def test_a_worker_computes_the_print_without_sqlalchemy() -> None:
    """A cleaning worker imports `crawler.cleaning` for its job: SQLAlchemy would cost each a third
    of a second of CPU at start (crawler/cleaning.py)."""
    script = (
        "import sys\n"
        "from crawler.cleaning import clean_and_hash\n"
        f"html = '<html><body><article><p>{prose(5)}</p></article></body></html>'.encode()\n"
        "article, prints = clean_and_hash(html, 'http://127.0.0.7/a/b', 'utf-8', 20.0)\n"
        "heavy = ('sqlalchemy', 'storage')\n"
        "print(prints is not None, sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "[]"]


def test_storage_takes_the_signature_and_anchors_the_page_carries(engine: Engine) -> None:
    """Storage storing a signature and anchors no text of the page has is storage taking them."""
    text, other = prose(1), prose(2)
    foreign = text_print(other)
    carried = page("https://wire.example/a").printed(text_print(text))
    carried = FetchedPage(**{**vars(carried), "signature": foreign.signature, "anchors": foreign.anchors})
    plain = page("https://wire.example/b")
    corpus = Corpus(engine)
    results = corpus.store_many([(carried, CleanArticle(text=text)), (plain, CleanArticle(text=prose(3)))])
    assert [result.outcome for result in results] == [Outcome.NEW, Outcome.NEW]
    with engine.connect() as connection:
        stored = dict(connection.execute(select(Article.id, Article.minhash)).all())
        keys = connection.execute(select(MinhashBand.band, MinhashBand.bucket, MinhashBand.article_id)).all()
    first, second = results[0].article_id, results[1].article_id
    assert signature_from_bytes(stored[first]).tolist() == list(foreign.signature)
    assert signature_from_bytes(stored[second]).tolist() == minhash(prose(3)).tolist()
    expected = {
        *enumerate(band_keys(np.array(foreign.signature, dtype=np.uint32))),
        *((ANCHOR_BAND, anchor) for anchor in foreign.anchors),
    }
    assert {(band, bucket) for band, bucket, article in keys if article == first} == expected


def test_a_page_keeps_its_print_through_the_spool(tmp_path: Path) -> None:
    printed = page("https://wire.example/a").printed(text_print(prose(4)))
    loaded, _ = load(spool(tmp_path, printed, CleanArticle(text=prose(4))))
    assert loaded == printed and isinstance(loaded.signature, tuple)
    assert page("https://wire.example/a").printed(None).signature is None


def test_a_batch_with_several_new_stories_creates_them_all(engine: Engine) -> None:
    """New stories, copies of them, and a roundup holding two of them (a merge of two stories the
    same batch created) in one batch: every story row is there, each article in its story."""
    first, second, third, fourth = prose(10, 200), prose(11), prose(12), prose(13)  # first the longest
    items = [
        (page("https://one.example/first"), CleanArticle(text=first, title="first", published=T0)),
        (page("https://two.example/second"), CleanArticle(text=second, title="second", published=T0)),
        (page("https://one.example/third"), CleanArticle(text=third, title="third", published=T0)),
        (page("https://three.example/first", 1), CleanArticle(text=first, title="first copy", published=T0)),
        (
            page("https://four.example/both", 2),
            CleanArticle(text=f"{first}\n{second}", title="both", published=T0 + timedelta(hours=1)),
        ),
        (page("https://two.example/fourth", 3), CleanArticle(text=fourth, title="fourth", published=T0)),
    ]
    results = Corpus(engine).store_many(items)
    assert [result.outcome for result in results] == [
        Outcome.NEW,
        Outcome.NEW,
        Outcome.NEW,
        Outcome.COPY,
        Outcome.COPY,
        Outcome.NEW,
    ]
    ids = [result.article_id for result in results]
    with engine.connect() as connection:
        article_story = dict(connection.execute(select(Article.id, Article.story_id)).all())
        stories = {row.id: row for row in connection.execute(select(Story))}
        merges = connection.execute(select(StoryMerge.story_id, StoryMerge.into_story_id)).all()
    merged, kept = results[1].story_id, results[0].story_id
    assert article_story == {
        result.article_id: kept if result.story_id == merged else result.story_id for result in results
    }
    assert merges == [(merged, kept)] and stories[merged].merged_into == kept
    assert {results[n].story_id for n in (0, 3, 4)} == {kept} and len(stories) == 4
    live = {story_id: row for story_id, row in stories.items() if row.merged_into is None}
    assert {story_id: row.representative_article_id for story_id, row in live.items()} == {
        kept: ids[0],
        results[2].story_id: ids[2],
        results[5].story_id: ids[5],
    }
    assert {row.title for row in live.values()} == {"first", "third", "fourth"}
    assert all(row.first_published_at == T0 for row in live.values())
