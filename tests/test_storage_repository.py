"""storage.Corpus on SQLite and PostgreSQL: what storing a page does, and what it keeps."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from cleaner import CleanArticle
from storage import Corpus, FetchedPage, Outcome
from storage.models import Article, ArticleUrl, Page, Revision, Story

TEXT = (
    "VALLETTA, Malta (AP) — Transport ministers from 14 countries agreed on Thursday to tighten safety "
    "inspections of passenger ferries.\nThe agreement requires annual checks of lifeboats."
)
T0 = datetime(2024, 12, 5, 12, tzinfo=UTC)



def page(url: str, source: str = "wire", at: datetime = T0, canonical: str | None = None) -> FetchedPage:
    return FetchedPage(
        url=url,
        final_url=url,
        canonical_url=canonical or url,
        source=source,
        fetched_at=at,
        http_status=200,
        body=b"<html>" + url.encode() + b"</html>",
        content_type="text/html",
    )


def article(text: str = TEXT, title: str = "Ferry rules") -> CleanArticle:
    return CleanArticle(
        text=text,
        title=title,
        authors=["Maria Lindqvist"],
        agency="AP",
        published=datetime(2024, 12, 5, 10, tzinfo=UTC),
        language="en",
    )


def count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model)) or 0


def test_new_article_keeps_metadata_raw_page_and_first_revision(engine: Engine) -> None:
    result = Corpus(engine).store(page("https://wire.example/a/ferry-rules"), article())
    assert result.outcome is Outcome.NEW
    with engine.connect() as connection:
        row = connection.execute(select(Article)).one()
        raw = connection.execute(select(Page.body_zlib)).scalar_one()
    assert (row.title, row.authors, row.agency, row.site) == (
        "Ferry rules",
        ["Maria Lindqvist"],
        "AP",
        "wire.example",
    )
    assert row.published_at == datetime(2024, 12, 5, 10, tzinfo=UTC)
    assert zlib.decompress(raw) == b"<html>https://wire.example/a/ferry-rules</html>"
    assert count(engine, Revision) == 1 and count(engine, Story) == 1


def test_same_url_same_text_is_unchanged(engine: Engine) -> None:
    corpus = Corpus(engine)
    corpus.store(page("https://wire.example/a/ferry-rules"), article())
    later = corpus.store(page("https://wire.example/a/ferry-rules", at=T0 + timedelta(hours=1)), article())
    assert later.outcome is Outcome.UNCHANGED
    assert (count(engine, Article), count(engine, Page), count(engine, Revision)) == (1, 1, 1)
    assert corpus.known_urls(["https://wire.example/a/ferry-rules"])["https://wire.example/a/ferry-rules"]
    with engine.connect() as connection:
        assert connection.scalar(select(Article.last_fetched_at)) == T0 + timedelta(hours=1)


def test_changed_text_is_a_new_revision_and_the_old_text_stays(engine: Engine) -> None:
    corpus = Corpus(engine)
    corpus.store(page("https://wire.example/a/ferry-rules"), article())
    update = article(TEXT + "\nThe next meeting is in Gdansk.")
    result = corpus.store(page("https://wire.example/a/ferry-rules", at=T0 + timedelta(hours=2)), update)
    assert result.outcome is Outcome.REVISION
    with engine.connect() as connection:
        texts = connection.execute(select(Revision.number, Revision.text).order_by(Revision.number)).all()
        current = connection.scalar(select(Article.text))
    assert texts == [(1, TEXT), (2, update.text)]
    assert current == update.text
    assert count(engine, Page) == 2


def test_another_url_of_the_same_article_records_the_url(engine: Engine) -> None:
    corpus = Corpus(engine)
    first = corpus.store(page("https://wire.example/a/ferry-rules"), article())
    variant = page(
        "https://wire.example/amp/ferry-rules",
        canonical="https://wire.example/a/ferry-rules",
        at=T0 + timedelta(minutes=5),
    )
    assert corpus.store(variant, article()).outcome is Outcome.DUPLICATE
    same_text_elsewhere_on_site = page("https://wire.example/print/ferry-rules", at=T0 + timedelta(minutes=9))
    second = corpus.store(same_text_elsewhere_on_site, article())
    assert second.outcome is Outcome.DUPLICATE and second.article_id == first.article_id
    assert count(engine, Article) == 1
    with engine.connect() as connection:
        urls = dict(connection.execute(select(ArticleUrl.url, ArticleUrl.first_seen_at)).all())
    assert urls["https://wire.example/print/ferry-rules"] == T0 + timedelta(minutes=9)
    assert len(urls) == 3


def test_exact_copy_on_another_site_is_its_own_article_in_the_same_story(engine: Engine) -> None:
    corpus = Corpus(engine)
    original = corpus.store(page("https://wire.example/a/ferry-rules"), article())
    copy = corpus.store(
        page("https://portal.example/news/ferry-rules-1.html", source="portal"), article(title="X")
    )
    assert copy.outcome is Outcome.COPY
    assert copy.story_id == original.story_id and copy.article_id != original.article_id
    assert count(engine, Story) == 1


def test_known_urls_for_many_urls(engine: Engine) -> None:
    corpus = Corpus(engine)
    corpus.store(page("https://wire.example/a/ferry-rules"), article())
    urls = [f"https://wire.example/other/{i}" for i in range(1200)] + ["https://wire.example/a/ferry-rules"]
    assert list(corpus.known_urls(urls)) == ["https://wire.example/a/ferry-rules"]
