"""The only code that writes the corpus. The crawler's pipeline and the CLI both go through `Corpus`.

A batch is stored in one transaction with few statements (SQLAlchemy Core, not ORM objects): what
it needs to know of the stored articles is read with two queries for the whole batch, the batch's
own earlier items are kept in memory (`_Batch`), and rows that nothing in the batch reads back
(URLs, raw pages, revisions, refreshed fetch times, story updates) are written together at its
end. Only what a near-copy lookup reads (articles, stories, band index) is written as it goes.

A failure is per page, never per batch: a page refused by `storage.bounds`, or whose rows the
database refuses, fails alone and is kept raw in `pages` as failed; only a database that cannot be
reached stops a batch (`StoreInterrupted`).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from cleaner import CleanArticle
from cleaner.fingerprint import signature_from_bytes
from storage import dedup, sitememory
from storage.bounds import (
    ETAG_CHARS,
    LAST_MODIFIED_CHARS,
    Refused,
    bounded_article,
    bounded_page,
    url_fits,
    whole_or_none,
)
from storage.dedup import Fingerprint
from storage.engine import database_away, one_line
from storage.failures import record_failed_page
from storage.models import Article, ArticleUrl, ListingState, Page, Revision
from storage.records import FetchedPage, Outcome, StoreResult
from storage.stories import Copy, Stories, retrying_deadlocks
from storage.urls import site_of

logger = logging.getLogger(__name__)

# A unique-key race with another writer is retried this many times before giving up.
CONFLICT_RETRIES = 3
# Values per IN list, well under SQLite's and PostgreSQL's limits on bound parameters.
IN_CHUNK = 500

_ARTICLES, _URLS, _PAGES = Article.__table__, ArticleUrl.__table__, Page.__table__
_REVISIONS = Revision.__table__


class StoreInterrupted(Exception):
    """The database went away while a batch was stored; the pages without a result were not written.

    `results` is in the batch's order: None for a page not written (to be spooled), else what
    became of it (stored page by page before the database went, or refused before writing).
    """

    def __init__(self, results: list[StoreResult | None], cause: BaseException) -> None:
        super().__init__(one_line(cause))
        self.results = results


# One page ready to be written: its place in the batch, its values within bounds, its fingerprint.
_Ready = tuple[int, FetchedPage, CleanArticle, Fingerprint]
# One page that failed: its place in the batch, the page, why.
_Failed = tuple[int, FetchedPage, str]


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

    def store_many(
        self,
        items: list[tuple[FetchedPage, CleanArticle]],
        also: Callable[[Connection], None] | None = None,
    ) -> list[StoreResult]:
        """Store a batch in one transaction (one commit for many articles); a bad page fails alone.

        Each item is stored as if the ones before it were already committed. When the batch fails
        for any reason but the database being away (a unique-key race with another writer, a row
        the database refuses, a bug), it is rolled back and stored again page by page, each in its
        own transaction: a race then finds the other writer's rows, and a page that fails again
        fails alone, with outcome FAILED and the reason, its raw page kept in `pages` as failed.
        A page `storage.bounds` refuses fails the same way without being tried.

        `also` runs in the batch's transaction (or in its own after the pages, when they were
        stored one by one): an import's progress moves with the articles (storage/archives.py).

        Raises StoreInterrupted when the database cannot be reached (`database_away`).
        """
        results: list[StoreResult | None] = [None] * len(items)
        failed: list[_Failed] = []
        ready: list[_Ready] = []
        for index, (page, article) in enumerate(items):
            try:
                bounded = bounded_page(page), bounded_article(article)
            except Refused as refusal:
                failed.append((index, page, str(refusal)))
                continue
            ready.append((index, *bounded, Fingerprint.of(bounded[1].text)))
        try:
            stored = retrying_deadlocks(partial(self._store_batch, ready, also))
        except Exception as error:
            if database_away(error):
                raise StoreInterrupted(self._failed(failed, results, keep=False), error) from error
            logger.debug("batch of %d failed (%s): storing one by one", len(ready), one_line(error))
            self._store_one_by_one(ready, results, failed)
            if also is not None:
                self._also_alone(also, results, failed)
        else:
            for (index, *_), result in zip(ready, stored, strict=True):
                results[index] = result
        return [result for result in self._failed(failed, results, keep=True) if result is not None]

    def _store_one_by_one(
        self, ready: list[_Ready], results: list[StoreResult | None], failed: list[_Failed]
    ) -> None:
        """Each page in its own transaction, into `results`; those that fail join `failed`, with why."""
        for index, page, article, fingerprint in ready:
            for attempt in range(CONFLICT_RETRIES):
                try:
                    one = [(index, page, article, fingerprint)]
                    results[index] = retrying_deadlocks(partial(self._store_batch, one))[0]
                    break
                except IntegrityError as error:
                    if attempt == CONFLICT_RETRIES - 1:
                        failed.append((index, page, one_line(error)))
                except Exception as error:
                    if database_away(error):
                        raise StoreInterrupted(self._failed(failed, results, keep=False), error) from error
                    failed.append((index, page, one_line(error)))
                    break

    def _also_alone(
        self, also: Callable[[Connection], None], results: list[StoreResult | None], failed: list[_Failed]
    ) -> None:
        try:
            with self.engine.begin() as connection:
                also(connection)
        except Exception as error:
            if database_away(error):
                raise StoreInterrupted(self._failed(failed, results, keep=False), error) from error
            raise

    def _failed(
        self, failed: list[_Failed], results: list[StoreResult | None], keep: bool
    ) -> list[StoreResult | None]:
        """Set the failed pages' results; with `keep`, their raw pages go to `pages` as failed.

        Keeping them is what bounds later attempts (WIREDESK_CLEAN_FAILURES); a database away
        meanwhile only costs that record, logged.
        """
        for index, page, reason in failed:
            logger.warning("%s: not stored: %s", page.url, reason)
            results[index] = StoreResult(Outcome.FAILED, error=reason)
            if keep:
                try:
                    record_failed_page(self.engine, page, reason)
                except Exception as error:
                    logger.warning("%s: failure not recorded (%s)", page.url, one_line(error))
        return results

    def _store_batch(
        self, ready: list[_Ready], also: Callable[[Connection], None] | None = None
    ) -> list[StoreResult]:
        """Lock the texts, read, plan every item, lock the bands of what is indexed, then write."""
        if not ready and also is None:
            return []
        with self.engine.begin() as connection:
            dedup.lock_texts(connection, (fingerprint.text_hash for *_, fingerprint in ready))
            batch = _Batch(connection)
            batch.read(
                (url for _, page, _, _ in ready for url in _page_urls(page)),
                (fingerprint.text_hash for *_, fingerprint in ready),
            )
            steps = [batch.plan(page, article, fingerprint) for _, page, article, fingerprint in ready]
            indexed = [step.fingerprint for step in steps if step.kind in _INDEXED]
            batch.share_signatures(indexed)
            dedup.lock_bands(connection, indexed)
            revisions = sum(step.kind is _Kind.REVISION for step in steps)
            batch.near = dedup.NearIndex(connection, indexed, revisions)
            results = [batch.write(step) for step in steps]
            batch.finish()
            if also is not None:
                also(connection)
            return results

    def store_recleaned(self, items: list[Recleaned]) -> list[bool | None]:
        """Store re-cleaned texts in one transaction: for each item, True when its text changed.

        A changed text becomes the article's text, a revision with cause `reclean` (the raw page
        it came from, not a new fetch), and goes through story assignment again like a publisher
        revision: indexed again, linked, maybe merging stories. None: the article is gone, or its
        text is one storage refuses. Raises what the database raises (the caller counts the batch
        as failed); a deadlock is retried.
        """
        ready: list[tuple[Recleaned, CleanArticle, Fingerprint] | None] = []
        for item in items:
            try:
                article = bounded_article(item.article)
            except Refused as refusal:
                logger.warning("article %d: re-cleaned text refused: %s", item.article_id, refusal)
                ready.append(None)
                continue
            ready.append((item, article, Fingerprint.of(article.text)))
        return retrying_deadlocks(partial(self._store_recleaned, ready))

    def _store_recleaned(
        self, ready: list[tuple[Recleaned, CleanArticle, Fingerprint] | None]
    ) -> list[bool | None]:
        with self.engine.begin() as connection:
            dedup.lock_texts(connection, (fingerprint.text_hash for _, _, fingerprint in filter(None, ready)))
            stored = _lock_articles(connection, [item.article_id for item, _, _ in filter(None, ready)])
            changed = [
                (item, article, fingerprint, stored[item.article_id])
                for item, article, fingerprint in filter(None, ready)
                if item.article_id in stored and stored[item.article_id].text_hash != fingerprint.text_hash
            ]
            dedup.lock_bands(connection, [fingerprint for _, _, fingerprint, _ in changed])
            batch = _Batch(connection)
            batch.near = dedup.NearIndex(
                connection, [fingerprint for _, _, fingerprint, _ in changed], len(changed)
            )
            for item, article, fingerprint, target in changed:
                target.revision_count += 1
                target.text_hash = fingerprint.text_hash
                connection.execute(
                    update(_ARTICLES)
                    .where(_ARTICLES.c.id == target.id)
                    .values(
                        revision_count=target.revision_count,
                        text=article.text,
                        text_hash=fingerprint.text_hash,
                        minhash=dedup.stored_signature(fingerprint),
                        **_metadata(article),
                    )
                )
                batch.revisions.append(
                    {
                        "article_id": target.id,
                        "number": target.revision_count,
                        "fetched_at": item.fetched_at,
                        "title": article.title,
                        "text": article.text,
                        "text_hash": fingerprint.text_hash,
                        "page_id": item.page_id,
                        "cause": RECLEAN,
                    }
                )
                batch.relink(target, fingerprint, article, RECLEAN)
                batch.saw(item.url, article, _story(target), item.fetched_at)
            if batch.revisions:
                connection.execute(insert(_REVISIONS), batch.revisions)
            batch.revisions.clear()
            batch.finish()
        now_changed = {item.article_id for item, *_ in changed}
        return [
            None if entry is None or entry[0].article_id not in stored else entry[0].article_id in now_changed
            for entry in ready
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
        """Remember validators; called when a crawl ends well, so a killed crawl lists everything again.

        A validator too long to be one is not kept (the next crawl reads that listing in full).
        """
        with self._sessions.begin() as session:
            for url, (etag, modified) in validators.items():
                if url_fits(url):
                    state = ListingState(
                        url=url,
                        etag=whole_or_none(etag, ETAG_CHARS),
                        last_modified=whole_or_none(modified, LAST_MODIFIED_CHARS),
                        fetched_at=at,
                    )
                    session.merge(state)

    def count_articles(self) -> int:
        """How many articles are stored."""
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(Article)) or 0


# `revisions.cause` of a text that is a raw page cleaned again, not a new fetch.
RECLEAN = "reclean"


@dataclass(frozen=True)
class Recleaned:
    """A stored article's raw page cleaned again: what `Corpus.store_recleaned` stores if it changed."""

    article_id: int
    page_id: int
    url: str
    """The page's final URL (its site's memory learns from the text)."""
    fetched_at: datetime
    article: CleanArticle


