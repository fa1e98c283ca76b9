"""What a spider yields: one fetched page that should hold an article, and what the crawl adds to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from storage.records import FetchedPage

if TYPE_CHECKING:
    from crawler.report import LossKind


@dataclass(frozen=True)
class ArticlePage(FetchedPage):
    """The page record (`storage.FetchedPage`) on its way through the crawl: the clean pipeline
    gives it its `article` (or its `loss`) and the identity the article claims; the store pipeline
    hands it to storage as it is."""

    body: bytes = field(repr=False, metadata={"serializer": len})
    """Left out of repr: Scrapy logs an item that fails with its repr, and a body can be megabytes.
    Feed exports (`scrapy crawl news -O items.jsonl`) write its length: bytes are not JSON."""
    lease: str | None = None
    """In a shared (Redis) crawl, the lease to release once the page is stored or dropped."""
    listed: bool = False
    """A feed or sitemap listed it: the publisher's own word that it is an article, which a generic
    og:type ("website", common on article pages too) does not overrule."""
    article: Any = field(default=None, repr=False)
    """The `cleaner.CleanArticle`, once cleaned."""
    loss: Loss | None = None
    """Why the page was lost to an error on its way (cleaning): the store pipeline keeps it raw as failed."""


@dataclass(frozen=True)
class Loss:
    """A page lost to an error: its kind and what happened."""

    kind: LossKind
    reason: str
