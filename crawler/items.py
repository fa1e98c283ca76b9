"""What a spider yields: one fetched page that should hold an article, not yet cleaned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ArticlePage:
    """A fetched candidate article page. The clean pipeline fills `article`; the store pipeline saves it."""

    url: str
    final_url: str
    source: str
    fetched_at: datetime
    http_status: int
    body: bytes = field(repr=False, metadata={"serializer": len})
    """Left out of repr: Scrapy logs an item that fails with its repr, and a body can be megabytes.
    Feed exports (`scrapy crawl news -O items.jsonl`) write its length: bytes are not JSON."""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
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
    """A page lost to an error: its kind (a stats key: time_limit, worker_died...) and what happened."""

    kind: str
    reason: str
