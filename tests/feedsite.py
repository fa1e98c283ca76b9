"""A loopback site of generated articles listed by one Atom feed, for the crawls of the loss4 tests."""

from __future__ import annotations

from html import escape

from crawler.newsroom import Loopback, Site
from crawler.newsroom.bulk import bulk_story

FEED = "/feed.xml"


def article_path(number: int) -> str:
    return f"/news/2026/12/03/story-{number}.html"


class FeedSite(Loopback):
    """Article pages (`bulk_story` texts) and the Atom feed that lists them, changed as a test goes."""

    def __init__(self, host: str) -> None:
        self.site = Site("feedsite", host)
        super().__init__((self.site,))

    def url(self, path: str) -> str:
        return self.site.url(path)

    def article(self, number: int, og_url: str | None = None, extra: tuple[str, ...] = ()) -> None:
        """Serve article `number` at `article_path(number)`, naming `og_url` (default: its own URL),
        its text the story's paragraphs and then `extra`."""
        story = bulk_story(number)
        paragraphs = "".join(f"<p>{escape(text)}</p>" for text in (*story.paragraphs, *extra))
        own = og_url or self.url(article_path(number))
        page = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(story.headline)}</title><meta property='og:url' content='{own}'>"
            "<meta property='og:type' content='article'></head>"
            f"<body><main><article><h1>{escape(story.headline)}</h1>{paragraphs}</article></main></body></html>"
        )
        self.site.add(article_path(number), page)

    def feed(self, *entries: tuple[int, str]) -> None:
        """List these (article number, updated date) entries, in this order."""
        entry = "<entry><title>{number}</title><link href='{path}'/><updated>{date}</updated></entry>"
        body = "".join(entry.format(number=n, path=article_path(n), date=date) for n, date in entries)
        feed = f"<feed xmlns='http://www.w3.org/2005/Atom'><title>F</title>{body}</feed>"
        self.site.add(FEED, feed, "application/atom+xml")
