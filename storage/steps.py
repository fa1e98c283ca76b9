"""What storing one page will do, decided before anything is written: the batch's plan.

`Batch.plan` (storage/batch.py) turns each page into a `Step` on a `Stored` article, so that every
lock a batch needs is known and taken before its first write; `Batch.write` carries the steps out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from cleaner import CleanArticle
from storage.dedup import Fingerprint
from storage.records import FetchedPage, Outcome


class Kind(Enum):
    """What storing one page does to the corpus."""

    REFRESH = "refresh"
    """A stored article fetched again with the same text: its fetch time and validators move."""
    SITE_DUPLICATE = "site duplicate"
    """The text is already stored on this site under another URL: only the new URLs are recorded."""
    REVISION = "revision"
    """A stored article with a new text."""
    OLDER = "older fetch"
    """A stored article fetched before its latest stored fetch (an old WARC, a late replay): a text of
    its own is kept as an older revision; its current text, story and fetch time stay."""
    INSERT = "insert"
    """A new article, in a new story or in the story of a copy."""


# Steps whose text goes into the band index, so whose band keys are locked first.
INDEXED = frozenset({Kind.REVISION, Kind.INSERT})


@dataclass(eq=False)
class Stored:
    """An article as a batch sees it: read from the corpus, or inserted by the batch (ids set on write)."""

    site: str
    text_hash: str
    revision_count: int
    id: int | None = None
    story_id: int | None = None
    last_fetched_at: datetime | None = None
    """Its latest stored fetch: a page fetched before it does not make its text current."""
    text_chars: int | None = None
    """Its current text's length (None: not read): a refetch far shorter is not made current."""


@dataclass(eq=False)
class Step:
    """What storing one item will do, decided before anything is written (so that locks come first)."""

    kind: Kind
    page: FetchedPage
    article: CleanArticle
    fingerprint: Fingerprint
    target: Stored
    new_urls: list[str]
    """The page's URLs that lead to no article yet: recorded for the target."""
    outcome: Outcome | None = None
    """Known when planned, except for an insert: new story or copy is found when it is written."""
    number: int = 1
    """The revision number the page's text gets."""
    exact: Stored | None = None
    """An insert: a stored exact copy (on another site) at this point of the batch, if any."""
    url: str = ""
    """An insert: the new article's identity (`articles.url`)."""


def id_of(stored: Stored) -> int:
    assert stored.id is not None, "an article of the batch is used before it is written"
    return stored.id


def story_of(stored: Stored) -> int:
    assert stored.story_id is not None, "an article of the batch is used before it is written"
    return stored.story_id
