"""Serve the newsroom from its own process: `python -m crawler.newsroom --bulk 3000 --sources-out s.toml`.

Benchmarks run it apart from the crawl they measure, so serving pages does not compete with the
crawler for the same interpreter. It writes the sources file, prints "ready" and serves until killed.
"""

from __future__ import annotations

import argparse
import gzip
import signal
import threading
from pathlib import Path

from crawler.newsroom import Newsroom


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bulk", type=int, default=0, help="generated articles on the bulk site")
    parser.add_argument(
        "--pages", type=Path, help="serve these real pages (*.html, *.html.gz) in turn instead"
    )
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each bulk answer")
    parser.add_argument("--sources-out", type=Path, required=True, help="where to write the sources file")
    args = parser.parse_args()
    real_pages = read_pages(args.pages) if args.pages else None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with Newsroom(bulk_articles=args.bulk, bulk_delay=args.delay, real_pages=real_pages) as newsroom:
        args.sources_out.write_text(newsroom.sources_toml(), encoding="utf-8")
        print("ready", flush=True)
        stop.wait()


def read_pages(directory: Path) -> list[bytes]:
    """The real pages of a folder (*.html, *.html.gz): the newsroom serves them, benchmarks clean them."""
    files = sorted(directory.glob("*.html")) + sorted(directory.glob("*.html.gz"))
    return [gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes() for f in files]


if __name__ == "__main__":
    main()
