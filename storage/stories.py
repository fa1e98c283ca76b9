"""Stories as groups of linked copies: created, joined and merged inside the store transaction.

A story is a connected group of texts linked by storage/dedup.py's rule (similar enough, published
close enough). A new text linked to copies of two or more stories shows they are one story: they
are merged. The oldest story (the smallest id) keeps its id; the others keep their row with
`merged_into` set, their copies move to it, and `story_merges` records when, by which text and how
similar. Since links depend only on the two texts, and merging makes every story a whole
connected group, storing one corpus in any order gives the same stories.

Concurrent writers: on PostgreSQL every story a transaction adds a copy to or merges is locked
first (`SELECT ... FOR NO KEY UPDATE`, which article inserts referencing it do not wait for), and
its `merged_into` read after the lock, so a writer whose candidates were read before another
merged their story follows the merge instead of adding to a merged story. Two writers locking
stories in opposite orders can deadlock; PostgreSQL then aborts one, and `retrying_deadlocks`
stores its batch again. On SQLite the store transaction holds the write lock from its start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, bindparam, func, insert, select, text, update
from sqlalchemy.exc import OperationalError

from storage.copyrows import copy_rows
from storage.dedup import Link
from storage.models import Article, Story, StoryMerge
from storage.types import UTCDateTime

logger = logging.getLogger(__name__)

DEADLOCK_RETRIES = 3
_DEADLOCK = "40P01"
_ARTICLES, _STORIES, _MERGES = Article.__table__, Story.__table__, StoryMerge.__table__
T = TypeVar("T")


@dataclass
class Copy:
    """What choosing a story's representative compares of a copy."""

    article_id: int
    title: str | None
    published_at: datetime | None
    first_fetched_at: datetime
    length: int

    def key(self) -> tuple[datetime, int]:
        """The copy published first (the wire original usually is), then the longest text."""
        return (self.published_at or self.first_fetched_at, -self.length)


@dataclass
class _State:
    """A story the transaction holds, as it will be written at the end if `changed`."""

    title: str | None
    first_seen_at: datetime
    first_published_at: datetime | None
    representative: Copy | None
    changed: bool = False

    def add(self, copy: Copy) -> None:
        """A copy may be the story's first publication, or a better representative."""
        if copy.published_at is not None and (
            self.first_published_at is None or copy.published_at < self.first_published_at
        ):
            self.first_published_at, self.changed = copy.published_at, True
        if self.representative is None or copy.key() < self.representative.key():
            self.representative, self.changed = copy, True
            self.title = copy.title or self.title

    def absorb(self, other: _State) -> None:
        """Another story merged into this one."""
        if other.representative is not None:
            self.add(other.representative)
        if other.first_published_at is not None:
            self.add_first_published(other.first_published_at)
        if other.first_seen_at < self.first_seen_at:
            self.first_seen_at, self.changed = other.first_seen_at, True

    def add_first_published(self, published: datetime) -> None:
        if self.first_published_at is None or published < self.first_published_at:
            self.first_published_at, self.changed = published, True


