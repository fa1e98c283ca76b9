"""robots.txt holds for every request of a host, however many start at once (crawler/robots.py).

Scrapy 2.19's middleware gave the host's parser to the first two requests waiting for its robots.txt
and None ("no robots.txt") to the rest: a crawl that starts several requests to one host at once (a
source's start URLs, a resumed crawl's pending articles) fetched pages robots.txt disallowed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import crawl_report, one_source

from crawler.newsroom import Newsroom


@pytest.mark.slow
def test_no_disallowed_page_is_fetched_when_many_requests_wait_for_robots_txt(tmp_path: Path) -> None:
    with Newsroom() as newsroom:
        portal = newsroom.portal
        portal.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        private = [f"/private/section-{number}/" for number in range(6)]
        for path in private:
            portal.add(path, "<html><body><p>Members only.</p></body></html>")
        crawl = one_source(tmp_path / "sources.toml", [portal.url(path) for path in [*private, "/atom.xml"]])
        figures = crawl_report(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "report.json", *crawl)
        fetched = {path for site, path in newsroom.requests if site == "portal"}
    assert fetched & set(private) == set()
    assert figures["skipped"]["robots"] == len(private)
