"""The three datasets of benchmarks/extraction.py: where each lives, how its pages are read, how
an extractor's output is scored on a page, and how the page scores sum up; and which half of the
sites (dev or holdout) a page belongs to.

- article-extraction-benchmark (AEB): the upstream metric, 4-token shingles, per-page precision and
  recall averaged (an empty output counts 0 in recall and is left out of precision), F1 of the two.
- trafilatura-eval: must-keep / must-drop snippets, whitespace-folded, case-sensitive substring
  matching; scored on title + standfirst + text.
- fundus-dev: the metric of its score.py (NFKC, lower case, `\\w+` tokens, bag-of-words overlap;
  macro P, R, F1 over pages and per language); scored on standfirst + text.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def datasets_dir() -> Path:
    """Where the shared datasets are: $WIREDESK_DATASETS, else `shared/datasets` beside the project."""
    default = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    return Path(os.environ.get("WIREDESK_DATASETS", default))


def dataset_parser(description: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line with what every benchmark over the three sets takes."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=datasets_dir())
    parser.add_argument("--only", default="aeb,eval,fundus", help="comma-separated: aeb, eval, fundus")
    return parser


_SHINGLE_TOKEN = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+", re.UNICODE)


@dataclass(frozen=True)
class Output:
    """What an extractor made of a page: the text, and the title and summary when it gives them."""

    text: str
    title: str = ""
    summary: str = ""

    def joined(self, *parts: str) -> str:
        """The named parts that are not empty and not already in the text, one a line, then the text."""
        heads = [getattr(self, part) for part in parts]
        return "\n".join([head for head in heads if head and head not in self.text] + [self.text])


@dataclass
class Page:
    name: str
    url: str | None
    site: str
    html: bytes | str
    """The bytes as recorded; fundus-dev's as its score.py passes them: decoded as UTF-8."""
    truth: Any


@dataclass
class Dataset:
    """One dataset: where it lives, how its pages are read, scored and summed up."""

    key: str
    folder: str
    pages: Callable[[Path], list[Page]]
    score: Callable[[Output, Page], dict[str, float]]
    summary: Callable[[list[dict[str, float]], list[Page]], dict[str, float]]
    listed: str
    """The per-page figure compared with trafilatura's for the listing of pages behind it."""
    columns: tuple[str, ...]
    watched: tuple[str, ...]
    """The per-page figures `--against` compares with an earlier run."""


def _site(url: str | None, fallback: str) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.") or fallback


def _gunzip(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def aeb_pages(directory: Path) -> list[Page]:
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(
            name,
            entry.get("url"),
            _site(entry.get("url"), name),
            _gunzip(directory / "html" / f"{name}.html.gz"),
            entry["articleBody"],
        )
        for name, entry in sorted(truth.items())
    ]


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _SHINGLE_TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3)))


def aeb_score(output: Output, page: Page) -> dict[str, float]:
    text = output.text
    got, want = shingles(text), shingles(page.truth)
    overlap = sum((got & want).values())
    empty = not text.strip()
    precision = overlap / max(sum(got.values()), 1)
    recall = 0.0 if empty else overlap / max(sum(want.values()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"p": precision, "r": recall, "f1": f1, "empty": float(empty)}


def aeb_summary(rows: list[dict[str, float]], pages: list[Page]) -> dict[str, float]:
    """Upstream: precision averaged over non-empty outputs, recall over all, F1 of the two."""
    kept = [row["p"] for row in rows if not row["empty"]]
    precision = sum(kept) / max(len(kept), 1)
    recall = sum(row["r"] for row in rows) / len(rows)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"P": precision, "R": recall, "F1": f1, "empty": int(sum(row["empty"] for row in rows))}


def eval_pages(directory: Path) -> list[Page]:
    snippets = json.loads((directory / "snippets.json").read_text(encoding="utf-8"))
    return [
        Page(
            name,
            entry.get("url"),
            _site(entry.get("url"), name),
            _gunzip(directory / "html" / f"{name}.html.gz"),
            entry,
        )
        for name, entry in sorted(snippets.items())
    ]


