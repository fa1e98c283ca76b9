"""A loopback publisher whose template carries a UI string no cleaner pattern knows.

Each article is its own story (bulk_story's generated paragraphs); the template puts the same
line inside every article body, where an extractor keeps it: only the site memory can tell it is
furniture, from seeing it on several different stories of the site.
"""

from __future__ import annotations

from html import escape

from crawler.newsroom import Loopback, Site
from crawler.newsroom.bulk import bulk_story

UI_LINE = "Tap the little bell to hear tomorrow's bulletin first."


def template_page(number: int, canonical: str) -> str:
    """Article `number` in the site's template, the UI line after its second paragraph."""
    story = bulk_story(number)
    paragraphs = [f"<p>{escape(text)}</p>" for text in story.paragraphs]
    paragraphs.insert(2, f"<p>{escape(UI_LINE)}</p>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(story.headline)}</title><link rel='canonical' href='{canonical}'>"
        "<meta property='og:type' content='article'>"
        f"<meta property='article:published_time' content='{story.published}'></head>"
        f"<body><main><article><h1>{escape(story.headline)}</h1>{''.join(paragraphs)}</article>"
        "</main></body></html>"
    )


class MemorySite(Loopback):
    """One site of `count` articles (numbers from `first`), listed in a sitemap."""

    def __init__(self, count: int, first: int = 500) -> None:
        self.site = Site("memo", "127.0.0.9")
        self.numbers = range(first, first + count)
        super().__init__((self.site,))

    def build(self) -> None:
        for number in self.numbers:
            path = f"/news/2024/06/03/report-{number}-on-local-decisions.html"
            self.site.add(path, template_page(number, self.site.url(path)))
        urls = "".join(f"<url><loc>{self.site.url(path)}</loc></url>" for path in sorted(self.site.routes))
        self.site.add(
            "/sitemap.xml",
            f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>",
            "application/xml",
        )

    def article_urls(self) -> list[str]:
        return [self.site.url(path) for path in self.site.routes if path.endswith(".html")]

    def sources_toml(self) -> str:
        return f'[sources.memo]\nstart_urls = ["{self.site.url("/sitemap.xml")}"]\n'
