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

Each row keeps what named it (`FoundBy`): a section page's link is asked for again as a link, not as
a feed entry (whose page is an article whatever its og:type says). A URL refused on purpose
(robots.txt, a redirect off its source's sites: `note_refused`) is held back `RECHECK_HOURS`, the
longest a robots.txt may be cached (RFC 9309), before it is asked for again: asking every run was in
vain, and its skip was counted each time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import Insert

from storage.bounds import cut_url
from storage.failures import FAILED
from storage.models import ArticleUrl, Page, PendingArticle

MAX_DAYS = 7.0
"""A URL first listed longer ago than this is given up: its story is old news, and its site may
never serve it (a page taken down)."""
RECHECK_HOURS = 24.0
"""A URL refused on purpose is asked for again this long after: robots.txt may have changed by then
(RFC 9309: a crawler should not keep one longer), a redirect too."""
ERROR_CHARS = PendingArticle.__table__.c.last_error.type.length
_CHUNK = 500
_PENDING = PendingArticle.__table__


class FoundBy(StrEnum):
    """What named a pending URL: it is asked for again as such."""

    FEED = "feed"
    SITEMAP = "sitemap"
    SECTION = "section"
    LISTING = "listing"
    """A feed or sitemap: rows written before what named them was kept."""

    @property
    def listed(self) -> bool:
        """A feed or sitemap named it: the publisher's word that it is an article (`ArticlePage.listed`)."""
        return self is not FoundBy.SECTION


@dataclass(frozen=True)
class Due:
    """A source's pending URLs to ask for in this crawl, with what named each, and how many were given up."""

    urls: dict[str, FoundBy]
    given_up: int


def note_listed(
    engine: Engine,
    source: str,
    urls: Iterable[str],
    listed_at: datetime,
    max_failures: int | None = None,
    found_by: FoundBy = FoundBy.LISTING,
) -> None:
    """Keep the URLs a listing of `source` named that are not stored (nor pending) yet, nor lost
    `max_failures` times (None: no bound): those are not fetched again. A URL pending as a section
    page's link that a feed or sitemap names becomes listed."""
    wanted = [url for url in dict.fromkeys(urls) if cut_url(url) == url]
    with engine.begin() as connection:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            stored = set(
                connection.execute(select(ArticleUrl.url).where(ArticleUrl.url.in_(chunk))).scalars()
            )
            stored |= _failed_out(connection, [url for url in chunk if url not in stored], max_failures)
            rows = [
                {"source": source, "url": url, "first_listed_at": listed_at, "tries": 0, "found_by": found_by}
                for url in chunk
                if url not in stored
            ]
            if rows:
                connection.execute(_insert(connection, found_by).values(rows))


def _insert(connection: Connection, found_by: FoundBy) -> Insert:
    """Insert new rows; a pending row keeps its counts, and turns listed when a feed or sitemap names it."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_PENDING)
    if not found_by.listed:
        return statement.on_conflict_do_nothing()
    return statement.on_conflict_do_update(
        index_elements=[_PENDING.c.source, _PENDING.c.url],
        set_={"found_by": statement.excluded.found_by},
        where=_PENDING.c.found_by == FoundBy.SECTION.value,
    )


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
            .values(
                tries=_PENDING.c.tries + 1,
                last_tried_at=tried_at,
                last_error=bindparam("kind"),
                refused=None,
                refused_at=None,
            )
        )
        with engine.begin() as connection:
            connection.execute(statement, rows)


def note_refused(engine: Engine, refusals: Iterable[tuple[str, str, str]], refused_at: datetime) -> None:
    """Each (source, URL, reason) was refused on purpose (robots.txt, a redirect off its sites): held
    back `RECHECK_HOURS`, no try counted. URLs not pending are ignored."""
    rows = [{"s": source, "u": url, "why": reason[:ERROR_CHARS]} for source, url, reason in refusals]
    if rows:
        statement = (
            update(_PENDING)
            .where(and_(_PENDING.c.source == bindparam("s"), _PENDING.c.url == bindparam("u")))
            .values(refused=bindparam("why"), refused_at=refused_at)
        )
        with engine.begin() as connection:
            connection.execute(statement, rows)


def take_due(
    engine: Engine, source: str, max_tries: int, now: datetime, max_failures: int | None = None
) -> Due:
    """The pending URLs of `source` to ask for again; those stored meanwhile (by another source, a
    removal a kill cut short) are forgotten, those past `max_tries` failed fetches, `max_failures`
    lost pages (None: no bound) or `MAX_DAYS` given up; those refused less than `RECHECK_HOURS` ago
    are held back (and past `MAX_DAYS`, forgotten without counting: their refusal was counted)."""
    oldest, recheck = now - timedelta(days=MAX_DAYS), now - timedelta(hours=RECHECK_HOURS)
    columns = (_PENDING.c.url, _PENDING.c.tries, _PENDING.c.first_listed_at, _PENDING.c.found_by)
    with engine.begin() as connection:
        rows = connection.execute(
            select(*columns, _PENDING.c.refused_at, ArticleUrl.url.is_not(None))
            .outerjoin(ArticleUrl, ArticleUrl.url == _PENDING.c.url)
            .where(_PENDING.c.source == source)
        ).all()
        lost = _failed_out(connection, [url for url, *_, stored in rows if not stored], max_failures)
        due: dict[str, FoundBy] = {}
        forgotten, given_up = [], 0
        for url, tries, first_listed_at, found_by, refused_at, stored in rows:
            if stored or (refused_at is not None and first_listed_at < oldest):
                forgotten.append(url)
            elif tries >= max_tries or first_listed_at < oldest or url in lost:
                forgotten.append(url)
                given_up += 1
            elif refused_at is None or refused_at < recheck:
                due[url] = FoundBy(found_by)
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
