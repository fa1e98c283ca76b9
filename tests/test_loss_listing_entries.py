"""One unreadable URL in a listing costs that URL, never the listing's other entries.

A URL whose host is a broken IPv6 literal (`http://[`) raises ValueError when joined or split. Before,
one such entry failed its whole listing as a `parse-error`, and every article it named went
unrequested (silently, if it was the sitemap index of a site): a relative `<loc>` in a sitemap, a
child of a sitemap index, a link on a section page, a robots.txt `Sitemap:` line. Now it is counted
as `bad_url` and the rest are read.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FAST, run_wiredesk

from crawler.newsroom import Newsroom, pages
from crawler.newsroom.stories import CHIP_PLANT, FLOOD_DEFENCES, MUSEUM_RETURN, ROMAN_ROAD

SITEMAP = "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{}</urlset>"
INDEX = (
    "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{}</sitemapindex>"
)


def test_a_broken_url_costs_itself_not_its_listing(tmp_path: Path) -> None:
    sources, report = tmp_path / "sources.toml", tmp_path / "report.json"
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
        urls = ", ".join(f'"{portal.url(path)}"' for path in ("/sitemap-a.xml", "/index.xml", "/latest/"))
        source = f"[sources.portal]\nstart_urls = [{urls}]\nrobots_sitemaps = true\n"
        sources.write_text(source, encoding="utf-8")
        run_wiredesk(
            "crawl",
            "portal",
            "--sources",
            str(sources),
            "--db",
            f"sqlite:///{tmp_path / 'c.db'}",
            "--report",
            str(report),
            *FAST,
        )
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert figures["new"] == 4 and figures["errors"] == {}
    assert figures["skipped"]["bad_url"] == 4
