"""The one generic spider: start URLs of any kind, articles found and fetched, per-source rules applied.

scrapy crawl news -a url=https://example.com/rss      (ad-hoc start URLs, comma-separated)
scrapy crawl news -a source=apnews,reuters            (named sources from the sources file)
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.corpusgate import ARTICLE_META, CONDITIONAL, KIND_META, LISTING_META, NotFetched, Wanted
from crawler.discovery import (
    Entry,
    Feed,
    Kind,
    detect_kind,
    parse_date,
    parse_sitemap,
    read_feed,
    robots_sitemaps,
    unpacked,
)
from crawler.distributed import LEASE_META, lease_done, start_shared_crawl
from crawler.fetchfailures import SKIP_KINDS, failure_kind
from crawler.items import ArticlePage
from crawler.middlewares import LeftSourceError
from crawler.pendingkeeper import FOUND_BY_META, request_failed
from crawler.report import Skip, crawl_report
from crawler.sources import Source, adhoc_source, load_sources, select_sources
from crawler.spiders.feeds import feed_page, gap_warning, older_page_meta, overflowed
from crawler.spiders.pages import article_page, page_links, vouched
from crawler.urls import looks_like_article
from storage.engine import one_line
from storage.pending import FoundBy
from storage.urls import is_http, normalise_url, same_site

_ARTICLE_MARKERS = re.compile(
    rb"""(property|name)=["']og:type["']\s+content=["']article|content=["']article["']\s+(property|name)=["']og:type|"""
    rb""""@type"\s*:\s*\[?\s*"(News|Report|Blog|)(Article|Posting)""",
    re.IGNORECASE,
)
_NEXT_PAGE = re.compile(r"[?&](page|p|pg)=\d+|/page/\d+/?$", re.IGNORECASE)
# Request meta: a listing or the source's article_allow vouches for it (pages.vouched, ArticlePage.listed).
LISTED_META = "wiredesk_listed"
# The sitemap protocol's own bound on a sitemap, uncompressed (sitemaps.org): a listing may be that
# big whatever DOWNLOAD_MAXSIZE allows an article page. Under it, a full sitemap of 50,000 news
# URLs (20 MB and more with titles) was cancelled as `too-large`, and none of its articles fetched.
LISTING_MAX_BYTES = 50 * 1024 * 1024


