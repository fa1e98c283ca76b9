"""A small offline newsroom served on loopback: three publishers on three loopback addresses.

`wiredesk demo` crawls it, and the test suite uses the very same one, so the demo cannot drift
from what is tested. Each publisher is its own HTTP server on 127.0.0.x; every request is logged so
tests can check what a crawl fetched.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

from crawler.newsroom import bulk, pages
from crawler.newsroom.stories import (
    ADRIATIC_STORM,
    CHIP_PLANT,
    FERRY_FIRE_2019,
    FERRY_TALKS,
    FERRY_TALKS_REPUBLISHED,
    FLOOD_DEFENCES,
    GRAIN_CORRIDOR,
    HARBOUR_REOPENS,
    LAVROV_WALKOUT,
    MUSEUM_RETURN,
    RAIL_STRIKE,
    RATES_HOLD,
    ROMAN_ROAD,
    Story,
)
from crawler.sources import Source

HTML = "text/html; charset=utf-8"
PARTNER_HOST = "127.0.0.9"
"""A loopback address no site of the newsroom serves: where its feeds link off-site."""
# Paths of articles that no guess from the URL's shape takes for articles (a feed or sitemap
# lists each): the shapes of real sites' article URLs.
REAL_SHAPE_PATHS = {
    LAVROV_WALKOUT: "/world/lavrov-walkout",
    GRAIN_CORRIDOR: f"/news/articles/{GRAIN_CORRIDOR.slug}",
    CHIP_PLANT: f"/p/{CHIP_PLANT.slug}",
    FLOOD_DEFENCES: f"/story?id={FLOOD_DEFENCES.slug}",
    MUSEUM_RETURN: f"/a/{MUSEUM_RETURN.slug}",
}
NOT_FOUND_BODY = b"not found"


@dataclass
class Document:
    """What a path serves. `failures` answers the first N requests with `failure_status` instead."""

    body: bytes
    content_type: str = HTML
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    failures: int = 0
    failure_status: int = 503
    failure_headers: dict[str, str] = field(default_factory=dict)
    served_at: list[float] = field(default_factory=list)
    """Wall-clock times the whole body was sent (200s, not 304s): when a crawl saw this version."""

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Site:
    """One publisher: a name, a loopback host, and the documents it serves by path (query included).

    `generated` serves paths not in `routes` (the bulk site's thousands of articles, built on demand);
    `delay` slows every answer down, for crawls that must last long enough to be interrupted.
    """

    name: str
    host: str
    routes: dict[str, Document] = field(default_factory=dict)
    port: int = 0
    generated: Callable[[str], Document | None] | None = None
    delay: float = 0.0

    def document(self, path: str) -> Document:
        found = self.routes.get(path) or (self.generated(path) if self.generated else None)
        return found or Document(NOT_FOUND_BODY, "text/plain", status=404)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def add(self, path: str, body: str, content_type: str = HTML, **options: object) -> Document:
        document = Document(body.encode("utf-8"), content_type, **options)  # type: ignore[arg-type]
        self.routes[path] = document
        return document

    def redirect(self, path: str, location: str) -> None:
        self.routes[path] = Document(b"", "text/plain", status=301, headers={"Location": location})


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    # Keep-alive, as real news sites do: a connection per request would make crawls look slower.
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        site = self.server.site
        self.server.newsroom.requests.append((site.name, self.path))
        document = site.document(self.path)
        if site.delay:
            time.sleep(site.delay)
        if document.failures > 0:
            document.failures -= 1
            self._send(document.failure_status, "text/plain", b"try later", document.failure_headers)
        elif document.status == 200 and self.headers.get("If-None-Match") == document.etag:
            self._send(304, document.content_type, b"", {"ETag": document.etag})
        else:
            document.served_at.append(time.time())
            self._send(
                document.status,
                document.content_type,
                document.body,
                {"ETag": document.etag, **document.headers},
            )

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str]) -> None:
        self.server.newsroom.answers.append((self.server.site.name, self.path, status))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the newsroom's request log is `Newsroom.requests`."""


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Site, newsroom: Loopback) -> None:
        super().__init__((site.host, site.port), _Handler)
        self.site = site
        self.newsroom = newsroom


