"""A source's `article_allow` is the operator's word that a URL is an article, as a feed's is.

Many sites declare `og:type` website on every page, articles included. Links of a section page
that the source's `article_allow` admits were fetched, and then each article was dropped as "not an
article" (counted as no article, exit 0, its pending row removed): the allow rule was written for
URLs that do not look like articles (`/p/4101`), so nothing else vouched for them. Old code: 0 of
3 stored; now 3 of 3.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from conftest import crawl_report, one_source

from crawler.newsroom import Loopback, Site
from crawler.newsroom.bulk import bulk_story

NUMBERS = (4101, 4102, 4103)


def _page(number: int, url: str) -> str:
    story = bulk_story(number)
    paragraphs = "".join(f"<p>{escape(text)}</p>" for text in story.paragraphs)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(story.headline)}</title><link rel='canonical' href='{url}'>"
        "<meta property='og:type' content='website'></head>"
        f"<body><main><article><h1>{escape(story.headline)}</h1>{paragraphs}</article></main></body></html>"
    )


class ShortLinkSite(Loopback):
    """A home page linking to three articles at `/p/NUMBER`, each declaring og:type website."""

    def __init__(self) -> None:
        self.site = Site("shortlinks", "127.0.0.43")
        super().__init__((self.site,))

    def build(self) -> None:
        links = "".join(f"<li><a href='/p/{n}'>{n}</a></li>" for n in NUMBERS)
        self.site.add("/", f"<html><body><ul>{links}</ul></body></html>")
        for number in NUMBERS:
            self.site.add(f"/p/{number}", _page(number, self.site.url(f"/p/{number}")))


def test_articles_the_sources_allow_rule_admits_are_stored_whatever_their_og_type(
    tmp_path: Path, sqlite_url: str
) -> None:
    with ShortLinkSite() as site:
        args = one_source(tmp_path / "sources.toml", [site.site.url("/")], 'article_allow = ["/p/\\\\d+$"]\n')
        figures = crawl_report(sqlite_url, tmp_path / "report.json", *args)
    assert (figures["new"], figures["no_article"]) == (3, 0), figures
