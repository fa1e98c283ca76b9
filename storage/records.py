"""What the crawler hands to storage, and what storage answers: plain data shared by both sides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class FetchedPage:
    """One fetched article page as the crawler saw it, before cleaning."""

    url: str
    """The URL that was requested."""
    final_url: str
    """The URL after redirects."""
    canonical_url: str
    """The article's identity: rel=canonical/og:url on the same site, else the normalised URL."""
    source: str
    fetched_at: datetime
    http_status: int
    body: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class Outcome(StrEnum):
    """What storing a page did; each is a stats key and a column in crawl summaries."""

    NEW = "new"
    """A new article, in a new story."""
    COPY = "copy"
    """A new article on another site, added to the story it copies."""
    DUPLICATE = "duplicate"
    """Another URL of an article already stored (same canonical URL, or same text on the same site)."""
    REVISION = "revision"
    """A stored article whose text changed; the new text is a new revision."""
    UNCHANGED = "unchanged"
    """A stored article fetched again with the same text."""
    SPOOLED = "spooled"
    """Not stored yet: the database was unreachable, so it waits in the local spool (`wiredesk replay`)."""


@dataclass(frozen=True)
class StoreResult:
    """The outcome of storing one page, with the rows it touched."""

    outcome: Outcome
    article_id: int
    story_id: int