def _lock_articles(connection: Connection, article_ids: list[int]) -> dict[int, _Stored]:
    """The articles, locked against a concurrent revision (PostgreSQL; SQLite holds the write lock)."""
    columns = (_ARTICLES.c.id, _ARTICLES.c.story_id, _ARTICLES.c.site, _ARTICLES.c.text_hash)
    found: dict[int, _Stored] = {}
    for start in range(0, len(article_ids), IN_CHUNK):
        query = (
            select(*columns, _ARTICLES.c.revision_count)
            .where(_ARTICLES.c.id.in_(sorted(article_ids)[start : start + IN_CHUNK]))
            .order_by(_ARTICLES.c.id)
            .with_for_update(key_share=True)
        )
        for row in connection.execute(query):
            found[row.id] = _Stored(row.site, row.text_hash, row.revision_count, row.id, row.story_id)
    return found


class _Kind(Enum):
    """What storing one page does to the corpus."""

    REFRESH = "refresh"
    """A stored article fetched again with the same text: its fetch time and validators move."""
    SITE_DUPLICATE = "site duplicate"
    """The text is already stored on this site under another URL: only the new URLs are recorded."""
    REVISION = "revision"
    """A stored article with a new text."""
    INSERT = "insert"
    """A new article, in a new story or in the story of a copy."""


