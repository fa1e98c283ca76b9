"""An article page as the spider hands it to the pipelines: the response's facts, nothing parsed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.http import Response

from crawler.distributed import LEASE_META
from crawler.items import ArticlePage


def article_page(response: Response, listed: bool) -> ArticlePage:
    """The `ArticlePage` of a response: kept under the URL first asked for (before redirects), which
    is what its listing, its pending row and the corpus gate know it by. `listed`: see ArticlePage."""
    headers = response.headers
    return ArticlePage.fetched(
        url=response.request.meta.get("redirect_urls", [response.url])[0]
        if response.request
        else response.url,
        final_url=response.url,
        source=response.meta["source"],
        fetched_at=datetime.now(UTC),
        http_status=response.status,
        body=response.body,
        content_type=_header(headers, b"Content-Type"),
        etag=_header(headers, b"ETag"),
        last_modified=_header(headers, b"Last-Modified"),
        lease=response.meta.get(LEASE_META),
        listed=listed,
    )


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None