class Loopback:
    """Sites served on loopback addresses, one HTTP server each, all on one port when it is free.

    Every request and answer is logged, so tests can check what a crawl fetched. Subclasses fill
    the sites' routes in `build`, which runs once the ports are bound (URLs need them).
    """

    def __init__(self, sites: tuple[Site, ...]) -> None:
        self.sites = sites
        self.requests: list[tuple[str, str]] = []
        self.answers: list[tuple[str, str, int]] = []
        """(site, path, HTTP status) of every answer, in order."""
        self._servers: list[_SiteServer] = []

    def start(self) -> Self:
        """Bind every site (one shared port when free) and serve in background threads."""
        port = 0
        for site in self.sites:
            site.port = port
            try:
                server = _SiteServer(site, self)
            except OSError:
                site.port = 0
                server = _SiteServer(site, self)
            site.port = port = server.server_address[1]
            self._servers.append(server)
            threading.Thread(target=server.serve_forever, name=f"newsroom-{site.name}", daemon=True).start()
        self.build()
        return self

    def build(self) -> None:
        """Fill the sites' routes; called by `start` once the ports are known."""

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


class Newsroom(Loopback):
    """Three publishers carrying wire copy; one wire story appears on two of them."""

    def __init__(
        self, bulk_articles: int = 0, bulk_delay: float = 0.0, real_pages: list[bytes] | None = None
    ) -> None:
        self.wire = Site("wire", "127.0.0.2")
        self.portal = Site("portal", "127.0.0.3")
        self.publisher = Site("publisher", "127.0.0.4")
        sites: tuple[Site, ...] = (self.wire, self.portal, self.publisher)
        self.bulk_articles = bulk_articles
        self.real_pages = real_pages
        if bulk_articles:
            self.bulk = Site("bulk", "127.0.0.5", delay=bulk_delay)
            sites += (self.bulk,)
        super().__init__(sites)

    def build(self) -> None:
        build_pages(self)

    def publish(self, story: Story) -> str:
        """Put a new story on the portal and at the top of its Atom feed, as a live site does while
        the daemon polls it; returns the article's URL."""
        path = f"/news/{story.slug}.html"
        self.portal.add(path, pages.portal_article(story, self.portal.url(path)))
        feed = self.portal.routes["/atom.xml"]
        entry = (
            f"<entry><title>{escape(story.headline)}</title><link href='{path}'/>"
            f"<updated>{story.published}</updated></entry>"
        )
        feed.body = feed.body.replace(b"</title>", b"</title>" + entry.encode(), 1)
        return self.portal.url(path)

    def sources(self) -> list[Source]:
        """One source per publisher, as a sources.toml would declare them."""
        bulk = [Source("bulk", (self.bulk.url("/sitemap.xml"),), agency="PA")] if self.bulk_articles else []
        return [
            *bulk,
            Source(
                "wire",
                (self.wire.url("/rss.xml"), self.wire.url("/world/")),
                agency="AP",
                robots_sitemaps=True,
            ),
            Source("portal", (self.portal.url("/atom.xml"),)),
            Source(
                "publisher",
                (self.publisher.url("/sitemap.xml"), self.publisher.url("/news/world-news/")),
                agency="PA",
            ),
        ]

    def sources_toml(self) -> str:
        """The same sources as a sources file, for commands that read one."""
        blocks = []
        for source in self.sources():
            urls = ", ".join(f'"{url}"' for url in source.start_urls)
            agency = f'agency = "{source.agency}"\n' if source.agency else ""
            robots = "robots_sitemaps = true\n" if source.robots_sitemaps else ""
            blocks.append(f"[sources.{source.name}]\n{agency}{robots}start_urls = [{urls}]\n")
        return "\n".join(blocks)


def build_pages(newsroom: Newsroom) -> None:
    """Fill every site's routes; URLs need the bound ports, so this runs after binding."""
    _wire_pages(newsroom.wire)
    _portal_pages(newsroom.portal)
    _publisher_pages(newsroom.publisher)
    if newsroom.bulk_articles:
        _bulk_pages(newsroom.bulk, newsroom.bulk_articles, newsroom.real_pages)


