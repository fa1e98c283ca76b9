"""CPU of the import's storing alone: the AEB pages cleaned once, then stored as `wiredesk import`
stores them (`Corpus.store_many`, batches of 50, the pages repeated under new URLs on 97 sites, so
a repeat is a copy on another site), into a fresh SQLite corpus.

    python -m benchmarks.import_storing [--records 500] [--pages DIR]

Prints the CPU per record spent in `store_many` (cleaning excluded): the import main process's
share that is storage, without the cleaning workers' noise (benchmarks/warc_import.py runs all).
Each page carries its text print (hash, signature, anchors) as the import's cleaning workers give
it (`--no-prints`: not, storage computes them, as before issue 20's eighth session measured it).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cleaner
from benchmarks.extraction_sets import datasets_dir
from cleaner.fingerprint import text_print
from crawler.newsroom.__main__ import read_pages
from storage import Corpus, FetchedPage, make_engine
from storage.schema import upgrade

BATCH = 50
SITES = 97


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--pages", type=Path, help="directory of *.html[.gz] pages (default: the AEB pages)")
    parser.add_argument("--no-prints", action="store_false", dest="prints", help="pages carry no text print")
    args = parser.parse_args()
    pages = read_pages(args.pages or datasets_dir() / "article-extraction-benchmark" / "html")
    cleaned = [(page, cleaner.clean(page, "http://site0.bench.test/story/0")) for page in pages]
    cleaned = [(page, article) for page, article in cleaned if article.error is None]
    print(f"{len(cleaned)} pages cleaned, stored to {args.records} records")
    print(f"{1000 * storing_cpu(cleaned, args.records, args.prints):.2f} ms CPU per record storing")


def storing_cpu(
    cleaned: list[tuple[bytes, cleaner.CleanArticle]], records: int, prints: bool = True
) -> float:
    """CPU seconds per record of `store_many` over `records` records of these pages."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    cpu = 0.0
    with tempfile.TemporaryDirectory(prefix="wiredesk-storing-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'corpus.db'}")
        upgrade(engine)
        corpus = Corpus(engine)
        printed = [text_print(article.text) if prints else None for _, article in cleaned]
        for first in range(0, records, BATCH):
            batch = []
            for number in range(first, min(first + BATCH, records)):
                body, article = cleaned[number % len(cleaned)]
                url = f"http://site{number % SITES}.bench.test/story/{number}"
                at = start + timedelta(seconds=number)
                page = FetchedPage(url, url, url, "warc", at, 200, body)
                if prints:
                    page = page.printed(printed[number % len(cleaned)])
                batch.append((page, article))
            before = time.process_time()
            corpus.store_many(batch)
            cpu += time.process_time() - before
        engine.dispose()
    return cpu / records


if __name__ == "__main__":
    main()
