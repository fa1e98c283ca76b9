"""CPU cost of reading feeds and sitemaps, ours beside the reference parsers, measured in one run.

    python -m benchmarks.feeds [--repeat 5]

Listings are parsed in the crawl's reactor thread, so their cost delays every other response.
Prints milliseconds of CPU per document: `crawler.discovery.parse_feed` (feedparser plus our
additions) beside bare feedparser, and `parse_sitemap` beside Scrapy's `Sitemap`, on generated
RSS feeds of 50 and 500 items and sitemaps of 1,000 and 50,000 URLs (the protocol's maximum).
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable

import feedparser
from scrapy.utils.sitemap import Sitemap

from crawler.discovery import parse_feed, parse_sitemap

BASE = "https://news.example/rss.xml"


def feed(items: int) -> bytes:
    """An RSS 2.0 feed as news sites write them: title, link, date and a paragraph of summary."""
    body = "".join(
        f"<item><title>Story {n} &amp; more</title><link>https://news.example/world/story-{n}</link>"
        f"<pubDate>Thu, 05 Dec 2024 15:34:00 GMT</pubDate><description>{'word ' * 60}</description></item>"
        for n in range(items)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>{body}</channel></rss>".encode()


def sitemap(urls: int) -> bytes:
    body = "".join(
        f"<url><loc>https://news.example/p/{n}</loc><lastmod>2024-12-05T15:34:00+00:00</lastmod></url>"
        for n in range(urls)
    )
    return f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{body}</urlset>".encode()


def cpu_ms(work: Callable[[], object], repeat: int) -> float:
    """Best of `repeat` runs, CPU time: the machine is shared, and load only adds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'document':<22}{'ours ms':>10}{'reference ms':>14}  reference")
    for items in (50, 500):
        body = feed(items)
        ours = cpu_ms(lambda body=body: parse_feed(body, BASE), args.repeat)
        reference = cpu_ms(lambda body=body: feedparser.parse(io.BytesIO(body)), args.repeat)
        print(f"{f'RSS, {items} items':<22}{ours:>10.1f}{reference:>14.1f}  feedparser")
    for urls in (1_000, 50_000):
        body = sitemap(urls)
        ours = cpu_ms(lambda body=body: parse_sitemap(body, BASE), args.repeat)
        reference = cpu_ms(lambda body=body: list(Sitemap(body)), args.repeat)
        print(
            f"{f'sitemap, {urls:,} URLs':<22}{ours:>10.1f}{reference:>14.1f}  scrapy Sitemap (no dates read)"
        )


if __name__ == "__main__":
    main()
