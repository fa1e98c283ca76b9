"""The corpus schema: SQLAlchemy 2 typed models, identical on SQLite and PostgreSQL.

`articles` has one row per article URL (its canonical URL) and `stories` one row per story, a
cluster of copies of the same text on one or many sites. Nothing is overwritten: every fetched
article page is kept raw in `pages`, every text an article has had is a row in `revisions`.
docs/schema.md documents every table for SQL users.

URLs, HTTP headers and free text are TEXT: what bounds them is `storage/bounds.py`, the same on
both backends. The few VARCHAR(n) columns hold values that bounds.py caps at n.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

# SQLite has no 64-bit integer identity apart from INTEGER PRIMARY KEY, which BigInteger would lose.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of every wiredesk table."""


class Story(Base):
    """A story: one text that one or many sites carried, possibly edited. Articles point at it.

    Stories found to be one (a text similar to copies of both) are merged: the oldest keeps its
    id, the others keep their row with `merged_into` set and no articles (`story_merges` says when
    and why).
    """

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    representative_article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", use_alter=True, name="fk_stories_representative", ondelete="SET NULL")
    )
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", name="fk_stories_merged_into"), index=True
    )
    """The story this one was merged into (always a live one: chains are flattened); None while live."""
    representative: Mapped[Article | None] = relationship(
        foreign_keys=[representative_article_id], lazy="joined"
    )


class StoryMerge(Base):
    """One story merged into another: when, and the text that showed they were one."""

    __tablename__ = "story_merges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), index=True)
    """The story merged away (its row stays, with `merged_into` set)."""
    into_story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), index=True)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    """The article whose text was similar to copies of both stories."""
    similarity: Mapped[float] = mapped_column(Float)
    """Jaccard similarity of that text with the merged story's closest copy."""
    cause: Mapped[str] = mapped_column(String(20))
    """What brought the text: `copy` (a new article) or `revision` (an article's new text)."""


class Article(Base):
    """One article URL and the clean text it has now; older texts are in `revisions`."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    site: Mapped[str] = mapped_column(Text, index=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    agency: Mapped[str | None] = mapped_column(String(100), index=True)
    dateline: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    """MinHash signature of the text (cleaner.fingerprint), for verifying near-duplicate candidates."""
    revision_count: Mapped[int] = mapped_column(Integer, default=1)
    http_status: Mapped[int] = mapped_column(Integer)
    first_fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    declared_original: Mapped[str | None] = mapped_column(Text)
    """The URL on another site that the page declares as its original (rel=canonical, og:url)."""
    language_detected: Mapped[bool | None] = mapped_column(Boolean)
    """True when `language` was guessed from the text (the page declared none); None before 0009."""
    top_image: Mapped[str | None] = mapped_column(Text)
    images: Mapped[list[dict[str, str | None]] | None] = mapped_column(JSON)
    """[{"url", "caption"}] in page order; None for articles stored before migration 0009."""
    keywords: Mapped[list[str] | None] = mapped_column(JSON)
    free_access: Mapped[bool | None] = mapped_column(Boolean)
    """The page's own paywall markup (isAccessibleForFree): False paywalled, None unsaid."""


class MinhashBand(Base):
    """The near-duplicate index: one row per band of each article's MinHash signature, and per anchor.

    Articles sharing a (band, bucket) are candidate copies of one another; looking them up is an
    index probe per band, whatever the size of the corpus. See docs/dedup.md.

    `article_id` has no foreign key (migration 0013): only storage writes these rows, for articles
    its own transaction has just written, and the key's check (a trigger per row, 74 per article)
    was a third of the rows' insert cost on PostgreSQL. Deleting an article still drops its rows:
    a trigger on `articles` does it (migration 0013).
    """

    __tablename__ = "minhash_bands"

    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigId, primary_key=True, index=True)


class ArticleUrl(Base):
    """Every URL that led to an article: its canonical URL, tracking variants, exact copies on its site."""

    __tablename__ = "article_urls"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Revision(Base):
    """One text an article has had. Number 1 is the first; the highest is the article's current text."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="SET NULL"))
    cause: Mapped[str] = mapped_column(String(20), default="fetch", server_default="fetch")
    """`fetch`: the publisher's text as fetched; `reclean`: the same raw page cleaned again
    (`wiredesk reclean`), by a newer cleaner or with the site's memory."""