def _bulk_pages(site: Site, count: int, real_pages: list[bytes] | None) -> None:
    base = site.url("")
    site.add("/sitemap.xml", bulk.sitemap_index(base, count), "application/xml")
    for part in range(0, count, bulk.SITEMAP_SIZE):
        site.add(
            f"/sitemap-{part // bulk.SITEMAP_SIZE}.xml",
            bulk.sitemap(base, part // bulk.SITEMAP_SIZE, count),
            "application/xml",
        )
    numbers = {bulk.bulk_path(number): number for number in range(count)}

    def article(path: str) -> Document | None:
        number = numbers.get(path)
        if number is None:
            return None
        return Document(bulk.bulk_article(number, site.url(path), real_pages))

    site.generated = article


def _wire_pages(site: Site) -> None:
    ferry, rates = f"/article/{FERRY_TALKS.slug}", f"/article/{RATES_HOLD.slug}"
    related = [(rates, RATES_HOLD.headline), (ferry, FERRY_TALKS.headline)]
    site.add(ferry, pages.wire_article(FERRY_TALKS, site.url(ferry), related))
    site.add(rates, pages.wire_article(RATES_HOLD, site.url(rates), related))
    site.add(
        "/robots.txt",
        f"User-agent: *\nDisallow: /private/\nSitemap: {site.url('/sitemap-archive.xml')}\n",
        "text/plain",
    )
    archive = {story: f"/article/{story.slug}" for story in (HARBOUR_REOPENS, FERRY_FIRE_2019)}
    for story, path in archive.items():
        site.add(path, pages.wire_article(story, site.url(path), related))
    site.add(
        "/sitemap-archive.xml",
        (
            "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            + "".join(
                f"<url><loc>{site.url(path)}</loc><lastmod>{story.published}</lastmod></url>"
                for story, path in archive.items()
            )
            + "</urlset>"
        ),
        "application/xml",
    )
    site.redirect(
        "/article/ferry-talks-story-moved-to-partner-site",
        f"http://127.0.0.3:{site.port}/news/{FERRY_TALKS_REPUBLISHED.slug}-184522.html",
    )
    site.add("/private/draft-story-about-ferry-safety-rules", pages.wire_article(FERRY_TALKS, "", []))
    walkout, grain = REAL_SHAPE_PATHS[LAVROV_WALKOUT], REAL_SHAPE_PATHS[GRAIN_CORRIDOR]
    for story, path in ((LAVROV_WALKOUT, walkout), (GRAIN_CORRIDOR, grain)):
        site.add(path, pages.wire_article(story, site.url(path), related))
    listed = (
        (FERRY_TALKS, ferry + "?utm_source=rss&utm_medium=feed"),
        (RATES_HOLD, rates),
        (LAVROV_WALKOUT, walkout),
        (GRAIN_CORRIDOR, grain),
    )
    items = "".join(
        f"<item><title>{story.headline}</title><link>{site.url(path)}</link><pubDate>{story.published}</pubDate></item>"
        for story, path in listed
    )
    # A story on a partner's site, which no source of the newsroom crawls: off-site, never fetched
    # (a URL another source fetches is not counted as skipped: it is fetched).
    items += (
        f"<item><title>{CHIP_PLANT.headline}</title>"
        f"<link>http://{PARTNER_HOST}:{site.port}{REAL_SHAPE_PATHS[CHIP_PLANT]}</link></item>"
    )
    site.add(
        "/rss.xml",
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>{items}</channel></rss>",
        "application/rss+xml",
    )
    site.add(
        "/world/",
        pages.listing_page(
            "World",
            [
                (ferry, FERRY_TALKS.headline),
                (rates, RATES_HOLD.headline),
                (walkout, LAVROV_WALKOUT.headline),
                ("/tag/europe/", "Europe"),
                ("/video/watch-ministers-arrive-for-ferry-talks", "Video: ministers arrive"),
                ("/private/draft-story-about-ferry-safety-rules", "Draft"),
                ("/article/ferry-talks-story-moved-to-partner-site", "Moved"),
                (rates + "?fbclid=IwAR0abc&utm_campaign=social", RATES_HOLD.headline),
                ("/author/maria-lindqvist", "Maria Lindqvist"),
            ],
        ),
    )
    site.add(
        "/author/maria-lindqvist", pages.listing_page("Maria Lindqvist", [(ferry, FERRY_TALKS.headline)])
    )
    site.add("/tag/europe/", pages.listing_page("Europe", [(ferry, FERRY_TALKS.headline)]))
    site.add(
        "/video/watch-ministers-arrive-for-ferry-talks", pages.video_page("Ministers arrive for ferry talks")
    )


