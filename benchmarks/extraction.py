"""Extraction quality and speed: wiredesk's cleaner next to bare trafilatura (and readability-lxml).

    python benchmarks/extraction.py [--datasets DIR]      (default: $WIREDESK_DATASETS or ../shared/datasets)

- article-extraction-benchmark (181 pages, hand-checked bodies): the upstream metric: `\\w+`
  tokens, 4-token shingles, multiset overlap per page, precision and recall averaged over pages
  (an empty output counts 0 in recall and is left out of precision), F1 of the two averages.
- trafilatura-eval (990 pages with must-keep / must-drop snippets): mean keep, mean drop, pages
  with a leak, empty outputs (whitespace-folded, case-sensitive substring matching).
- ms per page of each extractor on the same pages, in this one run, and our/trafilatura's ratio.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import cleaner  # noqa: E402

_TOKEN = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+", re.UNICODE)


def extractors() -> dict[str, Callable[[bytes, str | None], str]]:
    found: dict[str, Callable[[bytes, str | None], str]] = {
        "wiredesk": lambda page, url: cleaner.clean(page, url).text,
        "trafilatura": lambda page, url: trafilatura.extract(page, url=url) or "",
        "trafilatura no comments": lambda page, url: (
            trafilatura.extract(page, url=url, include_comments=False) or ""
        ),
    }
    try:
        from lxml import html as lxml_html
        from readability import Document

        def readability(page: bytes, url: str | None) -> str:
            try:
                return lxml_html.fromstring(Document(page).summary()).text_content()
            except Exception:
                return ""

        found["readability-lxml"] = readability
    except ImportError:
        print("(readability-lxml not installed: pip install 'wiredesk[bench]')")
    return found


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3)))


def score_aeb(
    directory: Path, extract: Callable[[bytes, str | None], str]
) -> tuple[float, float, float, float]:
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    precisions, recalls, seconds = [], [], 0.0
    for page_id, expected in sorted(truth.items()):
        page = gzip.decompress((directory / "html" / f"{page_id}.html.gz").read_bytes())
        started = time.perf_counter()
        output = extract(page, expected.get("url"))
        seconds += time.perf_counter() - started
        got, want = shingles(output), shingles(expected["articleBody"])
        overlap = sum((got & want).values())
        if output.strip():
            precisions.append(overlap / max(sum(got.values()), 1))
        recalls.append(overlap / max(sum(want.values()), 1) if output.strip() else 0.0)
    precision, recall = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    return precision, recall, 2 * precision * recall / (precision + recall), seconds / len(truth) * 1000


def score_eval(
    directory: Path, extract: Callable[[bytes, str | None], str]
) -> tuple[float, float, int, int, float]:
    snippets = json.loads((directory / "snippets.json").read_text(encoding="utf-8"))
    keeps, drops, leaks, empty, seconds = [], [], 0, 0, 0.0
    for name, entry in sorted(snippets.items()):
        page = gzip.decompress((directory / "html" / f"{name}.html.gz").read_bytes())
        started = time.perf_counter()
        output = _SPACE.sub(" ", extract(page, entry.get("url"))).strip()
        seconds += time.perf_counter() - started
        empty += not output
        keep = [_SPACE.sub(" ", s).strip() for s in entry["with"]]
        drop = [_SPACE.sub(" ", s).strip() for s in entry["without"]]
        keeps.append(sum(s in output for s in keep) / len(keep) if output else 0.0)
        leaked = sum(s in output for s in drop)
        drops.append(1 - leaked / len(drop) if output else 1.0)
        leaks += leaked > 0 and bool(output)
    return sum(keeps) / len(keeps), sum(drops) / len(drops), leaks, empty, seconds / len(snippets) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default = os.environ.get("WIREDESK_DATASETS", str(REPO.parent / "shared" / "datasets"))
    parser.add_argument("--datasets", type=Path, default=Path(default))
    args = parser.parse_args()
    found = extractors()
    aeb = args.datasets / "article-extraction-benchmark"
    print(f"article-extraction-benchmark ({aeb})")
    print(f"{'extractor':26}{'precision':>10}{'recall':>8}{'F1':>8}{'ms/page':>9}")
    timings = {}
    for name, extract in found.items():
        precision, recall, f1, ms = score_aeb(aeb, extract)
        timings[name] = ms
        print(f"{name:26}{precision:>10.3f}{recall:>8.3f}{f1:>8.3f}{ms:>9.1f}")
    print(f"speed: wiredesk / trafilatura = {timings['wiredesk'] / timings['trafilatura']:.2f}")
    evalset = args.datasets / "trafilatura-eval"
    print(f"\ntrafilatura-eval ({evalset})")
    print(f"{'extractor':26}{'keep':>8}{'drop':>8}{'leaks':>7}{'empty':>7}{'ms/page':>9}")
    for name, extract in found.items():
        keep, drop, leaks, empty, ms = score_eval(evalset, extract)
        print(f"{name:26}{keep:>8.3f}{drop:>8.3f}{leaks:>7}{empty:>7}{ms:>9.1f}")


if __name__ == "__main__":
    main()