def eval_score(output: Output, page: Page) -> dict[str, float]:
    text = _SPACE.sub(" ", output.joined("title", "summary")).strip()
    keep = [_SPACE.sub(" ", snippet).strip() for snippet in page.truth["with"]]
    drop = [_SPACE.sub(" ", snippet).strip() for snippet in page.truth["without"]]
    leaked = sum(snippet in text for snippet in drop) if text else 0
    return {
        "keep": sum(snippet in text for snippet in keep) / len(keep) if text else 0.0,
        "drop": 1 - leaked / len(drop),
        "leak": float(leaked > 0),
        "empty": float(not text),
    }


def eval_summary(rows: list[dict[str, float]], pages: list[Page]) -> dict[str, float]:
    return {
        "keep": sum(row["keep"] for row in rows) / len(rows),
        "drop": sum(row["drop"] for row in rows) / len(rows),
        "leaks": int(sum(row["leak"] for row in rows)),
        "empty": int(sum(row["empty"] for row in rows)),
    }


def fundus_pages(directory: Path) -> list[Page]:
    truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
    return [
        Page(
            name,
            entry["url"],
            entry["publisher"],
            _gunzip(directory / "pages" / f"{name}.html.gz").decode("utf-8", "replace"),
            entry,
        )
        for name, entry in sorted(truth.items())
    ]


def fundus_tokens(text: str) -> list[str]:
    """fundus-dev's score.py: NFKC, lower case, runs of `\\w`."""
    return _SHINGLE_TOKEN.findall(unicodedata.normalize("NFKC", text or "").lower())


def fundus_score(output: Output, page: Page) -> dict[str, float]:
    got = fundus_tokens(output.joined("summary"))
    want = Counter(fundus_tokens("\n".join(page.truth["body"])))
    overlap = sum(min(count, want[token]) for token, count in Counter(got).items())
    precision = overlap / len(got) if got else 0.0
    recall = overlap / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"p": precision, "r": recall, "f1": f1, "empty": float(not got)}


def fundus_summary(rows: list[dict[str, float]], pages: list[Page]) -> dict[str, float]:
    """Macro P, R, F1 over pages, then macro F1 per language (`F1 de`, `F1 en`, ...)."""
    figures = {key.upper(): sum(row[key] for row in rows) / len(rows) for key in ("p", "r", "f1")}
    by_language: dict[str, list[float]] = defaultdict(list)
    for row, page in zip(rows, pages, strict=True):
        by_language[page.truth["language"]].append(row["f1"])
    for language, scores in sorted(by_language.items(), key=lambda item: -len(item[1])):
        figures[f"F1 {language}"] = sum(scores) / len(scores)
    figures["empty"] = int(sum(row["empty"] for row in rows))
    return figures


DATASETS = {
    "aeb": Dataset(
        "aeb",
        "article-extraction-benchmark",
        aeb_pages,
        aeb_score,
        aeb_summary,
        "f1",
        ("P", "R", "F1", "empty"),
        ("f1",),
    ),
    "eval": Dataset(
        "eval",
        "trafilatura-eval",
        eval_pages,
        eval_score,
        eval_summary,
        "keep",
        ("keep", "drop", "leaks", "empty"),
        ("keep", "drop"),
    ),
    "fundus": Dataset(
        "fundus",
        "fundus-dev",
        fundus_pages,
        fundus_score,
        fundus_summary,
        "f1",
        ("P", "R", "F1", "empty"),
        ("f1",),
    ),
}


def in_split(site: str, split: str | None) -> bool:
    """Sites fall in `dev` or `holdout` by a stable hash of their name (half each, every run alike)."""
    if split is None:
        return True
    return (zlib.crc32(site.encode()) % 2 == 0) == (split == "dev")


def sample(pages: list[Page], size: int | None) -> list[Page]:
    """`size` pages spread evenly over the (name-sorted) list; all of them when `size` is None."""
    if size is None or size >= len(pages):
        return pages
    step = len(pages) / size
    return [pages[int(i * step)] for i in range(size)]


def select(dataset: Dataset, directory: Path, size: int | None, split: str | None = None) -> list[Page]:
    pages = [page for page in dataset.pages(directory / dataset.folder) if in_split(page.site, split)]
    return sample(pages, size)
