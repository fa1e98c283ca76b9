"""The only code that writes the corpus. The crawler's pipeline and the CLI both go through `Corpus`.

A batch is stored in one transaction with few statements (SQLAlchemy Core, not ORM objects): how
its items are read, planned and written is `storage.batch`; re-cleaned texts are stored by
`storage.recleaned`.

A failure is per page, never per batch: a page refused by `storage.bounds`, or whose rows the
database refuses, fails alone and is kept raw in `pages` as failed; only a database that cannot be
reached stops a batch (`StoreInterrupted`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from cleaner import CleanArticle
from storage import dedup
from storage.batch import Batch, page_urls
from storage.bounds import (
    ETAG_CHARS,
    LAST_MODIFIED_CHARS,
    Refused,
    bounded_article,
    bounded_page,
    url_fits,
    whole_or_none,
)
from storage.claims import held_by_claim
from storage.dedup import Fingerprint
from storage.engine import database_away, one_line
from storage.failures import record_failed_page
from storage.models import Article, ArticleUrl, ListingState
from storage.recleaned import Recleaned, store_changed
from storage.records import FetchedPage, Outcome, StoreResult
from storage.steps import INDEXED, Kind
from storage.stories import retrying_deadlocks

__all__ = ["Corpus", "KnownUrl", "Recleaned", "StoreInterrupted"]

logger = logging.getLogger(__name__)

# A unique-key race with another writer is retried this many times before giving up.
CONFLICT_RETRIES = 3


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
    claimed: bool = False
    """Held by its article only by another page's canonical claim: no page of it was fetched there
    (`storage.claims.held_by_claim`), so the page at the URL was never seen."""


@dataclass(frozen=True)
class ListingSeen:
    """What the corpus knows of a feed or sitemap: its validators of the last complete crawl, for
    conditional GET, and when a crawl last read it (a feed whose entries are all newer than that
    may have had entries scroll off in between: crawler/spiders/feeds.py)."""

    etag: str | None
    last_modified: str | None
    read_at: datetime


def _fingerprint(page: FetchedPage, article: CleanArticle, text: str) -> Fingerprint:
    """The fingerprint of the text stored; its hash, signature and anchors those the cleaning worker
    computed (`FetchedPage.text_hash`) when the bounds left the article's text as it was."""
    if page.text_hash is not None and text == article.text:
        return Fingerprint.carried(text, page.text_hash, page.signature, page.anchors)
    return Fingerprint.of(text)


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
            ready.append((index, *bounded, _fingerprint(page, article, bounded[1].text)))
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
            batch = Batch(connection)
            batch.read(
                (url for _, page, _, _ in ready for url in page_urls(page)),
                (fingerprint.text_hash for *_, fingerprint in ready),
            )
            steps = [batch.plan(page, article, fingerprint) for _, page, article, fingerprint in ready]
            batch.reserve(
                sum(step.kind is Kind.INSERT for step in steps),
                sum(step.kind is Kind.INSERT or step.outcome is Outcome.REVISION for step in steps),
            )
            indexed = [step.fingerprint for step in steps if step.kind in INDEXED]
            batch.share_signatures(indexed)
            dedup.lock_bands(connection, indexed)
            revisions = sum(step.kind is Kind.REVISION for step in steps)
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
            return store_changed(connection, ready)

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
            claimed = held_by_claim(session.connection(), {url: row.article_id for url, row in found.items()})
        return {url: replace(row, claimed=url in claimed) for url, row in found.items()}

    def listing_validators(self, urls: Iterable[str]) -> dict[str, ListingSeen]:
        """Validators and last read of these feeds and sitemaps (none for a listing never read)."""
        with self._sessions() as session:
            rows = session.execute(
                select(
                    ListingState.url, ListingState.etag, ListingState.last_modified, ListingState.fetched_at
                ).where(ListingState.url.in_(list(urls)))
            )
            return {url: ListingSeen(etag, modified, read_at) for url, etag, modified, read_at in rows}

    def save_listing_validators(
        self, validators: dict[str, tuple[str | None, str | None]], at: datetime, complete: bool = True
    ) -> None:
        """Remember that these listings were read at `at`, and their validators when the crawl was
        `complete` (a killed crawl keeps the last ones, so it lists everything again).

        A validator too long to be one is not kept (the next crawl reads that listing in full).
        """
        with self._sessions.begin() as session:
            for url, (etag, modified) in validators.items():
                if not url_fits(url):
                    continue
                state = session.get(ListingState, url) or ListingState(url=url, etag=None, last_modified=None)
                if complete:
                    state.etag = whole_or_none(etag, ETAG_CHARS)
                    state.last_modified = whole_or_none(modified, LAST_MODIFIED_CHARS)
                state.fetched_at = at
                session.add(state)

    def count_articles(self) -> int:
        """How many articles are stored."""
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(Article)) or 0