class Stories:
    """The stories one store transaction touches: every one locked, loaded once, written at the end."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._states: dict[int, _State] = {}
        self._merged: dict[int, int] = {}
        """Story merged away (here or before) -> the live story it is now."""
        self._ids: list[int] = []
        self._new: list[dict[str, Any]] = []

    def reserve(self, ids: list[int]) -> None:
        """Ids for the transaction's new stories, taken from the sequence beforehand
        (`rows.reserve_ids`): their rows are then written together by `flush`."""
        self._ids = ids[::-1]

    def create(self, title: str | None, published: datetime | None, fetched_at: datetime) -> int:
        """A new story, for a text linked to nothing stored.

        With ids reserved its row waits for `flush`: one round trip per new story was the costliest
        statement of a PostgreSQL batch. Without (SQLite, in process: no round trip to save), it is
        inserted at once.
        """
        values = {"title": title, "first_seen_at": fetched_at, "first_published_at": published}
        if self._ids:
            story_id = self._ids.pop()
            self._new.append({"id": story_id, **values})
        else:
            story_id = self.connection.execute(_CREATE, values).scalar_one()
        self._states[story_id] = _State(title, fetched_at, published, None)
        return story_id

    def flush(self) -> None:
        """Write the new stories created since the last flush: before the articles that refer to
        them, and before a merge (it updates stories by id)."""
        if self._new:
            copy_rows(self.connection, _STORIES, self._new)
            self._new = []

    def live(self, story_id: int) -> int:
        """The story `story_id` is now (itself unless merged), locked for this transaction."""
        return self._settle([story_id])[story_id]

    def oldest(self, links: Iterable[Link]) -> int | None:
        """The story a text linked to these goes into: the oldest of their live stories (None: no link)."""
        live = self._settle(link.story_id for link in links)
        return min(live.values(), default=None)

    def merge(self, into: int, links: list[Link], article_id: int, cause: str) -> None:
        """Merge the live stories of `links` other than `into` into it, recording why."""
        live = self._settle(link.story_id for link in links)
        closest: dict[int, float] = {}
        for link in links:
            story = live[link.story_id]
            if story != into:
                closest[story] = max(closest.get(story, 0.0), link.similarity)
        if not closest:
            return
        others = sorted(closest)
        self.connection.execute(
            update(_ARTICLES).where(_ARTICLES.c.story_id.in_(others)).values(story_id=into)
        )
        self.connection.execute(
            update(_STORIES).where(_STORIES.c.merged_into.in_(others)).values(merged_into=into)
        )
        self.connection.execute(
            update(_STORIES)
            .where(_STORIES.c.id.in_(others))
            .values(merged_into=into, representative_article_id=None)
        )
        merged_at = datetime.now(UTC)
        self.connection.execute(
            insert(_MERGES),
            [
                {
                    "story_id": story,
                    "into_story_id": into,
                    "merged_at": merged_at,
                    "article_id": article_id,
                    "similarity": round(closest[story], 4),
                    "cause": cause,
                }
                for story in others
            ],
        )
        logger.debug("stories %s merged into %d (%s of article %d)", others, into, cause, article_id)
        for story in others:
            self._states[into].absorb(self._states.pop(story))
            self._merged[story] = into
        for story, target in self._merged.items():
            if target in closest:
                self._merged[story] = into

    def add_copy(self, story_id: int, copy: Copy) -> None:
        """A new article in the story."""
        self._states[self.live(story_id)].add(copy)

    def revised(self, story_id: int, article_id: int, published: datetime | None, length: int) -> None:
        """An article's text changed: if it stands for its story, what it is compared by changes."""
        state = self._states[self.live(story_id)]
        if state.representative is not None and state.representative.article_id == article_id:
            state.representative.published_at, state.representative.length = published, length
            state.changed = True

    def _settle(self, story_ids: Iterable[int]) -> dict[int, int]:
        """Each story's live story, every one locked and loaded (merged ones followed to theirs)."""
        wanted = list(dict.fromkeys(story_ids))
        pending = [story for story in wanted if story not in self._states and story not in self._merged]
        while pending:
            pending = self._load(pending)
        return {story: self.current(story) for story in wanted}

    def current(self, story_id: int) -> int:
        """The story `story_id` is as far as this transaction knows (its merges followed), unlocked."""
        while story_id in self._merged:
            story_id = self._merged[story_id]
        return story_id

    def _load(self, story_ids: list[int]) -> list[int]:
        """Lock and read these stories; returns the stories some of them were merged into, still unread."""
        rows = self.connection.execute(_LOAD, {"ids": sorted(story_ids)})
        found = []
        for row in rows:
            if row.merged_into is not None:
                self._merged[row.id] = row.merged_into
                found.append(row.merged_into)
                continue
            copy = None
            if row.representative_article_id is not None:
                article = row.representative_article_id
                copy = Copy(article, row.title, row.published_at, row.first_fetched_at, row.length)
            self._states[row.id] = _State(row.title, row.first_seen_at, row.first_published_at, copy)
        return [story for story in found if story not in self._states and story not in self._merged]

    def finish(self) -> None:
        """Write the stories whose title, first publication, first sight or representative changed."""
        self.flush()
        changed = [
            {
                "b_id": story_id,
                "b_title": state.title,
                "b_first_seen_at": state.first_seen_at,
                "b_first_published_at": state.first_published_at,
                "b_representative": state.representative.article_id if state.representative else None,
            }
            for story_id, state in self._states.items()
            if state.changed
        ]
        if not changed:
            return
        if self.connection.dialect.name != "postgresql":
            self.connection.execute(_UPDATE, changed)
            return
        # One statement over arrays: an executemany sent one UPDATE per story, most of a batch's
        # statements. The rows are locked already (`_load`) or this transaction's own.
        columns = {name: [row[f"b_{name}"] for row in changed] for name in _UPDATED}
        for name in ("first_seen_at", "first_published_at"):  # naive times are UTC, as UTCDateTime says
            columns[name] = [_UTC.process_bind_param(at, self.connection.dialect) for at in columns[name]]
        self.connection.execute(_UPDATE_PG, columns)


def _load_statement() -> Select[Any]:
    representative = _ARTICLES.c.id == _STORIES.c.representative_article_id
    return (
        select(
            _STORIES.c.id,
            _STORIES.c.merged_into,
            _STORIES.c.title,
            _STORIES.c.first_seen_at,
            _STORIES.c.first_published_at,
            _STORIES.c.representative_article_id,
            _ARTICLES.c.published_at,
            _ARTICLES.c.first_fetched_at,
            func.length(_ARTICLES.c.text).label("length"),
        )
        .select_from(_STORIES.outerjoin(_ARTICLES, representative))
        .where(_STORIES.c.id.in_(bindparam("ids", expanding=True)))
        .order_by(_STORIES.c.id)
        .with_for_update(key_share=True, of=_STORIES)
    )


_LOAD = _load_statement()
_CREATE = insert(_STORIES).returning(_STORIES.c.id)
_UPDATE = (
    update(_STORIES)
    .where(_STORIES.c.id == bindparam("b_id"))
    .values(
        title=bindparam("b_title"),
        first_seen_at=bindparam("b_first_seen_at"),
        first_published_at=bindparam("b_first_published_at"),
        representative_article_id=bindparam("b_representative"),
    )
)

_UTC = UTCDateTime()
_UPDATED = ("id", "title", "first_seen_at", "first_published_at", "representative")
_UPDATE_PG = text(
    "UPDATE stories AS s SET title = u.title, first_seen_at = u.first_seen_at, "
    "first_published_at = u.first_published_at, representative_article_id = u.representative "
    "FROM unnest(CAST(:id AS bigint[]), CAST(:title AS text[]), CAST(:first_seen_at AS timestamptz[]), "
    "CAST(:first_published_at AS timestamptz[]), CAST(:representative AS bigint[])) "
    "AS u(id, title, first_seen_at, first_published_at, representative) WHERE s.id = u.id"
)


def retrying_deadlocks(store: Callable[[], T]) -> T:
    """Run a store transaction, again when PostgreSQL aborted it to break a deadlock (see above)."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            return store()
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != _DEADLOCK or attempt == DEADLOCK_RETRIES - 1:
                raise
            logger.info("deadlock between store transactions; storing the batch again")
    raise AssertionError("unreachable")
