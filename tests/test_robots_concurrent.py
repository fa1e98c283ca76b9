"""robots.txt holds for every request of a host, however many start at once (crawler/robots.py).

Scrapy 2.19's middleware gave the host's parser to the first two requests waiting for its robots.txt
and None ("no robots.txt") to the rest: a crawl that starts several requests to one host at once (a
source's start URLs, a resumed crawl's pending articles) fetched pages robots.txt disallowed.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FAST, run_wiredesk

from crawler.newsroom import Newsroom


def test_no_disallowed_page_is_fetched_when_many_requests_wait_for_robots_txt(tmp_path: Path) -> None:
    sources, report = tmp_path / "sources.toml", tmp_path / "report.json"
    with Newsroom() as newsroom:
        portal = newsroom.portal
        portal.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        private = [f"/private/section-{number}/" for number in range(6)]
        for path in private:
            portal.add(path, "<html><body><p>Members only.</p></body></html>")
        urls = ", ".join(f'"{portal.url(path)}"' for path in [*private, "/atom.xml"])
        sources.write_text(f"[sources.portal]\nstart_urls = [{urls}]\n", encoding="utf-8")
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
        fetched = {path for site, path in newsroom.requests if site == "portal"}
    assert fetched & set(private) == set()
    assert json.loads(report.read_text(encoding="utf-8"))["skipped"]["robots"] == len(private)
