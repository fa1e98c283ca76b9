"""The only code that writes the corpus. The crawler's pipeline and the CLI both go through `Corpus`."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cleaner import CleanArticle
from storage import dedup
from storage.dedup import Fingerprint
from storage.models import Article, ArticleUrl, ListingState, Page, Revision, Story
from storage.records import FetchedPage, Outcome, StoreResult

logger = logging.getLogger(__name__)

# A unique-key race with another writer is retried this many times before giving up.
CONFLICT_RETRIES = 3


@dataclass(frozen=True)
class KnownUrl:
    """What the corpus knows of a URL, for deciding whether to fetch it again."""

    article_id: int
    last_fetched_at: datetime
    etag: str | None
    last_modified: str | None


class Corpus:
    """Store clean articles and answer what is already stored."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def store(self, page: FetchedPage, article: CleanArticle) -> StoreResult:
        """Store one cleaned article page in one transaction and say what it was."""
        return self.store_many([(page, article)])[0]

    def store_many(self, items: list[tuple[FetchedPage, CleanArticle]]) -> list[StoreResult]:
        """Store a batch in one transaction (one commit for many articles).

        A unique-key conflict means another writer stored one of the URLs between our lookup and
        our insert: the batch is rolled back and stored again, article by article, which then
        finds the other writer's rows.
        """
        fingerprints = [Fingerprint.of(article.text) for _, article in items]
        try:
            return self._store_batch(items, fingerprints)
        except IntegrityError:
            logger.debug("unique conflict in a batch of %d: storing one by one", len(items))
        results = []
        for item, fingerprint in zip(items, fingerprints, strict=True):
            for attempt in range(CONFLICT_RETRIES):
                try:
                    results.append(self._store_batch([item], [fingerprint])[0])
                    break
                except IntegrityError:
                    if attempt == CONFLICT_RETRIES - 1:
                        raise
        return results

    def _store_batch(
        self, items: list[tuple[FetchedPage, CleanArticle]], fingerprints: list[Fingerprint]
    ) -> list[StoreResult]:
        with self._sessions.begin() as session:
            dedup.lock_for_insert(session, fingerprints)
            return [
                _store(session, page, article, fingerprint)
                for (page, article), fingerprint in zip(items, fingerprints, strict=True)
            ]

    def known_urls(self, urls: Iterable[str]) -> dict[str, KnownUrl]:
        """The stored articles reached by any of these URLs, keyed by URL."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, KnownUrl] = {}
        with self._sessions() as session:
            for chunk_start in range(0, len(wanted), 500):
                chunk = wanted[chunk_start : chunk_start + 500]
                rows = session.execute(
                    select(
                        ArticleUrl.url,
                        Article.id,
                        Article.last_fetched_at,
                        Article.etag,
                        Article.last_modified,
                    )
                    .join(Article, Article.id == ArticleUrl.article_id)
                    .where(ArticleUrl.url.in_(chunk))
                )
                for url, article_id, fetched_at, etag, modified in rows:
                    found[url] = KnownUrl(article_id, fetched_at, etag, modified)
        return found

    def listing_validators(self, urls: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        """ETag and Last-Modified last seen for these feeds and sitemaps, for conditional GET."""
        with self._sessions() as session:
            rows = session.execute(
                select(ListingState.url, ListingState.etag, ListingState.last_modified).where(
                    ListingState.url.in_(list(urls))
                )
            )
            return {url: (etag, modified) for url, etag, modified in rows}

    def save_listing_validators(
        self, validators: dict[str, tuple[str | None, str | None]], at: datetime
    ) -> None:
        """Remember validators; called when a crawl ends well, so a killed crawl lists everything again."""
        with self._sessions.begin() as session:
            for url, (etag, modified) in validators.items():
                session.merge(ListingState(url=url, etag=etag, last_modified=modified, fetched_at=at))

    def count_articles(self) -> int:
        """How many articles are stored."""
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(Article)) or 0


def _store(
    session: Session, page: FetchedPage, article: CleanArticle, fingerprint: Fingerprint
) -> StoreResult:
    page_urls = list(dict.fromkeys((page.canonical_url, page.final_url, page.url)))
    digest = fingerprint.text_hash
    existing = _article_by_urls(session, page_urls)
    if existing is None:
        existing = _same_text_on_site(session, _site(page.canonical_url), digest)
        if existing is not None:
            _add_urls(session, existing.id, page_urls, page.fetched_at)
            return StoreResult(Outcome.DUPLICATE, existing.id, existing.story_id)
        return _insert_article(session, page, article, fingerprint, page_urls)
    added = _add_urls(session, existing.id, page_urls, page.fetched_at)
    if existing.text_hash == digest:
        existing.last_fetched_at = page.fetched_at
        existing.etag, existing.last_modified = page.etag, page.last_modified
        outcome = Outcome.DUPLICATE if page.url in added else Outcome.UNCHANGED
        return StoreResult(outcome, existing.id, existing.story_id)
    return _add_revision(session, existing, page, article, fingerprint)


def _article_by_urls(session: Session, urls: list[str]) -> Article | None:
    return session.scalar(
        select(Article)
        .join(ArticleUrl, ArticleUrl.article_id == Article.id)
        .where(ArticleUrl.url.in_(urls))
        .limit(1)
    )


def _same_text_on_site(session: Session, site: str, digest: str) -> Article | None:
    return session.scalar(select(Article).where(Article.site == site, Article.text_hash == digest).limit(1))


def _add_urls(session: Session, article_id: int, urls: list[str], seen_at: datetime) -> set[str]:
    """Record the URLs not yet known to lead to the article; return those that were new."""
    known = set(session.scalars(select(ArticleUrl.url).where(ArticleUrl.url.in_(urls))))
    added = {url for url in urls if url not in known}
    session.add_all(ArticleUrl(url=url, article_id=article_id, first_seen_at=seen_at) for url in added)
    return added


def _insert_article(
    session: Session, page: FetchedPage, article: CleanArticle, fingerprint: Fingerprint, urls: list[str]
) -> StoreResult:
    digest = fingerprint.text_hash
    story_id = dedup.find_story(session, fingerprint, article.published)
    outcome = Outcome.COPY if story_id is not None else Outcome.NEW
    if story_id is None:
        story = Story(
            title=article.title, first_seen_at=page.fetched_at, first_published_at=article.published
        )
        session.add(story)
        session.flush()
        story_id = story.id
    row = Article(
        url=page.canonical_url,
        source=page.source,
        site=_site(page.canonical_url),
        story_id=story_id,
        text=article.text,
        text_hash=digest,
        minhash=dedup.stored_signature(fingerprint),
        revision_count=1,
        http_status=page.http_status,
        first_fetched_at=page.fetched_at,
        last_fetched_at=page.fetched_at,
        etag=page.etag,
        last_modified=page.last_modified,
        **_metadata(article),
    )
    session.add(row)
    session.flush()
    _add_urls(session, row.id, urls, page.fetched_at)
    raw = _add_page(session, page, row.id, outcome)
    session.add(
        Revision(
            article_id=row.id,
            number=1,
            fetched_at=page.fetched_at,
            title=article.title,
            text=article.text,
            text_hash=digest,
            page_id=raw.id,
        )
    )
    dedup.index_article(session, row.id, fingerprint)
    _update_story(session.get_one(Story, story_id), row)
    return StoreResult(outcome, row.id, story_id)


def _update_story(story: Story, copy: Article) -> None:
    """A new copy may be the story's first publication, or a better representative.

    The representative is the copy published first (the wire original usually is), then the
    longest text; copies without a publication time count by when they were first fetched.
    """
    if copy.published_at is not None and (
        story.first_published_at is None or copy.published_at < story.first_published_at
    ):
        story.first_published_at = copy.published_at
    current = story.representative
    if current is None or _representative_key(copy) < _representative_key(current):
        story.representative = copy
        story.title = copy.title or story.title


def _representative_key(article: Article) -> tuple[object, int]:
    return (article.published_at or article.first_fetched_at, -len(article.text))


def _add_revision(
    session: Session, existing: Article, page: FetchedPage, article: CleanArticle, fingerprint: Fingerprint
) -> StoreResult:
    digest = fingerprint.text_hash
    raw = _add_page(session, page, existing.id, Outcome.REVISION)
    existing.revision_count += 1
    session.add(
        Revision(
            article_id=existing.id,
            number=existing.revision_count,
            fetched_at=page.fetched_at,
            title=article.title,
            text=article.text,
            text_hash=digest,
            page_id=raw.id,
        )
    )
    existing.text, existing.text_hash = article.text, digest
    existing.minhash = dedup.stored_signature(fingerprint)
    dedup.index_article(session, existing.id, fingerprint)
    existing.last_fetched_at, existing.http_status = page.fetched_at, page.http_status
    existing.etag, existing.last_modified = page.etag, page.last_modified
    for key, value in _metadata(article).items():
        setattr(existing, key, value)
    return StoreResult(Outcome.REVISION, existing.id, existing.story_id)


def _add_page(session: Session, page: FetchedPage, article_id: int, outcome: Outcome) -> Page:
    raw = Page(
        url=page.url,
        final_url=page.final_url,
        source=page.source,
        fetched_at=page.fetched_at,
        http_status=page.http_status,
        content_type=page.content_type,
        body_zlib=zlib.compress(page.body, 6),
        article_id=article_id,
        outcome=outcome.value,
    )
    session.add(raw)
    session.flush()
    return raw


def _metadata(article: CleanArticle) -> dict[str, object]:
    return {
        "title": article.title,
        "summary": article.summary,
        "authors": list(article.authors),
        "agency": article.agency,
        "dateline": article.dateline,
        "published_at": article.published,
        "modified_at": article.modified,
        "language": article.language,
    }


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")