class NewsSpider(Spider):
    """Crawl sources: feeds and sitemaps list articles, section pages link to them, articles are yielded.

    Discovery and requests only: what the corpus already holds is the corpus gate's question, at
    download time (crawler/corpusgate.py); the articles pending from earlier crawls and the records
    of those listed now are the pending keeper's (crawler/pendingkeeper.py).
    """

    name = "news"

    def __init__(
        self,
        sources: Iterable[Source] | None = None,
        url: str | None = None,
        source: str | None = None,
        sources_file: str | None = None,
        worker: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.worker = worker
        """A worker of a shared crawl: no start URLs of its own, it takes requests from Redis."""
        chosen = list(sources or [])
        if url:
            chosen.append(adhoc_source([u.strip() for u in url.split(",") if u.strip()]))
        if (source or not chosen) and not worker:
            names = [n.strip() for n in (source or "").split(",") if n.strip()]
            chosen.extend(select_sources(load_sources(sources_file), names))
        self.sources = {src.name: src for src in chosen}
        self.allowed_domains = sorted({domain for src in chosen for domain in src.domains})
        self.requested: set[str] = set()
        self.skipped: dict[str, Skip] = {}
        """URLs the crawl chose not to fetch, and why: each is counted once (`_skip`)."""
        self.listed_at: dict[str, datetime | None] = {}
        """Article URLs requested, with the latest date a listing gave them."""

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.section_pages = crawler.settings.getint("WIREDESK_SECTION_PAGES")
        spider.max_listing_size = _listing_limit(crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        spider.since = parse_date(crawler.settings.get("WIREDESK_SINCE"))
        revisit = crawler.settings.get("WIREDESK_REVISIT_HOURS")
        spider.revisit_hours = float(revisit) if revisit not in (None, "") else None
        spider.distributed = bool(crawler.settings.get("WIREDESK_REDIS"))
        crawler.signals.connect(spider.callback_failed, signals.spider_error)
        crawler.signals.connect(spider.opened, signals.spider_opened)
        return spider

    def opened(self) -> None:
        """A shared crawl is seeded before any request reaches Redis, the pending ones included."""
        if self.distributed and not self.worker:
            start_shared_crawl(self.crawler.settings)

    def source_of(self, meta: dict[str, Any]) -> Source:
        """The source a request belongs to; a worker learns sources from the requests it is given."""
        name = meta["source"]
        if name not in self.sources and "source_config" in meta:
            self.sources[name] = meta["source_config"]
        return self.sources[name]

    async def start(self) -> AsyncIterator[Request]:
        if self.worker:
            return
        for src in self.sources.values():
            for url in src.start_urls:
                yield self._request(url, src, self.parse_start, priority=10)
            if src.robots_sitemaps:
                for origin in dict.fromkeys(_origin(url) for url in src.start_urls):
                    yield self._request(f"{origin}/robots.txt", src, self.parse_robots, priority=10)

    def due_request(self, url: str, src: Source, found_by: FoundBy) -> Request:
        """The request for an article pending from an earlier crawl, asked for as first found."""
        return self._article_request(url, src, Wanted(None, self._revisit_hours(src)), found_by.listed)

    def _request(self, url: str, src: Source, callback: Any, priority: int = 0, **meta: Any) -> Request:
        """Listings are fetched every run; the run's own set and the corpus gate keep a URL to one fetch.

        `dont_filter` because Scrapy's persisted fingerprint set would, after a kill, also hold URLs
        whose fetch never finished, and skip them on resume: the corpus is the record of what is done.
        """
        self.requested.add(url)
        reason = self.skipped.pop(url, None)
        if reason is not None:  # judged not worth a fetch from one listing, wanted by another
            crawl_report(self.crawler).skip(reason, -1)
        if callback == self.parse_start:
            meta[LISTING_META] = True
            meta["download_maxsize"] = self.max_listing_size
            if self._revisit_hours(src) is None:
                # With a revisit window the listing must be read anyway, to find what is due again.
                meta[LISTING_META] = CONDITIONAL
                meta["handle_httpstatus_list"] = [304]
        if self.distributed:
            meta["source_config"] = src
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            priority=priority,
            # Shared crawls: articles through the shared fingerprint set, so N workers fetch each once.
            dont_filter=not (self.distributed and callback == self.parse_article),
            meta={"source": src.name, **meta},
        )

    def parse_robots(self, response: Response) -> Iterable[Request]:
        """robots.txt `Sitemap:` lines are start points too (the sources file may not list them all)."""
        src = self.source_of(response.meta)
        for url in robots_sitemaps(response.body, response.url):
            reason = self._bounds_problem(url, src)
            if reason:
                self._skip(url, reason)
            elif url not in self.requested:
                yield self._request(url, src, self.parse_start, priority=5)
        self._release(response.meta)

    def parse_start(self, response: Response) -> Iterable[Request | ArticlePage]:
        """A start URL, sitemap or listing: decide what it is from its content, then crawl it so."""
        src = self.source_of(response.meta)
        if response.status == 304:
            crawl_report(self.crawler).listing_not_modified()
            self._release(response.meta)
            return
        self.requested.add(normalise_url(response.url))
        try:
            body = unpacked(response.body, self.max_listing_size)
        except ValueError as error:
            self._unreadable(response, src.name, str(error))
            return
        kind = detect_kind(body, response.headers.get("Content-Type", b"").decode("latin-1"))
        response.meta[KIND_META] = kind.value  # the corpus gate keeps the validators of feeds and sitemaps
        crawl_report(self.crawler).listing_read(kind)
        if kind is Kind.FEED:
            feed = read_feed(body, response.url)
            yield from self._article_requests(feed.entries, src, FoundBy.FEED)
            yield from self._older_feed_page(response, feed, src)
        elif kind is Kind.SITEMAP_INDEX:
            yield from self._sitemap_requests(parse_sitemap(body, response.url), src)
        elif kind is Kind.SITEMAP:
            yield from self._article_requests(parse_sitemap(body, response.url), src, FoundBy.SITEMAP)
        elif (
            kind is Kind.HTML
            and response.meta.get("section_page") is None
            and self._is_article_page(response)
        ):
            yield self._article_page(response)
            return
        elif kind is Kind.HTML:
            yield from self.parse_section(response)
        else:
            self.logger.warning("%s: not a feed, sitemap or HTML page: %s", src.name, response.url)
        self._release(response.meta)

    def _unreadable(self, response: Response, source: str, reason: str) -> None:
        """A listing that cannot be read (broken or oversized gzip): its source's `parse-error`."""
        crawl_report(self.crawler).error(source, "parse-error")
        self.logger.warning("%s: cannot read %s: %s", source, response.url, reason)
        self._release(response.meta)

    def _sitemap_requests(self, entries: list[Entry], src: Source) -> Iterable[Request]:
        """The sitemaps a sitemap index lists, within the source's sites and the --days window."""
        for entry in entries:
            reason = self._bounds_problem(entry.url, src) or (
                Skip.BEFORE_SINCE if self._too_old(entry) else None
            )
            if reason:
                self._skip(entry.url, reason)
            elif entry.url not in self.requested:
                yield self._request(entry.url, src, self.parse_start, priority=5)

    def _older_feed_page(self, response: Response, feed: Feed, src: Source) -> Iterable[Request]:
        """A feed that overflowed since its last read: its older page asked for, or the gap counted
        (crawler/spiders/feeds.py)."""
        meta = response.meta
        if not overflowed(feed.entries, meta) or feed.older in self.requested:
            return
        if feed.older and feed_page(meta) < self.section_pages and not self._bounds_problem(feed.older, src):
            crawl_report(self.crawler).older_feed_page()
            yield self._request(feed.older, src, self.parse_start, priority=5, **older_page_meta(meta))
            return
        crawl_report(self.crawler).skip(Skip.FEED_GAP)
        self.logger.warning(gap_warning(src.name, response.url, meta))

    def _release(self, meta: dict[str, Any]) -> None:
        """A shared crawl's lease on this request is done with: its results are all handed on."""
        lease = meta.get(LEASE_META)
        if lease is not None:
            self.crawler.signals.send_catch_log(lease_done, lease=lease)

    def parse_section(self, response: Response) -> Iterable[Request]:
        """A section or home page: request the article links, follow a few "next page" links."""
        src = self.source_of(response.meta)
        links, broken = page_links(response, "a::attr(href)")
        declared, broken_next = page_links(response, "link[rel=next]::attr(href), a[rel=next]::attr(href)")
        for href in broken + broken_next:
            self._skip(href, Skip.BAD_URL)
        next_pages = dict.fromkeys(declared + [url for url in links if _NEXT_PAGE.search(url)])
        articles = [Entry(url) for url in links if url not in next_pages]
        yield from self._article_requests(articles, src, FoundBy.SECTION)
        page = response.meta.get("section_page", 0)
        for url in next_pages:
            reason = self._bounds_problem(url, src) or (
                Skip.SECTION_PAGE_LIMIT if page >= self.section_pages else None
            )
            if reason:
                self._skip(url, reason)
            elif url not in self.requested:
                yield self._request(url, src, self.parse_start, priority=5, section_page=page + 1)

    def parse_article(self, response: Response) -> Iterable[ArticlePage]:
        """An article page: hand it to the pipelines, which clean and store it."""
        yield self._article_page(response)

    def _article_requests(self, entries: list[Entry], src: Source, found_by: FoundBy) -> Iterable[Request]:
        """Requests for the article candidates of one listing; every URL left out is counted (`_skip`).

        `found_by.listed`: the entries come from a feed or sitemap, the publisher's own word that they
        are articles, so they are fetched whatever their URL's shape (the page then decides);
        links scraped from a section page must look like articles (`_link_problem`).
        """
        fresh: dict[str, Entry] = {}
        for entry in entries:
            try:
                url = normalise_url(entry.url)
            except ValueError:  # a port that is not a number, a broken IPv6 address...
                self._skip(entry.url, Skip.BAD_URL)
                continue
            if url in fresh or (url in self.requested and not self._dated_later(url, entry)):
                continue
            reason = self._candidate_problem(url, src, found_by.listed)
            if reason is None and self._too_old(entry):
                reason = Skip.BEFORE_SINCE
            if reason:
                self._skip(url, reason)
            else:
                fresh[url] = entry
        for url, entry in fresh.items():
            self.listed_at[url] = entry.updated or self.listed_at.get(url)
            wanted = Wanted(entry.updated, self._revisit_hours(src))
            # Kept pending until stored, section links too: later crawls ask for them even once off
            # the listing (crawler/pendingkeeper.py records them as they go by).
            yield self._article_request(url, src, wanted, found_by.listed, **{FOUND_BY_META: found_by.value})

    def _article_request(self, url: str, src: Source, wanted: Wanted, listed: bool, **meta: Any) -> Request:
        meta.update({ARTICLE_META: wanted, **({LISTED_META: True} if vouched(src, url, listed) else {})})
        return self._request(url, src, self.parse_article, **meta)

    def _dated_later(self, url: str, entry: Entry) -> bool:
        """Another listing dates a requested article later: asked for again, the corpus gate judges
        it anew (stored, but changed since its last fetch?)."""
        before = self.listed_at.get(url)
        return entry.updated is not None and (before is None or entry.updated > before)

    def _skip(self, url: str, reason: Skip) -> None:
        """Count a URL the crawl chose not to fetch under its reason, once: listings repeat links."""
        if url in self.skipped or url in self.requested:
            return
        self.skipped[url] = reason
        crawl_report(self.crawler).skip(reason)

    def _bounds_problem(self, url: str, src: Source) -> Skip | None:
        """Why `url` may not be fetched for `src` at all, whatever lists it; None when it may."""
        try:
            if not is_http(url):
                return Skip.NOT_HTTP
            return None if self._on_site(url, src) else Skip.OFFSITE
        except ValueError:  # a broken IPv6 host: it failed its whole listing (a sitemap index's too)
            return Skip.BAD_URL

    def _candidate_problem(self, url: str, src: Source, listed: bool) -> Skip | None:
        """Why an article candidate is not fetched; None when it is. `listed`: see _article_requests."""
        problem = self._bounds_problem(url, src)
        if problem is None and src.denies(url):
            problem = Skip.ARTICLE_DENY
        if problem is None and not listed:
            problem = self._link_problem(url, src)
        return problem

    def _link_problem(self, url: str, src: Source) -> Skip | None:
        """Why a link found on a section page is not taken for an article; None when it is."""
        if src.article_allow:
            return None if src.allows(url) else Skip.NOT_IN_ARTICLE_ALLOW
        return None if looks_like_article(url) else Skip.NOT_ARTICLE_SHAPED

    def _too_old(self, entry: Entry) -> bool:
        return self.since is not None and entry.updated is not None and entry.updated < self.since

    def _revisit_hours(self, src: Source) -> float | None:
        return src.revisit_hours if src.revisit_hours is not None else self.revisit_hours

    def _on_site(self, url: str, src: Source) -> bool:
        return is_http(url) and any(same_site(url, "http://" + domain) for domain in src.domains)

    def _is_article_page(self, response: Response) -> bool:
        """Its markup says article (og:type, JSON-LD), or its URL does, by the source's rules or its shape."""
        if _ARTICLE_MARKERS.search(response.body[:200_000]):
            return True
        url = response.url
        return is_http(url) and self.source_of(response.meta).is_article_url(url, looks_like_article(url))

    def _article_page(self, response: Response) -> ArticlePage:
        crawl_report(self.crawler).article_page()
        return article_page(response, listed=bool(response.meta.get(LISTED_META)))

    def callback_failed(self, failure: Failure, response: Response, spider: Spider) -> None:
        """A callback raised (a listing no parser expected): counted as its source's `parse-error`."""
        source = response.meta.get("source", "?")
        crawl_report(self.crawler).error(source, "parse-error")
        self.logger.warning("%s: cannot read %s: %s", source, response.url, one_line(failure.value))

    def on_error(self, failure: Failure) -> None:
        """Count a failed request under its source and kind, so the summary says what went wrong.

        Requests a middleware chose not to send (robots.txt, off-site redirects) are skips, not errors.
        """
        request = getattr(failure, "request", None)
        if request is not None:
            self._release(request.meta)
        source = request.meta.get("source", "?") if request is not None else "?"
        url = request.url if request is not None else "?"
        if failure.check(NotFetched):  # the corpus gate's choice, counted there
            self.logger.debug("%s: not fetched: %s", source, failure.value)
            return
        kind = failure_kind(failure)
        if request is not None:  # an article's pending row: a failed try, or held back if refused
            self.crawler.signals.send_catch_log(request_failed, request=request, failure=failure, kind=kind)
        if kind in SKIP_KINDS:
            if not failure.check(LeftSourceError):
                crawl_report(self.crawler).skip(Skip(kind))
            self.logger.debug("%s: not fetched: %s", source, failure.value)
            return
        crawl_report(self.crawler).error(source, kind)
        self.logger.warning("%s: %s fetching %s", source, kind, url)


def _listing_limit(download_maxsize: int) -> int:
    """How big a listing may be: LISTING_MAX_BYTES, or more when DOWNLOAD_MAXSIZE allows more (0: any)."""
    return 0 if download_maxsize == 0 else max(download_maxsize, LISTING_MAX_BYTES)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
