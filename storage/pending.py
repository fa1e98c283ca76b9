"""Article URLs a listing named that are not stored yet: what a later crawl must still ask for.

A feed or sitemap lists an article for a while. If its fetch fails (a 5xx, a timeout) or the crawl
stops before it (Ctrl-C, --max-articles, a time limit, a kill), and it leaves the listing before
the next run, nothing else would ever name it again. So a listing's URLs not stored are written
here when it is read (`note_listed`, one statement per listing), a URL is removed once stored or
found to hold no article (`note_done`), a failed fetch is counted (`note_failed`), and each crawl
of a source asks for its pending URLs as well as what its listings name (`take_due`). A URL whose
fetch failed `max_tries` times, or first listed more than `MAX_DAYS` ago, is given up; so is one
whose page was lost `max_failures` times (`pages` rows of outcome `failed`, storage/failures.py),
which the corpus gate no longer fetches (`failed_before`): asked for again, it would be skipped by
every crawl without a try counted, until `MAX_DAYS` (a page storage refuses counts no try either).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.bounds import cut_url
from storage.failures import FAILED
from storage.models import ArticleUrl, Page, PendingArticle

MAX_DAYS = 7.0
"""A URL first listed longer ago than this is given up: its story is old news, and its site may
never serve it (a page taken down)."""
ERROR_CHARS = PendingArticle.__table__.c.last_error.type.length
_CHUNK = 500
_PENDING = PendingArticle.__table__


@dataclass(frozen=True)
class Due:
    """A source's pending URLs to ask for in this crawl, and how many were given up."""

    urls: list[str]
    given_up: int


def note_listed(
    engine: Engine, source: str, urls: Iterable[str], listed_at: datetime, max_failures: int | None = None
) -> None:
    """Keep the URLs a listing of `source` named that are not stored (nor pending) yet, nor lost
    `max_failures` times (None: no bound): those are not fetched again."""
    wanted = [url for url in dict.fromkeys(urls) if cut_url(url) == url]
    with engine.begin() as connection:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            stored = set(
                connection.execute(select(ArticleUrl.url).where(ArticleUrl.url.in_(chunk))).scalars()
            )
            stored |= _failed_out(connection, [url for url in chunk if url not in stored], max_failures)
            rows = [
                {"source": source, "url": url, "first_listed_at": listed_at, "tries": 0}
                for url in chunk
                if url not in stored
            ]
            if rows:
                dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
                connection.execute(dialect.insert(_PENDING).values(rows).on_conflict_do_nothing())


def note_done(engine: Engine, done: Iterable[tuple[str, str]]) -> None:
    """Forget these (source, URL): stored, or found to hold no article."""
    rows = [{"s": source, "u": url} for source, url in dict.fromkeys(done)]
    if rows:
        statement = delete(_PENDING).where(
            and_(_PENDING.c.source == bindparam("s"), _PENDING.c.url == bindparam("u"))
        )
        with engine.begin() as connection:
            connection.execute(statement, rows)


def note_failed(engine: Engine, failures: Iterable[tuple[str, str, str]], tried_at: datetime) -> None:
    """Count one failed fetch of each (source, URL, kind of error); URLs not pending are ignored."""
    rows = [{"s": source, "u": url, "kind": kind[:ERROR_CHARS]} for source, url, kind in failures]
    if rows:
        statement = (
            update(_PENDING)
            .where(and_(_PENDING.c.source == bindparam("s"), _PENDING.c.url == bindparam("u")))
            .values(tries=_PENDING.c.tries + 1, last_tried_at=tried_at, last_error=bindparam("kind"))
        )
        with engine.begin() as connection:
            connection.execute(statement, rows)


def take_due(
    engine: Engine, source: str, max_tries: int, now: datetime, max_failures: int | None = None
) -> Due:
    """The pending URLs of `source` to ask for again; those stored meanwhile (by another source, a
    removal a kill cut short) are forgotten, those past `max_tries` failed fetches, `max_failures`
    lost pages (None: no bound) or `MAX_DAYS` given up."""
    oldest = now - timedelta(days=MAX_DAYS)
    with engine.begin() as connection:
        rows = connection.execute(
            select(_PENDING.c.url, _PENDING.c.tries, _PENDING.c.first_listed_at, ArticleUrl.url.is_not(None))
            .outerjoin(ArticleUrl, ArticleUrl.url == _PENDING.c.url)
            .where(_PENDING.c.source == source)
        ).all()
        lost = _failed_out(connection, [url for url, *_, stored in rows if not stored], max_failures)
        due, forgotten, given_up = [], [], 0
        for url, tries, first_listed_at, stored in rows:
            if stored:
                forgotten.append(url)
            elif tries >= max_tries or first_listed_at < oldest or url in lost:
                forgotten.append(url)
                given_up += 1
            else:
                due.append(url)
        for start in range(0, len(forgotten), _CHUNK):
            chunk = forgotten[start : start + _CHUNK]
            connection.execute(delete(_PENDING).where(_PENDING.c.source == source, _PENDING.c.url.in_(chunk)))
    return Due(due, given_up)


def _failed_out(connection: Connection, urls: list[str], max_failures: int | None) -> set[str]:
    """Those of `urls` lost `max_failures` times or more: the corpus gate fetches them no more."""
    if max_failures is None:
        return set()
    found: set[str] = set()
    for start in range(0, len(urls), _CHUNK):
        query = (
            select(Page.url)
            .where(Page.outcome == FAILED, Page.url.in_(urls[start : start + _CHUNK]))
            .group_by(Page.url)
            .having(func.count() >= max_failures)
        )
        found.update(connection.execute(query).scalars())
    return found
