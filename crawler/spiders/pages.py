"""What the spider reads off a response: an article page as handed to the pipelines (the response's
facts, nothing parsed), a section page's links."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.http import Response

from crawler.distributed import LEASE_META
from crawler.items import ArticlePage
from crawler.sources import Source
from crawler.urls import names_a_listing


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


def vouched(src: Source, url: str, listed: bool) -> bool:
    """A feed or sitemap listed the URL, or the source's `article_allow` admits it and its path does
    not name a listing (`/topics/`, `/tag/`): either says the page is an article whatever its og:type.
    Many sites declare `website` on every page, and an allow rule is written for URLs that do not
    look like articles (`/p/4101`): every such page was dropped as a listing, counted as "no
    article", its pending row removed."""
    return listed or (bool(src.article_allow) and src.allows(url) and not names_a_listing(url))


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
