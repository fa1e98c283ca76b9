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
    """The identity the page claims: rel=canonical/og:url on the same site, else its normalised URL
    (decided by `crawler.urls.page_identity`). Storage refuses the claim when it names another
    stored article with a different text."""
    source: str
    fetched_at: datetime
    http_status: int
    body: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    declared_original: str | None = None
    """rel=canonical/og:url when it names another site: the original a republisher declares."""


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
    FAILED = "failed"
    """Not stored: the page or its rows were refused (`StoreResult.error` says why); its raw page is
    kept in `pages` with outcome `failed`, so later crawls stop after WIREDESK_CLEAN_FAILURES tries."""


@dataclass(frozen=True)
class StoreResult:
    """The outcome of storing one page, with the rows it touched (none when it failed)."""

    outcome: Outcome
    article_id: int | None = None
    story_id: int | None = None
    error: str | None = None
    """Why the page failed (outcome FAILED): one line."""
