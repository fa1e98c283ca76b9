"""A page fetched before the article's latest stored fetch, stored after it (SQLite and PostgreSQL).

An old WARC imported after a live crawl, or a page replayed late, used to become the article's
text: any different text was taken for a publisher revision and made current, its story assignment
redone and `last_fetched_at` moved back. Now the older text is kept (raw page and a revision,
numbered in fetch order) and the article keeps its latest fetch's text, story and fetch time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select, text

from cleaner import CleanArticle
from storage import Corpus, FetchedPage, Outcome
from storage.models import Article, Page, Revision, StoryMerge
from storage.reclean import raw_pages
from storage.recleaned import Recleaned

URL = "https://wire.example/a/ferry-rules"
OLD = (
    "VALLETTA, Malta (AP) — Transport ministers from 14 countries agreed on Thursday to tighten safety "
    "inspections of passenger ferries.\nThe agreement requires annual checks of lifeboats."
)
NEW = OLD + "\nThe next meeting is in Gdansk, where the rules take effect in spring."
NEWEST = NEW + "\nInspectors will publish their first findings in a year."
T0 = datetime(2024, 12, 5, 12, tzinfo=UTC)


def page(url: str, at: datetime) -> FetchedPage:
    return FetchedPage(
        url=url,
        final_url=url,
        canonical_url=url,
        source="wire",
        fetched_at=at,
        http_status=200,
        body=f"<html>{url} {at.isoformat()}</html>".encode(),
        content_type="text/html",
        etag=f'"{at.isoformat()}"',
    )


def article(body: str) -> CleanArticle:
    return CleanArticle(text=body, title="Ferry rules", published=datetime(2024, 12, 5, 10, tzinfo=UTC))


def revisions(engine: Engine) -> list[tuple[int, str, datetime]]:
    with engine.connect() as connection:
        query = select(Revision.number, Revision.text, Revision.fetched_at).order_by(Revision.number)
        return [tuple(row) for row in connection.execute(query)]


def current(engine: Engine) -> tuple[str, int, datetime, datetime, str | None]:
    with engine.connect() as connection:
        columns = (Article.text, Article.revision_count, Article.first_fetched_at, Article.last_fetched_at)
        return tuple(connection.execute(select(*columns, Article.etag)).one())


def test_an_older_text_stored_later_is_kept_but_not_made_current(engine: Engine) -> None:
    corpus = Corpus(engine)
    corpus.store(page(URL, T0 + timedelta(hours=2)), article(NEW))
    late = corpus.store(page(URL, T0), article(OLD))
    assert late.outcome is Outcome.REVISION
    assert current(engine) == (
        NEW,
        2,
        T0,
        T0 + timedelta(hours=2),
        f'"{(T0 + timedelta(hours=2)).isoformat()}"',
    )
    assert revisions(engine) == [(1, OLD, T0), (2, NEW, T0 + timedelta(hours=2))]
    with engine.connect() as connection:
        assert connection.execute(select(Page.fetched_at).order_by(Page.fetched_at)).scalars().all() == [
            T0,
            T0 + timedelta(hours=2),
        ]
        latest = connection.execute(text("SELECT text, revision FROM articles_latest")).one()
    assert tuple(latest) == (NEW, 2)


def test_an_older_text_arriving_between_two_revisions_is_numbered_in_fetch_order(engine: Engine) -> None:
    corpus = Corpus(engine)
    corpus.store(page(URL, T0), article(OLD))
    corpus.store(page(URL, T0 + timedelta(hours=4)), article(NEWEST))
    corpus.store(page(URL, T0 + timedelta(hours=2)), article(NEW))
    assert revisions(engine) == [
        (1, OLD, T0),
        (2, NEW, T0 + timedelta(hours=2)),
        (3, NEWEST, T0 + timedelta(hours=4)),
    ]
    assert current(engine)[:2] == (NEWEST, 3)


def test_an_older_fetch_of_the_same_text_does_not_move_the_fetch_time_back(engine: Engine) -> None:
    corpus = Corpus(engine)
    corpus.store(page(URL, T0 + timedelta(hours=2)), article(NEW))
    assert corpus.store(page(URL, T0), article(NEW)).outcome is Outcome.UNCHANGED
    later = T0 + timedelta(hours=2)
    assert current(engine) == (NEW, 1, later, later, f'"{later.isoformat()}"')


def test_in_one_batch_the_older_page_after_the_newer_one_is_kept_but_not_current(engine: Engine) -> None:
    results = Corpus(engine).store_many(
        [(page(URL, T0 + timedelta(hours=2)), article(NEW)), (page(URL, T0), article(OLD))]
    )
    assert [result.outcome for result in results] == [Outcome.NEW, Outcome.REVISION]
    assert current(engine)[:4] == (NEW, 2, T0, T0 + timedelta(hours=2))
    assert revisions(engine) == [(1, OLD, T0), (2, NEW, T0 + timedelta(hours=2))]


def test_an_older_text_does_not_move_the_article_to_another_story(engine: Engine) -> None:
    """The old text is an exact copy of another site's article: as a current text it merged stories."""
    corpus = Corpus(engine)
    other = corpus.store(page("https://paper.example/ferries", T0), article(OLD))
    ours = corpus.store(page(URL, T0 + timedelta(hours=2)), article(NEWEST))
    assert other.story_id != ours.story_id
    corpus.store(page(URL, T0 + timedelta(hours=1)), article(OLD))
    with engine.connect() as connection:
        story = connection.scalar(select(Article.story_id).where(Article.url == URL))
        merges = connection.execute(select(StoryMerge)).all()
    assert story == ours.story_id and merges == []


