"""One unreadable URL in a listing costs that URL, never the listing's other entries.

A URL whose host is a broken IPv6 literal (`http://[`) raises ValueError when joined or split. Before,
one such entry failed its whole listing as a `parse-error`, and every article it named went
unrequested (silently, if it was the sitemap index of a site): a relative `<loc>` in a sitemap, a
child of a sitemap index, a link on a section page, a robots.txt `Sitemap:` line. Now it is counted
as `bad_url` and the rest are read.
"""

from __future__ import annotations

from pathlib import Path

from conftest import crawl_report, one_source

from crawler.newsroom import Newsroom, pages
from crawler.newsroom.stories import CHIP_PLANT, FLOOD_DEFENCES, MUSEUM_RETURN, ROMAN_ROAD

SITEMAP = "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{}</urlset>"
INDEX = (
    "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{}</sitemapindex>"
)


def test_a_broken_url_costs_itself_not_its_listing(tmp_path: Path) -> None:
    with Newsroom() as newsroom:
        portal = newsroom.portal
        paths = {
            story: f"/news/2026/12/03/{story.slug}.html"
            for story in (CHIP_PLANT, FLOOD_DEFENCES, MUSEUM_RETURN, ROMAN_ROAD)
        }
        for story, path in paths.items():
            portal.add(path, pages.portal_article(story, portal.url(path)))
        # A sitemap with a relative <loc> that cannot be joined, between two good ones.
        locs = ["//[broken/one.html", paths[CHIP_PLANT]]
        portal.add(
            "/sitemap-a.xml",
            SITEMAP.format("".join(f"<url><loc>{loc}</loc></url>" for loc in locs)),
            "application/xml",
        )
        # A sitemap index whose first child cannot be read as a URL.
        portal.add(
            "/sitemap-b.xml",
            SITEMAP.format(f"<url><loc>{portal.url(paths[FLOOD_DEFENCES])}</loc></url>"),
            "application/xml",
        )
        children = ["http://[broken/sitemap.xml", portal.url("/sitemap-b.xml")]
        portal.add(
            "/index.xml",
            INDEX.format("".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)),
            "application/xml",
        )
        # A section page with a broken link before a good one.
        portal.add(
            "/latest/",
            f"<html><body><a href='http://[broken/x'>x</a><a href='{paths[MUSEUM_RETURN]}'>m</a>"
            "</body></html>",
        )
        # A robots.txt whose first Sitemap: line cannot be joined.
        portal.add(
            "/sitemap-c.xml",
            SITEMAP.format(f"<url><loc>{portal.url(paths[ROMAN_ROAD])}</loc></url>"),
            "application/xml",
        )
        robots = "User-agent: *\nSitemap: //[broken/s.xml\nSitemap: /sitemap-c.xml\n"
        portal.add("/robots.txt", robots, "text/plain")
        start = [portal.url(path) for path in ("/sitemap-a.xml", "/index.xml", "/latest/")]
        crawl = one_source(tmp_path / "sources.toml", start, "robots_sitemaps = true\n")
        figures = crawl_report(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "report.json", *crawl)
    assert figures["new"] == 4 and figures["errors"] == {}
    assert figures["skipped"]["bad_url"] == 4
