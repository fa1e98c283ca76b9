"""What each site of the newsroom serves: its articles, listings, feeds, sitemaps and oddities."""

from __future__ import annotations

import gzip
from html import escape
from typing import TYPE_CHECKING

from crawler.newsroom import bulk, pages
from crawler.newsroom.server import Document, Site
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
)

if TYPE_CHECKING:
    from crawler.newsroom import Newsroom

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