def test_the_same_older_page_stored_twice_is_kept_once(engine: Engine) -> None:
    """An old WARC imported again (another file with the same captures): its texts are kept once."""
    corpus = Corpus(engine)
    corpus.store(page(URL, T0 + timedelta(hours=2)), article(NEW))
    results = corpus.store_many([(page(URL, T0), article(OLD)), (page(URL, T0), article(OLD))])
    assert [result.outcome for result in results] == [Outcome.REVISION, Outcome.UNCHANGED]
    assert corpus.store(page(URL, T0), article(OLD)).outcome is Outcome.UNCHANGED
    assert revisions(engine) == [(1, OLD, T0), (2, NEW, T0 + timedelta(hours=2))]
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Page)) == 2


def test_an_older_text_dated_after_the_current_revision_still_numbers_below_it(engine: Engine) -> None:
    """Text A fetched at 0 h and again (unchanged, no new row) at 4 h; an old capture of 2 h with text
    B: numbered in fetch order B would come last, yet A is the current text, seen last at 4 h."""
    corpus = Corpus(engine)
    corpus.store(page(URL, T0), article(OLD))
    corpus.store(page(URL, T0 + timedelta(hours=4)), article(OLD))
    corpus.store(page(URL, T0 + timedelta(hours=2)), article(NEW))
    assert revisions(engine) == [(1, NEW, T0 + timedelta(hours=2)), (2, OLD, T0)]
    with engine.connect() as connection:
        latest = connection.execute(text("SELECT text, revision FROM articles_latest")).one()
    assert tuple(latest) == (OLD, 2)
    assert current(engine)[:2] == (OLD, 2)


def test_recleaning_takes_the_current_texts_page_not_an_older_fetch_dated_after_it(engine: Engine) -> None:
    """The most recent kept page is the older fetch's (2 h, stored late) when the current text's page
    (0 h) was refetched unchanged since: cleaned again, it turned the text back to the older one."""
    corpus = Corpus(engine)
    stored = corpus.store(page(URL, T0), article(OLD))
    corpus.store(page(URL, T0 + timedelta(hours=4)), article(OLD))
    corpus.store(page(URL, T0 + timedelta(hours=2)), article(NEW))
    with engine.connect() as connection:
        chosen = raw_pages(connection, [stored.article_id])[stored.article_id]
        older = connection.scalar(select(Page.id).where(Page.fetched_at == T0 + timedelta(hours=2)))
    assert chosen.fetched_at == T0
    stale = Recleaned(stored.article_id, older, URL, T0 + timedelta(hours=2), article(NEWEST))
    assert corpus.store_recleaned([stale]) == [False]
    assert current(engine)[:2] == (OLD, 2)
