"""Downloader middlewares: keep each source on its own sites, back off politely on 429/5xx, and
follow meta refreshes without decoding whole pages."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import task
from twisted.internet.error import DNSLookupError
from w3lib.encoding import html_to_unicode
from w3lib.html import get_base_url, get_meta_refresh

from crawler.report import crawl_report
from crawler.urlpolicy import (
    DEFAULT_PORTS,
    address_problem,
    ip_literal,
    mask_credentials,
    redirect_problem,
    request_problem,
)
from storage.urls import same_site

logger = logging.getLogger(__name__)
# Where a meta refresh counts: Scrapy looks for it in the first 4,096 characters of the page.
META_REFRESH_HEAD = 4096


class LeftSourceError(IgnoreRequest):
    """A request refused by crawler.urlpolicy: off the source's sites, not http(s), credentials in
    the URL, or a redirect from a public address to a private one."""


class SourceBoundsMiddleware:
    """Drop any request, redirects included, that leaves its source's sites or is not http(s).

    Scrapy's own offsite check uses the union of every source's domains; this one holds each
    source to its own, so a redirect from one publisher to another is dropped and counted.
    Redirects are held to crawler.urlpolicy's rules: the same host and port as the page that
    redirected (or one of the source's sites), and no private address after a public one. The
    names are resolved through Scrapy's DNS cache, so the address checked is the one the
    download then connects to.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.report = crawl_report(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SourceBoundsMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        if "source" not in request.meta or not hasattr(spider, "source_of"):
            return
        source = spider.source_of(request.meta)
        problem = request_problem(request.url)
        if problem is not None:
            self._drop(problem, request)
        hops = request.meta.get("redirect_urls")
        if hops:
            problem = redirect_problem(hops[-1], request.url, _anchors(source)) or address_problem(
                await _addresses(hops[0]), await _addresses(request.url)
            )
            if problem is not None:
                self._drop(problem, request)
        if not any(same_site(request.url, "http://" + domain) for domain in source.domains):
            self._drop("offsite_redirect" if hops else "offsite", request)

    def _drop(self, reason: str, request: Request) -> None:
        self.report.skip(reason, stats_key="drop")
        raise LeftSourceError(f"{reason}: {mask_credentials(request.url)}")


def _anchors(source: Any) -> list[str]:
    """The URLs of a source's own sites: its start URLs, and its domains on the default ports."""
    return [*source.start_urls, *(f"{scheme}://{d}" for d in source.domains for scheme in DEFAULT_PORTS)]


async def _addresses(url: str) -> list[str]:
    """The address Scrapy connects to for `url`'s host, from its DNS cache; [] when unresolved."""
    host = urlsplit(url).hostname or ""
    if ip_literal(host):
        return [host]
    # Imported here: importing the reactor at module level would install the wrong one.
    from twisted.internet import reactor

    try:
        return [await maybe_deferred_to_future(reactor.resolve(host))]
    except (DNSLookupError, OSError, ValueError):
        return []


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, but waiting before each: Retry-After when the server gives one, else 2^n seconds.

    A 429 also raises the host's download delay, so the other requests to it slow down too. A
    Retry-After longer than WIREDESK_RETRY_MAX_WAIT gives up on the request; the next run gets it.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base_wait = settings.getfloat("WIREDESK_RETRY_BASE_WAIT")
        self.max_wait = settings.getfloat("WIREDESK_RETRY_MAX_WAIT")

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        wait = self._wait(request, response)
        if wait is None:
            self.crawler.stats.inc_value("wiredesk/retry/retry_after_too_long")
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        if response.status == 429:
            self._slow_down(request, wait)
        self.crawler.stats.inc_value("wiredesk/retry/waited_seconds", int(wait))
        # Imported here: importing the reactor at module level would install the wrong one.
        from twisted.internet import reactor

        await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return retry

    def _wait(self, request: Request, response: Response) -> float | None:
        header = response.headers.get(b"Retry-After")
        if header:
            wait = retry_after_seconds(header.decode("latin-1"))
            if wait is not None:
                return wait if wait <= self.max_wait else None
        attempt = request.meta.get("retry_times", 0)
        return min(self.base_wait * 2**attempt, self.max_wait)

    def _slow_down(self, request: Request, wait: float) -> None:
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, min(wait, self.max_wait))


def retry_after_seconds(value: str) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta refresh redirects, read from the first 4 KB of the body alone.

    Scrapy's own looks in the same first 4,096 characters, but of `response.text`: it decodes the
    whole body (and guesses its charset over the whole of it when none is declared) for every
    HTML page, although article pages go to the cleaning workers as bytes and are never decoded in
    this process: 4 % of the crawl's main process (docs/performance.md). The head is decoded as a
    browser would (BOM, Content-Type, `<meta charset>`, else UTF-8); a page whose refresh tag comes
    later is not redirected, as with Scrapy.
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if (
            request.meta.get("dont_redirect", False)
            or request.method == "HEAD"
            or not isinstance(response, HtmlResponse)
            or urlparse_cached(request).scheme not in {"http", "https"}
        ):
            return response
        interval, url = self._meta_refresh(response)
        if not url:
            return response
        redirected = self._redirect_request_using_get(request, response, url)
        if urlparse_cached(redirected).scheme not in {"http", "https"}:
            return response
        if interval is not None and interval < self._maxdelay:
            return self._redirect(redirected, request, "meta refresh")
        return response

    def _meta_refresh(self, response: HtmlResponse) -> tuple[float | None, str | None]:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        encoding, head = html_to_unicode(content_type, response.body[:META_REFRESH_HEAD])
        head = head[:META_REFRESH_HEAD]
        base_url = get_base_url(head, response.url, encoding)
        return get_meta_refresh(head, base_url, encoding, ignore_tags=self._ignore_tags)
