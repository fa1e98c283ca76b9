"""How many requests a second crawl of an unchanged site makes (goal: listings only, no article page).

    python -m benchmarks.recrawl [--articles 500]

Crawls the loopback newsroom (its three small publishers plus a bulk site of N articles) twice into
one SQLite file and counts, from the server side, what the second crawl asked for.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from crawler.newsroom import Newsroom

WIREDESK = str(Path(sys.executable).parent / "wiredesk")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Newsroom(bulk_articles=args.articles) as newsroom:
        sources = Path(tmp) / "sources.toml"
        sources.write_text(newsroom.sources_toml(), encoding="utf-8")
        command = [
            WIREDESK,
            "crawl",
            "--sources",
            str(sources),
            "--db",
            f"sqlite:///{tmp}/c.db",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "WIREDESK_PROGRESS=False",
        ]
        subprocess.run(command, check=True, capture_output=True)
        first = list(newsroom.answers)
        newsroom.answers.clear()
        subprocess.run(command, check=True, capture_output=True)
        second = list(newsroom.answers)
    print(f"{'requests':32}{'first crawl':>12}{'second crawl':>14}")
    for label, status in (
        ("all", None),
        ("200 (pages, listings)", 200),
        ("304 (unchanged listing)", 304),
        ("301 (redirect)", 301),
    ):
        print(f"{label:32}{_count(first, status):>12}{_count(second, status):>14}")
    print(
        f"{'article pages fetched':32}{_count(first, 200, articles=True):>12}{_count(second, 200, True):>14}"
    )


def _count(answers: list[tuple[str, str, int]], status: int | None, articles: bool = False) -> int:
    return sum(
        1
        for _site, path, code in answers
        if (status is None or code == status) and (not articles or _is_article(path))
    )


def _is_article(path: str) -> bool:
    return (
        path.startswith(("/article/", "/story/", "/news/"))
        and not path.startswith("/news/world-news/?")
        and (path.rstrip("/") != "/news/world-news")
    )


if __name__ == "__main__":
    main()
