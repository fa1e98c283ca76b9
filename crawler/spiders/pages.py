"""What the spider reads off a response: an article page as handed to the pipelines (the response's
facts, nothing parsed), a section page's links."""

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


def page_links(response: Response, selector: str) -> tuple[list[str], list[str]]:
    """The links `selector` finds on a page, absolute, once each in page order; and those that cannot
    be made absolute (a broken IPv6 host, `http://[`). One of those used to fail the whole page, and
    every article it links to went unrequested."""
    links: dict[str, None] = {}
    broken = []
    for href in response.css(selector).getall():
        try:
            links[response.urljoin(href)] = None
        except ValueError:
            broken.append(href)
    return list(links), broken


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None
