"""Item pipelines: clean each article page, then store it. Each drops what it cannot use, with a reason."""

from __future__ import annotations

import re
from typing import Any

from scrapy.exceptions import DropItem

import cleaner
from crawler.items import ArticlePage
from crawler.urls import canonical_url, looks_like_article
from storage import Corpus, FetchedPage, make_engine
from storage.schema import upgrade

_CHARSET = re.compile(r"charset=([\w.:-]+)", re.IGNORECASE)
# og:type / JSON-LD types that say a page is a listing or a profile, not an article.
_NOT_ARTICLE_TYPES = frozenset(
    {"website", "collectionpage", "webpage", "profile", "profilepage", "searchresultspage"}
)


class CleanPipeline:
    """Turn the page into a `cleaner.CleanArticle`; drop pages that hold no article."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> CleanPipeline:
        return cls(crawler.stats)

    def process_item(self, item: ArticlePage) -> ArticlePage:
        article = cleaner.clean(item.body, item.final_url, declared_charset=_charset(item.content_type))
        if not article.found:
            self.stats.inc_value(f"wiredesk/clean/{_slug(article.error or 'no text')}")
            raise DropItem(f"{item.final_url}: {article.error}")
        if (article.page_type or "") in _NOT_ARTICLE_TYPES and not looks_like_article(item.final_url):
            self.stats.inc_value("wiredesk/clean/not_article")
            raise DropItem(f"{item.final_url}: a {article.page_type} page, not an article")
        item.article = article
        return item


class StorePipeline:
    """Write cleaned articles through `storage.Corpus` and count what each store did."""

    def __init__(self, corpus: Corpus, stats: Any) -> None:
        self.corpus = corpus
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        engine = make_engine(crawler.settings.get("WIREDESK_DB"))
        upgrade(engine)
        return cls(Corpus(engine), crawler.stats)

    def process_item(self, item: ArticlePage) -> ArticlePage:
        page = FetchedPage(
            url=item.url,
            final_url=item.final_url,
            canonical_url=canonical_url(item.final_url, item.article.canonical_url),
            source=item.source,
            fetched_at=item.fetched_at,
            http_status=item.http_status,
            body=item.body,
            content_type=item.content_type,
            etag=item.etag,
            last_modified=item.last_modified,
        )
        result = self.corpus.store(page, item.article)
        self.stats.inc_value(f"wiredesk/store/{result.outcome.value}")
        self.stats.inc_value(f"wiredesk/source/{item.source}/{result.outcome.value}")
        return item


def _charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _slug(reason: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", reason.lower()).strip("_")[:40]
