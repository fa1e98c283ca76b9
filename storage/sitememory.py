"""Site memory, the storage half: learn each site's furniture from the article texts it stores.

A line (`cleaner.furniture_key`) seen on `FURNITURE_STORIES` different stories of one site is that
site's furniture; the cleaner takes the keys as an input (cleaner/memory.py). Counting *stories*,
not articles, is what keeps a story's own lines out: the copies of one story are one story, so a
paragraph every copy carries is seen on one story, however many copies there are.

`site_lines` holds one row per (site, key): the distinct stories it was seen on (at most
`FURNITURE_STORIES` ids, comma-separated) and when it was last seen. It is written in the store
transaction (`learn`), by upserts whose update adds the story only when it is new and the set not
full: on PostgreSQL the upsert locks the row, so concurrent writers (threads, processes, scale-out
workers) never lose a story nor count one twice; rows are written in key order, so two writers
wait for each other instead of deadlocking, and a deadlock with the pruning is retried like any
other (`retrying_deadlocks`). SQLite has one writer at a time.

Bounded: a site keeps its `MAX_LINES_PER_SITE` most recently seen lines (and those seen with the
last of them); the others age out. Lines
the cleaner removed as `site-memory` count as seen, so the furniture the memory takes out of the
text stays fresh while stories' own lines, seen once, age out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    case,
    column,
    func,
    literal,
    not_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from tld import get_fld

from cleaner import CleanArticle, furniture_key
from storage.copyrows import execute_many
from storage.models import SiteLine
from storage.types import UTCDateTime
from storage.urls import site_of

# A line seen on this many different stories of a site is its furniture.
FURNITURE_STORIES = 3
# A site keeps at most this many lines (its most recently seen); a few hundred articles' worth.
MAX_LINES_PER_SITE = 3000
# The reason the cleaner gives a line it removed as the site's furniture.
SITE_MEMORY = "site-memory"

_LINES = SiteLine.__table__


def registered_site(url: str) -> str:
    """The site a URL's page belongs to for its memory: its registered domain (news.bbc.co.uk ->
    bbc.co.uk), since one publisher's subdomains share a template; the host for an IP address."""
    domain = get_fld(url, fail_silently=True)
    if domain:
        return str(domain).lower()
    return site_of(url)


def article_keys(article: CleanArticle) -> set[str]:
    """The keys of the lines the page showed as text: its stored lines, and those the memory took out."""
    lines = article.text.splitlines()
    lines += [block.text for block in article.removed if block.reason == SITE_MEMORY]
    return {key for key in map(furniture_key, lines) if key}


@dataclass(frozen=True)
class Sighting:
    """Lines of one stored text: its site, its story, their keys, when."""

    site: str
    story_id: int
    keys: frozenset[str]
    seen_at: datetime


def learn(connection: Connection, sightings: Iterable[Sighting]) -> None:
    """Count each key as seen on its story, then age out the oldest lines of the sites touched.

    At most `FURNITURE_STORIES` + 1 statements of many rows (`_rounds`), each in (site, key) order:
    the first takes every row lock the others need, in that order, so writers still do not deadlock.
    """
    seen: dict[tuple[str, str], dict[int, datetime]] = {}
    for sighting in sightings:
        for key in sighting.keys:
            stories = seen.setdefault((sighting.site, key), {})
            stories[sighting.story_id] = max(
                sighting.seen_at, stories.get(sighting.story_id, sighting.seen_at)
            )
    if not seen:
        return
    for rows in _rounds(seen):
        _write_round(connection, rows)
    sites = sorted({site for site, _ in seen})
    if connection.dialect.name == "postgresql":
        connection.execute(_AGE_OUT_PG, {"sites": sites, "keep": MAX_LINES_PER_SITE})
        return
    _age_out_sqlite(connection, sites)


def _rounds(seen: dict[tuple[str, str], dict[int, datetime]]) -> list[list[dict[str, Any]]]:
    """The upserts' rows, a statement's rows touching each (site, key) once (which one multi-row
    upsert must): round r holds each key's r-th story, in story order, as one row per story did.

    A key's stories past the first `FURNITURE_STORIES` cannot join its set (the set is full after
    them: at most `FURNITURE_STORIES` - 1 of them were in it), so they make one last row that only
    moves the time they were last seen.
    """
    rounds: list[list[dict[str, Any]]] = [[] for _ in range(FURNITURE_STORIES + 1)]
    for (site, key), stories in sorted(seen.items()):
        ordered = sorted(stories.items())
        tail = ordered[FURNITURE_STORIES:]
        if tail:
            ordered = [*ordered[:FURNITURE_STORIES], (tail[0][0], max(at for _, at in tail))]
        for number, (story, seen_at) in enumerate(ordered):
            rounds[number].append(
                {"site": site, "key": key, "story_ids": str(story), "stories": 1, "last_seen_at": seen_at}
            )
    return [rows for rows in rounds if rows]