# Steps whose text goes into the band index, so whose band keys are locked first.
_INDEXED = frozenset({_Kind.REVISION, _Kind.INSERT})


@dataclass(eq=False)
class _Stored:
    """An article as a batch sees it: read from the corpus, or inserted by the batch (ids set on write)."""

    site: str
    text_hash: str
    revision_count: int
    id: int | None = None
    story_id: int | None = None


@dataclass(eq=False)
class _Step:
    """What storing one item will do, decided before anything is written (so that locks come first)."""

    kind: _Kind
    page: FetchedPage
    article: CleanArticle
    fingerprint: Fingerprint
    target: _Stored
    new_urls: list[str]
    """The page's URLs that lead to no article yet: recorded for the target."""
    outcome: Outcome | None = None
    """Known when planned, except for an insert: new story or copy is found when it is written."""
    number: int = 1
    """The revision number the page's text gets."""
    exact: _Stored | None = None
    """An insert: a stored exact copy (on another site) at this point of the batch, if any."""
    url: str = ""
    """An insert: the new article's identity (`articles.url`)."""


@dataclass
class _Batch:
    """One batch being stored: the corpus as its items see it, and the rows written at its end.

    Each item must be stored as if the ones before it were committed; `plan` and `write` keep the
    articles read at the start, and those the batch inserts or revises, up to date in memory.
    """

    connection: Connection
    by_url: dict[str, _Stored] = field(default_factory=dict)
    by_hash: dict[str, list[_Stored]] = field(default_factory=dict)
    """Every article with each of the batch's text hashes (stored ones by id, then the batch's own)."""
    stories: Stories = field(init=False)
    near: dedup.NearIndex | None = None
    """The band index as the batch sees it, once the bands of what it indexes are locked."""
    new_urls: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    """One per page, in the same order: each kept page is the raw page of a new revision."""
    refreshed: dict[int, dict[str, Any]] = field(default_factory=dict)
    hash_holders: dict[str, int] = field(default_factory=dict)
    """Per text hash of the batch, the first stored article read with it (its signature is the text's)."""
    sightings: list[sitememory.Sighting] = field(default_factory=list)
    """The lines of every text the batch stores, for the site memory."""

    def __post_init__(self) -> None:
        self.stories = Stories(self.connection)

    def read(self, urls: Iterable[str], hashes: Iterable[str]) -> None:
        """Two queries for the whole batch: the articles its URLs lead to, and those with its texts."""
        articles: dict[int, _Stored] = {}
        columns = (_ARTICLES.c.id, _ARTICLES.c.story_id, _ARTICLES.c.site, _ARTICLES.c.text_hash)
        columns += (_ARTICLES.c.revision_count,)

        def stored(row: Any) -> _Stored:
            return articles.setdefault(
                row.id, _Stored(row.site, row.text_hash, row.revision_count, row.id, row.story_id)
            )

        by_url = select(_URLS.c.url, *columns).join(_ARTICLES, _ARTICLES.c.id == _URLS.c.article_id)
        for among in dedup.member_of(self.connection, _URLS.c.url, list(dict.fromkeys(urls))):
            for row in self.connection.execute(by_url.where(among)):
                self.by_url[row.url] = stored(row)
        by_hash = select(*columns).order_by(_ARTICLES.c.id)
        for among in dedup.member_of(self.connection, _ARTICLES.c.text_hash, list(dict.fromkeys(hashes))):
            for row in self.connection.execute(by_hash.where(among)):
                self.by_hash.setdefault(row.text_hash, []).append(stored(row))
                self.hash_holders.setdefault(row.text_hash, row.id)

    def share_signatures(self, fingerprints: list[Fingerprint]) -> None:
        """Give each text the signature of a stored text with its hash, or of the batch's first text
        with it: only texts new to the corpus and the batch are MinHashed."""
        known: dict[str, np.ndarray] = {}
        wanted = sorted(
            {self.hash_holders[f.text_hash] for f in fingerprints if f.text_hash in self.hash_holders}
        )
        signatures = select(_ARTICLES.c.text_hash, _ARTICLES.c.minhash)
        for among in dedup.member_of(self.connection, _ARTICLES.c.id, wanted):
            for digest, signature in self.connection.execute(signatures.where(among)):
                if signature is not None:
                    known[digest] = signature_from_bytes(signature)
        for fingerprint in fingerprints:
            if fingerprint.text_hash in known:
                fingerprint.take_signature(known[fingerprint.text_hash])
            else:
                known[fingerprint.text_hash] = fingerprint.signature

    def plan(self, page: FetchedPage, article: CleanArticle, fingerprint: Fingerprint) -> _Step:
        """Decide what storing the item does; what it will write is visible to the items after it.

        A page whose canonical URL names a stored article with the same text is one more URL of
        it. Else a page fetched at a URL of a stored article is that article, refreshed or revised.
        Else, a canonical URL naming a stored article with another text is not followed: a page may
        not take another's identity to replace its title and text, so it becomes an article of its
        own, under its own URL.
        """
        own = list(dict.fromkeys((page.final_url, page.url)))
        identity = page.canonical_url
        named = self.by_url.get(identity)
        if named is not None and named.text_hash == fingerprint.text_hash:
            existing: _Stored | None = named
        else:
            existing = next((self.by_url[url] for url in own if url in self.by_url), None)
            if existing is None and named is not None:
                logger.info("%s: canonical URL %s is another article's: not followed", page.url, identity)
                identity = page.final_url
        new_urls = [url for url in dict.fromkeys((identity, *own)) if url not in self.by_url]
        if existing is None:
            step = self._plan_unknown(page, article, fingerprint, new_urls, identity)
        else:
            step = self._plan_known(existing, page, article, fingerprint, new_urls)
        for url in new_urls:
            self.by_url[url] = step.target
        return step

    def _plan_known(
        self,
        existing: _Stored,
        page: FetchedPage,
        article: CleanArticle,
        fingerprint: Fingerprint,
        new_urls: list[str],
    ) -> _Step:
        step = _Step(_Kind.REFRESH, page, article, fingerprint, existing, new_urls)
        if existing.text_hash == fingerprint.text_hash:
            step.outcome = Outcome.DUPLICATE if page.url in new_urls else Outcome.UNCHANGED
        else:
            self._rehash(existing, fingerprint.text_hash)
            existing.revision_count += 1
            step.kind, step.outcome, step.number = _Kind.REVISION, Outcome.REVISION, existing.revision_count
        return step

    def _plan_unknown(
        self,
        page: FetchedPage,
        article: CleanArticle,
        fingerprint: Fingerprint,
        new_urls: list[str],
        identity: str,
    ) -> _Step:
        site = site_of(identity)
        copies = self.by_hash.setdefault(fingerprint.text_hash, [])
        same_site = next((stored for stored in copies if stored.site == site), None)
        if same_site is not None:
            return _Step(
                _Kind.SITE_DUPLICATE, page, article, fingerprint, same_site, new_urls, Outcome.DUPLICATE
            )
        target = _Stored(site, fingerprint.text_hash, 1)
        exact = next(iter(copies), None)
        step = _Step(_Kind.INSERT, page, article, fingerprint, target, new_urls, exact=exact, url=identity)
        copies.append(target)
        return step

    def _rehash(self, stored: _Stored, digest: str) -> None:
        old = self.by_hash.get(stored.text_hash, [])
        if stored in old:
            old.remove(stored)
        stored.text_hash = digest
        self.by_hash.setdefault(digest, []).append(stored)

    def write(self, step: _Step) -> StoreResult:
        """Carry out a planned step, in the order planned."""
        target = step.target
        if step.kind is _Kind.INSERT:
            step.outcome = self._insert(step)
            self.saw(step.page.final_url, step.article, _story(target), step.page.fetched_at)
        elif step.kind is _Kind.REVISION:
            self._revise(step)
            self.saw(step.page.final_url, step.article, _story(target), step.page.fetched_at)
        elif step.kind is _Kind.REFRESH:
            self.refreshed[_id(target)] = {
                "b_id": target.id,
                "b_fetched_at": step.page.fetched_at,
                "b_etag": step.page.etag,
                "b_last_modified": step.page.last_modified,
            }
        self.new_urls += [
            {"url": url, "article_id": target.id, "first_seen_at": step.page.fetched_at}
            for url in step.new_urls
        ]
        assert step.outcome is not None and target.story_id is not None
        return StoreResult(step.outcome, _id(target), target.story_id)

    def _insert(self, step: _Step) -> Outcome:
        page, article, fingerprint, target = step.page, step.article, step.fingerprint, step.target
        links = self._near().find_links(
            fingerprint, article.published, self.stories.current, site=target.site
        )
        if step.exact is not None:
            # Found by its hash even where the band index holds more copies than a probe reads.
            links.append(dedup.Link(_id(step.exact), _story(step.exact), 1.0))
        story_id = self.stories.oldest(links)
        if story_id is None and page.declared_original in self.by_url:
            # No copy of the text found, but the page names its original: the story of that one.
            story_id = self.stories.live(_story(self.by_url[page.declared_original]))
        outcome = Outcome.COPY if story_id is not None else Outcome.NEW
        if story_id is None:
            story_id = self.stories.create(article.title, article.published, page.fetched_at)
        target.story_id = story_id
        target.id = self.connection.execute(
            _INSERT_ARTICLE,
            {
                "url": step.url,
                "source": page.source,
                "site": target.site,
                "story_id": story_id,
                "revision_count": 1,
                "first_fetched_at": page.fetched_at,
                **_text_values(page, article, fingerprint),
            },
        ).scalar_one()
        self._keep_page(step, outcome)
        self._near().add(target.id, fingerprint, story_id, article.published, replace=False, site=target.site)
        self.stories.merge(story_id, links, target.id, "copy")
        self.stories.add_copy(
            story_id, Copy(target.id, article.title, article.published, page.fetched_at, len(article.text))
        )
        return outcome

    def saw(self, url: str, article: CleanArticle, story_id: int, seen_at: datetime) -> None:
        """The site memory sees the text's lines on its story (written at the end of the batch)."""
        keys = frozenset(sitememory.article_keys(article))
        self.sightings.append(sitememory.Sighting(sitememory.site_of(url), story_id, keys, seen_at))

    def _revise(self, step: _Step) -> None:
        page, article, fingerprint, target = step.page, step.article, step.fingerprint, step.target
        self.connection.execute(
            update(_ARTICLES)
            .where(_ARTICLES.c.id == target.id)
            .values(revision_count=step.number, **_text_values(page, article, fingerprint))
        )
        self.refreshed.pop(_id(target), None)
        self._keep_page(step, Outcome.REVISION)
        self.relink(target, fingerprint, article, "revision")

    def relink(self, target: _Stored, fingerprint: Fingerprint, article: CleanArticle, cause: str) -> None:
        """An article's text changed: index it again and put it in the story its links say.

        `cause` is what `story_merges` records if the new text merges stories.
        """
        near = self._near()
        links = near.find_links(
            fingerprint, article.published, self.stories.current, exclude=target.id, site=target.site
        )
        near.add(_id(target), fingerprint, _story(target), article.published, replace=True, site=target.site)
        links.append(dedup.Link(_id(target), _story(target), 1.0))
        story_id = self.stories.oldest(links)
        assert story_id is not None
        self.stories.merge(story_id, links, _id(target), cause)
        self.stories.revised(story_id, _id(target), article.published, len(article.text))
        target.story_id = story_id
        near.moved(_id(target), story_id)

    def _near(self) -> dedup.NearIndex:
        assert self.near is not None, "the band index is read once the bands are locked"
        return self.near

    def _keep_page(self, step: _Step, outcome: Outcome) -> None:
        """The raw page and the revision it carries, written at the end of the batch."""
        page, article = step.page, step.article
        self.pages.append(
            {
                "url": page.url,
                "final_url": page.final_url,
                "source": page.source,
                "fetched_at": page.fetched_at,
                "http_status": page.http_status,
                "content_type": page.content_type,
                "body_zlib": zlib.compress(page.body, 6),
                "article_id": step.target.id,
                "outcome": outcome.value,
            }
        )
        self.revisions.append(
            {
                "article_id": step.target.id,
                "number": step.number,
                "fetched_at": page.fetched_at,
                "title": article.title,
                "text": article.text,
                "text_hash": step.fingerprint.text_hash,
            }
        )

    def finish(self) -> None:
        """Write what the batch deferred: a few statements of many rows each."""
        if self.new_urls:
            self.connection.execute(insert(_URLS), self.new_urls)
        if self.pages:
            page_ids = self.connection.execute(
                insert(_PAGES).returning(_PAGES.c.id, sort_by_parameter_order=True), self.pages
            ).scalars()
            self.connection.execute(
                insert(_REVISIONS),
                [
                    {**revision, "page_id": page_id}
                    for revision, page_id in zip(self.revisions, page_ids, strict=True)
                ],
            )
        if self.refreshed:
            self.connection.execute(_REFRESH, list(self.refreshed.values()))
        if self.near is not None:
            self.near.finish()
        self.stories.finish()
        sitememory.learn(
            self.connection,
            (replace(seen, story_id=self.stories.live(seen.story_id)) for seen in self.sightings),
        )