def _portal_pages(site: Site) -> None:
    """One article: the daemon's tests time a portal run against it. Its feed links it relatively."""
    path = f"/news/{FERRY_TALKS_REPUBLISHED.slug}-184522.html"
    site.add(path, pages.portal_article(FERRY_TALKS_REPUBLISHED, site.url(path)))
    site.add(
        "/atom.xml",
        (
            "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Portal</title>"
            f"<entry><title>{FERRY_TALKS_REPUBLISHED.headline}</title><link href='{path}'/>"
            f"<updated>{FERRY_TALKS_REPUBLISHED.published}</updated></entry></feed>"
        ),
        "application/atom+xml",
    )


def _publisher_pages(site: Site) -> None:
    stories = {
        story: f"/news/world-news/{story.slug}/" for story in (ADRIATIC_STORM, ROMAN_ROAD, RAIL_STRIKE)
    }
    latest = [(path, story.headline) for story, path in stories.items()]
    for story, path in stories.items():
        site.add(path, pages.publisher_article(story, site.url(path), latest))
    # The first fetch of this article is refused with 429 and a Retry-After of one second.
    site.routes[stories[RAIL_STRIKE]].failures = 1
    site.routes[stories[RAIL_STRIKE]].failure_status = 429
    site.routes[stories[RAIL_STRIKE]].failure_headers = {"Retry-After": "1"}
    site.add(
        "/sitemap.xml",
        (
            "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            f"<sitemap><loc>{site.url('/news-sitemap.xml')}</loc></sitemap>"
            f"<sitemap><loc>{site.url('/sitemaps/pages.xml.gz')}</loc></sitemap></sitemapindex>"
        ),
        "application/xml",
    )
    urls = "".join(
        f"<url><loc>{site.url(stories[story])}</loc><news:news><news:publication>"
        f"<news:name>Publisher</news:name><news:language>en</news:language></news:publication>"
        f"<news:publication_date>{story.published}</news:publication_date>"
        f"<news:title>{story.headline}</news:title></news:news></url>"
        for story in (ADRIATIC_STORM, ROMAN_ROAD)
    )
    site.add(
        "/news-sitemap.xml",
        (
            "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
            f"xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>{urls}</urlset>"
        ),
        "application/xml",
    )
    _gzipped_sitemap(site)
    first_page = [
        (stories[ADRIATIC_STORM], ADRIATIC_STORM.headline),
        (stories[ROMAN_ROAD], ROMAN_ROAD.headline),
    ]
    site.add("/news/world-news/", pages.listing_page("World News", first_page, "/news/world-news/?page=2"))
    site.add(
        "/news/world-news/?page=2",
        pages.listing_page("World News, page 2", [(stories[RAIL_STRIKE], RAIL_STRIKE.headline)]),
    )


def _gzipped_sitemap(site: Site) -> None:
    """A gzipped sitemap served as a file (no Content-Encoding), as large sites serve theirs:
    articles at short URLs, and a page that is not an article, which the crawl fetches (the
    sitemap lists it) and the page itself shows to be no article."""
    stories = (MUSEUM_RETURN, CHIP_PLANT, FLOOD_DEFENCES)
    for story in stories:
        path = REAL_SHAPE_PATHS[story]
        site.add(path, pages.publisher_article(story, site.url(path), []))
    site.add("/about/", pages.listing_page("About us", []))
    listed = [(REAL_SHAPE_PATHS[story], story.published) for story in stories]
    urls = "".join(
        f"<url><loc>{escape(site.url(path))}</loc><lastmod>{published}</lastmod></url>"
        for path, published in [*listed, ("/about/", MUSEUM_RETURN.published)]
    )
    xml = f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"
    site.routes["/sitemaps/pages.xml.gz"] = Document(
        gzip.compress(xml.encode(), mtime=0), "application/x-gzip"
    )