def _write_round(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """One round's rows: on PostgreSQL one statement over arrays (`unnest`), the same SQL text
    whatever the count; on SQLite, in process, one execution per row."""
    if connection.dialect.name != "postgresql":
        execute_many(connection, _upsert(connection.dialect.name), rows)
        return
    columns = {name: [row[name] for row in rows] for name in ("site", "key", "story_ids", "last_seen_at")}
    seen = [UTCDateTime().process_bind_param(at, connection.dialect) for at in columns["last_seen_at"]]
    connection.execute(
        _upsert(connection.dialect.name, from_rows=True),
        {"sites": columns["site"], "keys": columns["key"], "ids": columns["story_ids"], "seen": seen},
    )


# A round's rows as arrays, in (site, key) order: the order the upsert locks them in.
_PG_ROWS = (
    select(
        column("site"),
        column("key"),
        column("story_ids"),
        literal(1).label("stories"),
        column("last_seen_at"),
    )
    .select_from(
        text(
            "unnest(CAST(:sites AS text[]), CAST(:keys AS text[]), CAST(:ids AS text[]), "
            "CAST(:seen AS timestamptz[])) AS r(site, key, story_ids, last_seen_at)"
        )
    )
    .order_by(column("site"), column("key"))
)


@cache
def _upsert(dialect_name: str, from_rows: bool = False) -> Any:
    """INSERT ... ON CONFLICT (site, key) DO UPDATE: add the story if new and the set not full.

    The rows are bound values (executemany), or those of `_PG_ROWS` (INSERT ... SELECT). Built once
    per form: building it and its cache key each round cost the writer more than the round's rows.
    """
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(_LINES)
    if from_rows:
        statement = statement.from_select(["site", "key", "story_ids", "stories", "last_seen_at"], _PG_ROWS)
    new = statement.excluded
    adds = and_(
        _LINES.c.stories < FURNITURE_STORIES,
        not_(("," + _LINES.c.story_ids + ",").like("%," + new.story_ids + ",%")),
    )
    return statement.on_conflict_do_update(
        index_elements=[_LINES.c.site, _LINES.c.key],
        set_={
            "story_ids": case((adds, _LINES.c.story_ids + "," + new.story_ids), else_=_LINES.c.story_ids),
            "stories": case((adds, _LINES.c.stories + 1), else_=_LINES.c.stories),
            "furniture_at": case(
                (and_(adds, _LINES.c.stories == FURNITURE_STORIES - 1), new.last_seen_at),
                else_=_LINES.c.furniture_at,
            ),
            "last_seen_at": case(
                (new.last_seen_at > _LINES.c.last_seen_at, new.last_seen_at), else_=_LINES.c.last_seen_at
            ),
        },
    )


def _age_out_sqlite(connection: Connection, sites: list[str]) -> None:
    """Drop each site's lines seen before its `MAX_LINES_PER_SITE`-th most recent one.

    Lines seen at the same time as that one stay (one batch's lines are never half dropped), so a
    site may hold a batch's worth more than the bound. The cutoffs of all the batch's sites are
    read with one statement (two per site before: an import's batch touches dozens of sites), and
    compared as SQLite holds them; only the sites that have one delete anything.
    """
    cutoffs = connection.execute(_CUTOFFS_SQLITE, {"sites": json.dumps(sites), "keep": MAX_LINES_PER_SITE})
    for site, cutoff in cutoffs.all():
        if cutoff is not None:
            connection.execute(_AGE_OUT_SQLITE, {"site": site, "cutoff": cutoff})


_CUTOFFS_SQLITE = text(
    "SELECT s.value, (SELECT last_seen_at FROM site_lines WHERE site = s.value "
    "ORDER BY last_seen_at DESC LIMIT 1 OFFSET CAST(:keep AS integer) - 1) FROM json_each(:sites) AS s"
)
_AGE_OUT_SQLITE = text("DELETE FROM site_lines WHERE site = :site AND last_seen_at < :cutoff")


# `_age_out_sqlite` for every site of a batch in one statement (a round trip per site cost more than the
# work: a batch of an import spread over many sites touches dozens), sites in order as before.
_AGE_OUT_PG = text(
    "DELETE FROM site_lines AS l USING ("
    "SELECT s.site, (SELECT last_seen_at FROM site_lines WHERE site = s.site "
    "ORDER BY last_seen_at DESC OFFSET CAST(:keep AS integer) - 1 LIMIT 1) AS cutoff "
    "FROM unnest(CAST(:sites AS text[])) AS s(site) ORDER BY s.site) AS c "
    "WHERE l.site = c.site AND l.last_seen_at < c.cutoff"
)


def furniture_formed_since(connection: Connection, site: str, since: datetime) -> bool:
    """True when a line of the site became furniture at or after `since` (its memory grew then)."""
    newest = connection.execute(select(func.max(_LINES.c.furniture_at)).where(_LINES.c.site == site)).scalar()
    return newest is not None and newest >= since


def furniture(connection: Connection, site: str) -> frozenset[str]:
    """The site's furniture: the keys of lines seen on `FURNITURE_STORIES` different stories."""
    rows = connection.execute(
        select(_LINES.c.key).where(_LINES.c.site == site, _LINES.c.stories >= FURNITURE_STORIES)
    )
    return frozenset(rows.scalars())


class SiteMemory:
    """Read a site's furniture from the corpus (the crawl's cache and `reclean` go through it)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def furniture(self, site: str) -> frozenset[str]:
        """The site's furniture keys now (an empty set for a site not seen, or not yet learnt)."""
        with self.engine.connect() as connection:
            return furniture(connection, site)