class SiteLine(Base):
    """A line of article text seen on a site, and the different stories it was seen on (site memory).

    A line seen on `FURNITURE_STORIES` different stories of one site is that site's furniture
    (storage/sitememory.py). `story_ids` holds at most that many ids: past it, only the time moves.
    """

    __tablename__ = "site_lines"
    __table_args__ = (Index("ix_site_lines_site_seen", "site", "last_seen_at"),)

    site: Mapped[str] = mapped_column(Text, primary_key=True)
    """The registered domain of the articles (example.co.uk for news.example.co.uk)."""
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    """`cleaner.furniture_key` of the line."""
    story_ids: Mapped[str] = mapped_column(Text)
    """The distinct stories it was seen on, comma-separated ids, at most `FURNITURE_STORIES`."""
    stories: Mapped[int] = mapped_column(SmallInteger)
    """How many ids `story_ids` holds."""
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    furniture_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it was seen on its `FURNITURE_STORIES`-th story (became furniture); None before."""


class Page(Base):
    """A raw fetched article page, zlib-compressed, so the corpus can be cleaned again later.

    A page is kept on first fetch and whenever its text changed; a refetch with the same text only
    moves `articles.last_fetched_at`.
    """

    __tablename__ = "pages"
    __table_args__ = (Index("ix_pages_url_fetched", "url", "fetched_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    http_status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(Text)
    body_zlib: Mapped[bytes] = mapped_column(LargeBinary)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)


class CrawlRun(Base):
    """One crawl of a source: when, how it ended, and its figures. The daemon writes one per run."""

    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_source_started", "source", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(40))
    """running, finished, failed, killed (time limit), interrupted (daemon stopped)."""
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    revisions: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    """Errors by kind: {"dns": 1, "http-503": 4}."""
    message: Mapped[str | None] = mapped_column(Text)


class ListingState(Base):
    """HTTP validators of a feed or sitemap, for conditional GET on the next crawl."""

    __tablename__ = "listing_states"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PendingArticle(Base):
    """An article URL a listing named that is not stored yet: later crawls of its source ask
    for it again, even once no listing names it, until it is stored, found to hold no article, or
    given up (storage/pending.py)."""

    __tablename__ = "pending_articles"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    first_listed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When its last fetch failed; None while no fetch of it has failed."""
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Fetches of it that failed (an HTTP error, a timeout, a page lost on its way to storage)."""
    last_error: Mapped[str | None] = mapped_column(String(40))
    """The kind of the last failure (`http-503`, `timeout`, `worker_died`...)."""
    found_by: Mapped[str] = mapped_column(String(20), server_default="listing")
    """What named it: `feed`, `sitemap` or `section` (a section page's link); it is asked for again as
    such. `listing`: a feed or sitemap, for rows written before this was kept."""
    refused: Mapped[str | None] = mapped_column(String(40))
    """Why its last request was refused on purpose (`robots`, `offsite_redirect`...); None if not."""
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DaemonLock(Base):
    """Who runs `wiredesk daemon` on this database: one row, kept fresh by the holder's heartbeat.

    On SQLite the row is the lock (a stale heartbeat lets another daemon take it over); on
    PostgreSQL an advisory lock is, and the row only says who holds it (storage/daemonlock.py).
    """

    __tablename__ = "daemon_lock"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    """A token unique to the holding process."""
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WarcImport(Base):
    """How far `wiredesk import` got in one WARC file: where its next record starts, and if it is done.

    The offset moves in the same transaction as the articles of the records before it, so an
    import killed at any point resumes at the first record not committed (storage/archives.py).
    """

    __tablename__ = "warc_imports"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    """The file as given: its URL, or its absolute path."""
    next_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    """Bytes of the file (as stored: compressed) before the first record not imported yet."""
    records: Mapped[int] = mapped_column(BigInteger, default=0)
    """Records read before `next_offset`."""
    size: Mapped[int | None] = mapped_column(BigInteger)
    """The file's size in bytes, once imported (when the server said it)."""
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set once every record was read: a later import of the same file skips it."""
