"""One batch being stored: what its items find in the corpus, what each does, and its writes.

`Corpus.store_many` (storage/repository.py) hands a batch to `Batch` inside its transaction. What a
batch needs to know of the stored articles is read with two queries for the whole batch, the
batch's own earlier items are kept in memory, and rows that nothing in the batch reads back (URLs,
raw pages, revisions, refreshed fetch times, story updates, site memory, on PostgreSQL new
stories and articles) are written together (`Batch.finish`): on PostgreSQL the new rows by COPY
(storage/copyrows.py), their ids reserved from the sequences first, so that a batch's SQL is the
same whatever its size; on SQLite new stories and articles as it goes."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, insert, select, update

from cleaner import CleanArticle
from cleaner.fingerprint import signature_from_bytes
from storage import dedup, rows, sitememory
from storage.claims import Claims, plausible
from storage.copyrows import copy_rows, execute_many
from storage.dedup import Fingerprint
from storage.models import Article, ArticleUrl, Page, Revision
from storage.records import FetchedPage, Outcome, StoreResult
from storage.revisions import OlderTexts, withheld
from storage.steps import Kind, Step, Stored, id_of, story_of
from storage.stories import Copy, Stories
from storage.urls import site_of

logger = logging.getLogger(__name__)

_ARTICLES, _URLS, _PAGES = Article.__table__, ArticleUrl.__table__, Page.__table__
_REVISIONS = Revision.__table__
_INSERT_URLS, _INSERT_REVISIONS = insert(_URLS), insert(_REVISIONS)


@dataclass
class Batch:
    """One batch being stored: the corpus as its items see it, and the rows written at its end.

    Each item must be stored as if the ones before it were committed; `plan` and `write` keep the
    articles read at the start, and those the batch inserts or revises, up to date in memory.
    """

    connection: Connection
    by_url: dict[str, Stored] = field(default_factory=dict)
    by_hash: dict[str, list[Stored]] = field(default_factory=dict)
    """Every article with each of the batch's text hashes (stored ones by id, then the batch's own)."""
    stories: Stories = field(init=False)
    older: OlderTexts = field(init=False)
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
    articles: rows.NewArticles = field(init=False)  # on PostgreSQL written together (storage/rows.py)
    claims: Claims = field(init=False)
    page_ids: list[int] = field(default_factory=list)
    """Ids reserved for the batch's raw pages (PostgreSQL), taken from the end."""

    def __post_init__(self) -> None:
        self.stories = Stories(self.connection)
        self.older = OlderTexts(self.connection)
        self.articles = rows.NewArticles(self.connection)
        self.claims = Claims(self.connection)

    def reserve(self, inserts: int, pages: int) -> None:
        """Ids for the batch's `inserts` new articles and their stories, if new, and its `pages` raw
        pages: on PostgreSQL taken from the sequences in one statement, so that their rows are
        written together by COPY (`_flush`, `finish`)."""
        reserved = rows.reserve_ids(self.connection, inserts, pages)
        self.articles.reserve(reserved.articles)
        self.stories.reserve(reserved.stories)
        self.page_ids = reserved.pages[::-1]

    def _flush(self) -> None:
        """Write the new stories, then the new articles that refer to them."""
        self.stories.flush()
        self.articles.flush()

    def read(self, urls: Iterable[str], hashes: Iterable[str]) -> None:
        """Two queries for the whole batch: the articles its URLs lead to, and those with its texts."""
        articles: dict[int, Stored] = {}
        columns = (_ARTICLES.c.id, _ARTICLES.c.story_id, _ARTICLES.c.site, _ARTICLES.c.text_hash)
        columns += (_ARTICLES.c.revision_count, _ARTICLES.c.last_fetched_at)

        def stored(row: Any) -> Stored:
            found = articles.setdefault(
                row.id,
                Stored(
                    row.site, row.text_hash, row.revision_count, row.id, row.story_id, row.last_fetched_at
                ),
            )
            found.text_chars = row._mapping.get("text_chars", found.text_chars)
            return found

        by_url = select(_URLS.c.url, *columns, func.length(_ARTICLES.c.text).label("text_chars")).join(
            _ARTICLES, _ARTICLES.c.id == _URLS.c.article_id
        )
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

    def plan(self, page: FetchedPage, article: CleanArticle, fingerprint: Fingerprint) -> Step:
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
        another_text = named is not None and named.text_hash != fingerprint.text_hash
        if another_text and self.claims.given_back(named, identity, self.by_url):
            named = None
            identity = identity if plausible(page, identity) else page.final_url
        if named is not None and named.text_hash == fingerprint.text_hash:
            existing: Stored | None = named
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
        self.claims.planned(step)
        return step

    def _plan_known(
        self,
        existing: Stored,
        page: FetchedPage,
        article: CleanArticle,
        fingerprint: Fingerprint,
        new_urls: list[str],
    ) -> Step:
        fetched_at, latest = rows.as_utc(page.fetched_at), existing.last_fetched_at
        older = latest is not None and fetched_at < latest
        if not older and withheld(existing, fingerprint.text_hash, article.text, page.url):
            older = True  # kept as an older fetch's text is: the current text stays
        step = Step(Kind.OLDER if older else Kind.REFRESH, page, article, fingerprint, existing, new_urls)
        existing.last_fetched_at = latest if older else fetched_at
        if existing.text_hash == fingerprint.text_hash or (
            older and self.older.known(existing, fingerprint.text_hash)
        ):  # an older text kept already (the same old WARC imported twice): nothing to keep
            step.outcome = Outcome.DUPLICATE if page.url in new_urls else Outcome.UNCHANGED
            return step
        existing.revision_count += 1
        step.outcome, step.number = Outcome.REVISION, existing.revision_count
        if step.kind is Kind.REFRESH:
            self._rehash(existing, fingerprint.text_hash)
            existing.text_chars = len(article.text)
            step.kind = Kind.REVISION
        return step

    def _plan_unknown(
        self,
        page: FetchedPage,
        article: CleanArticle,
        fingerprint: Fingerprint,
        new_urls: list[str],
        identity: str,
    ) -> Step:
        site = site_of(identity)
        copies = self.by_hash.setdefault(fingerprint.text_hash, [])
        same_site = next((stored for stored in copies if stored.site == site), None)
        if same_site is not None:
            return Step(
                Kind.SITE_DUPLICATE, page, article, fingerprint, same_site, new_urls, Outcome.DUPLICATE
            )
        target = Stored(site, fingerprint.text_hash, 1, last_fetched_at=rows.as_utc(page.fetched_at))
        target.text_chars = len(article.text)
        exact = next(iter(copies), None)
        step = Step(Kind.INSERT, page, article, fingerprint, target, new_urls, exact=exact, url=identity)
        copies.append(target)
        return step

    def _rehash(self, stored: Stored, digest: str) -> None:
        old = self.by_hash.get(stored.text_hash, [])
        if stored in old:
            old.remove(stored)
        stored.text_hash = digest
        self.by_hash.setdefault(digest, []).append(stored)

    def write(self, step: Step) -> StoreResult:
        """Carry out a planned step, in the order planned."""
        target = step.target
        if step.kind is Kind.INSERT:
            step.outcome = self._insert(step)
            self.saw(step.page.final_url, step.article, story_of(target), step.page.fetched_at)
        elif step.kind is Kind.REVISION:
            self._revise(step)
            self.saw(step.page.final_url, step.article, story_of(target), step.page.fetched_at)
        elif step.kind is Kind.OLDER and step.outcome is Outcome.REVISION:
            self._keep_older(step)
        elif step.kind is Kind.REFRESH:
            self.refreshed[id_of(target)] = {
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
        return StoreResult(step.outcome, id_of(target), target.story_id)

    def _insert(self, step: Step) -> Outcome:
        page, article, fingerprint, target = step.page, step.article, step.fingerprint, step.target
        links = self._near().find_links(
            fingerprint, article.published, self.stories.current, site=target.site
        )
        if step.exact is not None:
            # Found by its hash even where the band index holds more copies than a probe reads.
            links.append(dedup.Link(id_of(step.exact), story_of(step.exact), 1.0))
        story_id = self.stories.oldest(links)
        if story_id is None and page.declared_original in self.by_url:
            # No copy of the text found, but the page names its original: the story of that one.
            story_id = self.stories.live(story_of(self.by_url[page.declared_original]))
        outcome = Outcome.COPY if story_id is not None else Outcome.NEW
        if story_id is None:
            story_id = self.stories.create(article.title, article.published, page.fetched_at)
        target.story_id = story_id
        target.id = self.articles.add(
            {
                "url": step.url,
                "source": page.source,
                "site": target.site,
                "story_id": story_id,
                "revision_count": 1,
                "first_fetched_at": page.fetched_at,
                **rows.text_values(page, article, fingerprint),
            }
        )
        self._keep_page(step, outcome)
        self._near().add(target.id, fingerprint, story_id, article.published, replace=False, site=target.site)
        self._merge(story_id, links, target.id, "copy")
        self.stories.add_copy(
            story_id, Copy(target.id, article.title, article.published, page.fetched_at, len(article.text))
        )
        return outcome

    def saw(self, url: str, article: CleanArticle, story_id: int, seen_at: datetime) -> None:
        """The site memory sees the text's lines on its story (written at the end of the batch)."""
        keys = frozenset(sitememory.article_keys(article))
        self.sightings.append(sitememory.Sighting(sitememory.registered_site(url), story_id, keys, seen_at))

    def _revise(self, step: Step) -> None:
        page, article, fingerprint, target = step.page, step.article, step.fingerprint, step.target
        self._flush()
        self.connection.execute(
            update(_ARTICLES)
            .where(_ARTICLES.c.id == target.id)
            .values(revision_count=step.number, **rows.text_values(page, article, fingerprint))
        )
        self.refreshed.pop(id_of(target), None)
        self._keep_page(step, Outcome.REVISION)
        self.relink(target, fingerprint, article, "revision")

    def _keep_older(self, step: Step) -> None:
        """An older text: its page and revision are kept, numbered in fetch order at the batch's end."""
        self._flush()
        self.connection.execute(
            rows.OLDER_FETCH,
            {"b_id": step.target.id, "b_count": step.number, "b_fetched_at": step.page.fetched_at},
        )
        self._keep_page(step, Outcome.REVISION)
        self.older.renumbered.add(id_of(step.target))

    def relink(self, target: Stored, fingerprint: Fingerprint, article: CleanArticle, cause: str) -> None:
        """An article's text changed: index it again and put it in the story its links say.

        `cause` is what `story_merges` records if the new text merges stories.
        """
        near = self._near()
        links = near.find_links(
            fingerprint, article.published, self.stories.current, exclude=target.id, site=target.site
        )
        target_id, its_story = id_of(target), story_of(target)
        near.add(target_id, fingerprint, its_story, article.published, replace=True, site=target.site)
        links.append(dedup.Link(target_id, its_story, 1.0))
        story_id = self.stories.oldest(links)
        assert story_id is not None
        self._merge(story_id, links, id_of(target), cause)
        self.stories.revised(story_id, id_of(target), article.published, len(article.text))
        target.story_id = story_id
        near.moved(id_of(target), story_id)

    def _merge(self, into: int, links: list[dedup.Link], article_id: int, cause: str) -> None:
        """Merging moves articles in the database: the batch's new rows go first."""
        if any(self.stories.live(link.story_id) != into for link in links):
            self._flush()
        self.stories.merge(into, links, article_id, cause)

    def _near(self) -> dedup.NearIndex:
        assert self.near is not None, "the band index is read once the bands are locked"
        return self.near

    def _keep_page(self, step: Step, outcome: Outcome) -> None:
        """The raw page and the revision it carries, written at the end of the batch."""
        page, target = step.page, step.target
        row, revision = (
            rows.page_row(page, target.id, outcome),
            rows.revision_row(step.article, target.id, step.number, page, step.fingerprint),
        )
        if self.connection.dialect.name == "postgresql":  # written by COPY: its id reserved (`reserve`)
            row["id"] = revision["page_id"] = self.page_ids.pop()
        self.pages.append(row)
        self.revisions.append(revision)

    def finish(self) -> None:
        """Write what the batch deferred: a few statements of many rows each."""
        self._flush()
        if self.connection.dialect.name == "postgresql":
            copy_rows(self.connection, _URLS, self.new_urls)
            copy_rows(self.connection, _PAGES, self.pages)
            copy_rows(self.connection, _REVISIONS, self.revisions)
        else:
            self._insert_pages()
        self.older.finish()
        if self.refreshed:
            self.connection.execute(rows.REFRESH, list(self.refreshed.values()))
        if self.near is not None:
            self.near.finish()
        self.stories.finish()
        sitememory.learn(
            self.connection,
            (replace(seen, story_id=self.stories.live(seen.story_id)) for seen in self.sightings),
        )

    def _insert_pages(self) -> None:
        """SQLite: the URLs, then the raw pages, whose ids their revisions take."""
        execute_many(self.connection, _INSERT_URLS, self.new_urls)
        if self.pages:
            page_ids = self.connection.execute(
                insert(_PAGES).returning(_PAGES.c.id, sort_by_parameter_order=True), self.pages
            ).scalars()
            execute_many(
                self.connection,
                _INSERT_REVISIONS,
                [
                    {**revision, "page_id": page_id}
                    for revision, page_id in zip(self.revisions, page_ids, strict=True)
                ],
            )


def page_urls(page: FetchedPage) -> list[str]:
    """Every URL a batch must know about for this page: its own, its claim, its declared original."""
    urls = (page.canonical_url, page.final_url, page.url, page.declared_original)
    return [url for url in dict.fromkeys(urls) if url is not None]
