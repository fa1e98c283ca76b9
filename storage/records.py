"""What the crawler hands to storage, and what storage answers: plain data shared by both sides."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:  # a type only: importing cleaner here would load trafilatura for `wiredesk sql`
    from cleaner.fingerprint import TextPrint


@dataclass(frozen=True)
class FetchedPage:
    """One fetched article page as the crawler saw it, from its fetch to its rows.

    Built with `fetched` (its identity its own URL), then given the identity its cleaned text
    claims with `claiming`: the canonical URL is decided there and nowhere else. The crawl's item
    (`crawler.items.ArticlePage`) is this record with what the crawl adds on the way.
    """

    url: str
    """The URL that was requested."""
    final_url: str
    """The URL after redirects."""
    canonical_url: str
    """The identity the page claims: rel=canonical/og:url on the same site, else its normalised URL
    (`claiming`, by `storage.urls.page_identity`). Storage refuses the claim when it names another
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
    text_hash: str | None = None
    """`cleaner.fingerprint.text_hash` of the text of the article stored with this page, when the
    cleaning worker computed it (in parallel, where the page was cleaned): storage takes it instead
    of hashing the text again in its one writer thread. Set with the article, never apart from it."""
    signature: tuple[int, ...] | None = None
    """Its MinHash signature (`cleaner.fingerprint.minhash`), computed with `text_hash`: an insert's
    most costly computation leaves the writer. None: storage computes it."""
    anchors: tuple[int, ...] | None = None
    """Its containment anchors (`cleaner.fingerprint.anchors`), computed with `text_hash`."""

    def __post_init__(self) -> None:
        # Read back from a spool's JSON they are lists: tuples again, so the page is equal to itself.
        for name in ("signature", "anchors"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    @classmethod
    def fetched(cls, url: str, final_url: str, **fields: Any) -> Self:
        """A page as fetched: until its text claims an identity, it is its own URL, normalised."""
        from storage.urls import normalise_url

        return cls(url=url, final_url=final_url, canonical_url=normalise_url(final_url), **fields)

    def printed(self, prints: TextPrint | None) -> Self:
        """This page with what the cleaning worker computed of its article's text (None: nothing)."""
        if prints is None:
            return replace(self, text_hash=None, signature=None, anchors=None)
        return replace(self, text_hash=prints.text_hash, signature=prints.signature, anchors=prints.anchors)

    def claiming(self, declared: str | None) -> Self:
        """This page with the identity its rel=canonical or og:url (`declared`) gives it."""
        from storage.urls import page_identity  # with the cleaner's bounds: the writer's side only

        identity = page_identity(self.final_url, declared)
        return replace(self, canonical_url=identity.canonical, declared_original=identity.original)


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
