"""`reclean` on SQLite and PostgreSQL: changed texts stored as re-cleanings, story assignment run
again, idempotent, and filters that choose the articles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import run_wiredesk
from memorysite import UI_LINE, template_page
from sqlalchemy import Engine, select

import cleaner
from crawler.reclean import reclean, reclean_after_crawl
from storage import Corpus, FetchedPage
from storage.models import Article, Revision
from storage.reclean import Selection

T0 = datetime(2024, 12, 5, 12, tzinfo=UTC)



def store_template_pages(
    engine: Engine, count: int, host: str = "news.example.com", first: int = 0, at: datetime = T0
) -> None:
    """Pages stored as a crawl before the memory formed would: cleaned without it."""
    corpus = Corpus(engine)
    for number in range(first, first + count):
        url = f"https://{host}/news/2024/06/03/report-{number}.html"
        html = template_page(600 + number, url)
        page = FetchedPage(
            url=url,
            final_url=url,
            canonical_url=url,
            source=host.split(".")[0],
            fetched_at=at + timedelta(minutes=number),
            http_status=200,
            body=html.encode(),
            content_type="text/html; charset=utf-8",
        )
        corpus.store(page, cleaner.clean(html, url))


def test_reclean_sheds_learnt_furniture_as_a_reclean_and_is_idempotent(engine: Engine) -> None:
    store_template_pages(engine, 4)
    first = reclean(engine, Selection(site="example.com"))
    assert (first.examined, first.changed, first.unchanged, first.failed) == (4, 4, 0, 0)
    with engine.connect() as connection:
        articles = connection.execute(select(Article.text, Article.revision_count, Article.story_id)).all()
        causes = connection.execute(select(Revision.number, Revision.cause, Revision.page_id)).all()
    assert all(UI_LINE not in text and count == 2 for text, count, _ in articles)
    assert len({story for *_, story in articles}) == 4  # each still its own story
    assert sorted((number, cause) for number, cause, _ in causes) == [(1, "fetch")] * 4 + [(2, "reclean")] * 4
    assert all(page_id is not None for *_, page_id in causes)
    second = reclean(engine, Selection(site="example.com"))
    assert (second.examined, second.changed, second.unchanged) == (4, 0, 4)


def test_reclean_chooses_by_source_site_and_time(engine: Engine) -> None:
    store_template_pages(engine, 3, "news.example.com")
    store_template_pages(engine, 3, "other.org")
    assert reclean(engine, Selection(site="other.org")).examined == 3
    assert reclean(engine, Selection(source="news")).examined == 3
    assert reclean(engine, Selection(since=T0 + timedelta(minutes=2))).examined == 2
    assert reclean(engine, Selection()).examined == 6


def test_after_a_crawl_that_formed_the_memory_every_page_of_the_site_is_recleaned(engine: Engine) -> None:
    """Two stories stored by an earlier crawl, two by this one: the memory forms now, all four shed it."""
    store_template_pages(engine, 2)
    started_at = T0 + timedelta(hours=1)
    store_template_pages(engine, 2, first=2, at=started_at)
    report = reclean_after_crawl(engine, started_at, ["news"])
    assert (report.examined, report.changed) == (4, 4)
    with engine.connect() as connection:
        assert not any(UI_LINE in text for text in connection.scalars(select(Article.text)))


def test_after_a_crawl_with_a_formed_memory_only_its_pages_are_checked(engine: Engine) -> None:
    """The memory formed before: older articles still carrying the line are left to `wiredesk reclean`."""
    store_template_pages(engine, 4)
    started_at = T0 + timedelta(hours=1)
    store_template_pages(engine, 1, first=9, at=started_at)
    report = reclean_after_crawl(engine, started_at, ["news"])
    assert (report.examined, report.changed) == (1, 1)


def test_reclean_command_wants_a_choice_of_articles(tmp_path: Path) -> None:
    result = run_wiredesk("reclean", "--db", f"sqlite:///{tmp_path / 'c.db'}", check=False)
    assert result.returncode == 2
    assert "choose articles with --source, --site or --since, or give --all" in result.stderr


def test_after_a_crawl_other_sources_sites_are_left_alone(engine: Engine) -> None:
    """Another crawl storing meanwhile (another source) re-cleans its own sites."""
    started_at = T0 + timedelta(hours=1)
    store_template_pages(engine, 4, "other.org", at=started_at)
    assert reclean_after_crawl(engine, started_at, ["news"]).examined == 0
    assert reclean_after_crawl(engine, started_at, ["other"]).changed == 4
