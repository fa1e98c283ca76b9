"""What the article's media fields cost the cleaner (issue 18): each new reader timed on the same
parsed pages as the whole `cleaner.clean`, in one process, page by page.

    python -m benchmarks.article_media [--datasets DIR] [--sample 100]

On `--sample` pages of each shared dataset (extraction.py's loaders and sampling): per page,
`cleaner.clean` whole, then, on one tree parsed for the purpose, the readers issue 18 added
(images, top image, keywords, free access) and the language detector forced on the clean text,
as if no page declared its language (the worst case: a crawl only detects on undeclared pages).
The detector's one-off model load is timed apart. Prints milliseconds per page and each part's
share of `clean`; how many pages gave images, keywords, a paywall flag, a detected language.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import cleaner
from benchmarks.extraction import DATASETS, REPO, select
from cleaner import images, language, metadata
from cleaner.extract import parse_tree
from cleaner.html import PageRejected, decode_page


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args()
    pages = [page for dataset in DATASETS.values() for page in select(dataset, args.datasets, args.sample)]
    started = time.perf_counter()
    language.detect_language("The detector's model is loaded on its first use, once per process.")
    load = time.perf_counter() - started
    seconds: Counter[str] = Counter()
    found: Counter[str] = Counter()
    for page in pages:
        started = time.perf_counter()
        article = cleaner.clean(page.html, page.url)
        seconds["clean"] += time.perf_counter() - started
        try:
            tree, _ = parse_tree(decode_page(page.html))
        except PageRejected:
            continue
        if tree is None:
            continue
        _time_readers(tree, page.url, article.text, seconds, found)
    report(len(pages), load, seconds, found)


def _time_readers(
    tree: object, url: str | None, text: str, seconds: Counter[str], found: Counter[str]
) -> None:
    page = metadata.landmarks(tree)
    meta, ld = metadata.meta_tags(page.metas), metadata.json_ld_article(page.scripts)
    declared = metadata.declared_language(tree, page, meta)
    base = metadata.base_url(page, url)
    parts = {
        "images": lambda: images.story_images(tree, base),
        "top image": lambda: images.top_image(meta, ld, [], base),
        "keywords": lambda: metadata.keywords(page, meta, ld),
        "free access": lambda: metadata.free_access(meta, ld),
        "language (forced)": lambda: language.detect_language(text),
    }
    for name, reader in parts.items():
        started = time.perf_counter()
        value = reader()
        seconds[name] += time.perf_counter() - started
        found[name] += value is not None and value != []
    detected = language.detect_language(text)
    found["undeclared"] += declared is None
    found["declared, detected"] += declared is not None and detected is not None
    found["agreeing"] += declared is not None and detected == declared


def report(pages: int, load: float, seconds: Counter[str], found: Counter[str]) -> None:
    clean_ms = seconds["clean"] * 1000 / pages
    print(f"{pages} pages; cleaner.clean {clean_ms:.1f} ms/page; detector model load {load * 1000:.0f} ms")
    print(f"{'part':<20}{'ms/page':>10}{'of clean':>10}{'pages with a value':>20}")
    for name in ("images", "top image", "keywords", "free access", "language (forced)"):
        share = seconds[name] / seconds["clean"]
        print(f"{name:<20}{seconds[name] * 1000 / pages:>10.2f}{share:>10.1%}{found[name]:>20}")
    print(
        f"pages declaring no language (where a crawl detects): {found['undeclared']}; "
        f"declared and detected: {found['declared, detected']}, agreeing: {found['agreeing']}"
    )


if __name__ == "__main__":
    main()
