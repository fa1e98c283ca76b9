"""A small offline newsroom served on loopback: three publishers on three loopback addresses.

`wiredesk demo` crawls it, and the test suite uses the very same one, so the demo cannot drift
from what is tested. Each publisher is its own HTTP server on 127.0.0.x; every request is logged so
tests can check what a crawl fetched.
"""

from __future__ import annotations

from html import escape

from crawler.newsroom import bulk, pages
from crawler.newsroom.routes import PARTNER_HOST, REAL_SHAPE_PATHS, build_pages
from crawler.newsroom.server import HTML, Document, Loopback, Site
from crawler.newsroom.stories import Story
from crawler.sources import Source

__all__ = [
    "HTML",
    "PARTNER_HOST",
    "REAL_SHAPE_PATHS",
    "Document",
    "Loopback",
    "Newsroom",
    "Site",
    "bulk",
    "pages",
]


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