# Built once: building a statement and its cache key per article cost more than running it.
_INSERT_ARTICLE = insert(_ARTICLES).returning(_ARTICLES.c.id)
_REFRESH = (
    update(_ARTICLES)
    .where(_ARTICLES.c.id == bindparam("b_id"))
    .values(
        last_fetched_at=bindparam("b_fetched_at"),
        etag=bindparam("b_etag"),
        last_modified=bindparam("b_last_modified"),
    )
)


def _id(stored: _Stored) -> int:
    assert stored.id is not None, "an article of the batch is used before it is written"
    return stored.id


def _story(stored: _Stored) -> int:
    assert stored.story_id is not None, "an article of the batch is used before it is written"
    return stored.story_id


def _page_urls(page: FetchedPage) -> list[str]:
    """Every URL a batch must know about for this page: its own, its claim, its declared original."""
    urls = (page.canonical_url, page.final_url, page.url, page.declared_original)
    return [url for url in dict.fromkeys(urls) if url is not None]


def _text_values(page: FetchedPage, article: CleanArticle, fingerprint: Fingerprint) -> dict[str, object]:
    """The columns an insert and a revision both set from the page and its text."""
    return {
        "text": article.text,
        "text_hash": fingerprint.text_hash,
        "minhash": dedup.stored_signature(fingerprint),
        "http_status": page.http_status,
        "last_fetched_at": page.fetched_at,
        "etag": page.etag,
        "last_modified": page.last_modified,
        "declared_original": page.declared_original,
        **_metadata(article),
    }


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
        "language_detected": article.language_detected,
        "top_image": article.top_image,
        "images": [dict(image) for image in article.images],
        "keywords": list(article.keywords),
        "free_access": article.free_access,
    }
