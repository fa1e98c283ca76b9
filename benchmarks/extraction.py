"""Extraction quality and speed on three datasets: wiredesk's cleaner next to bare trafilatura.

    python benchmarks/extraction.py [--datasets DIR] [--sample N] [--only aeb,eval,fundus]
                                    [--split dev|holdout] [--json OUT] [--against EARLIER.json]
                                    [--readability]

DIR defaults to $WIREDESK_DATASETS, else ../shared/datasets. On every page, in one run, each
extractor runs in turn (wiredesk, `trafilatura.extract`, `trafilatura.extract(favor_precision=True)`,
readability-lxml with `--readability`), so their times are measured side by side under the same load.

- article-extraction-benchmark (AEB, 181 pages, hand-checked bodies): the upstream metric: `\\w+`
  tokens, 4-token shingles, multiset overlap per page, precision and recall averaged over pages
  (an empty output counts 0 in recall and is left out of precision), F1 of the two averages.
- trafilatura-eval (990 pages with must-keep / must-drop snippets): mean keep, mean drop, pages
  with a leak, empty outputs (whitespace-folded, case-sensitive substring matching). The title and
  the standfirst are must-keep snippets there, so wiredesk is scored on title + standfirst + text
  (the cleaner moves them out of the text; the standfirst is its summary when printed on the page).
- fundus-dev (183 news pages, per-publisher parsers' output): the metric of its score.py (NFKC,
  lower case, `\\w+` tokens, bag-of-words overlap; macro P, R, F1 over pages and per language).
  Its truth starts with the standfirst, so wiredesk is scored on standfirst + text.

For each dataset it prints the pages where wiredesk is more than 0.2 below trafilatura (F1 or
keep), and at the end wiredesk's time per page over bare trafilatura's. `--sample N` scores N
pages of each set, spread evenly; `--split dev|holdout` only the sites of one half (a stable hash
of the site: tune on dev, confirm on holdout); a run of both halves prints each half's figures
too. `--json` writes every page's scores; `--against`
lists the pages whose wiredesk scores fell by more than 0.02 since that earlier file (F1; keep and
drop on trafilatura-eval).
`--write-floors` writes wiredesk's figures to benchmarks/floors.json, which
tests/test_cleaner_floors.py holds the cleaner to on a sample.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import re
import sys
import time
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trafilatura

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import cleaner  # noqa: E402

_SHINGLE_TOKEN = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+", re.UNICODE)
# A page is listed when wiredesk's score is this far below trafilatura's.
_BEHIND = 0.2
# benchmarks/floors.json: wiredesk's figures that must not fall (--write-floors writes them); the
# floors test scores the sample of FLOOR_SAMPLE pages of each set (`sample`).
FLOORS = REPO / "benchmarks" / "floors.json"
FLOOR_SAMPLE = {"aeb": 90, "eval": 250, "fundus": 120}
FLOOR_FIGURES = {
    "aeb": ("P", "R", "F1"),
    "eval": ("keep", "drop", "leaks"),
    "fundus": ("P", "R", "F1", "F1 de", "F1 en"),
}
CEILINGS = ("leaks",)
FLOORS_ABOUT = (
    "wiredesk's quality on the shared datasets (benchmarks/extraction.py --write-floors): 'all' on "
    "every page, 'sample' on the sample tests/test_cleaner_floors.py scores. Figures are floors "
    "(leaks a ceiling). No timings: speed is measured by the benchmark, side by side."
)
# With --against, a page is listed when its score fell by more than this.
_WORSE = 0.02


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


Extractor = Callable[["bytes | str", "str | None"], Output]


def wiredesk(page: bytes | str, url: str | None) -> Output:
    """The cleaner's text, title, and summary when it was printed on the page as the standfirst
    (a summary read only from a meta tag is no part of what the reader sees)."""
    article = cleaner.clean(page, url)
    shown = any(block.reason == "standfirst" for block in article.removed)
    return Output(article.text, article.title or "", (article.summary or "") if shown else "")


def extractors(with_readability: bool = False) -> dict[str, Extractor]:
    """The extractors compared, wiredesk first: the reference for the listings is `trafilatura`."""
    found: dict[str, Extractor] = {
        "wiredesk": wiredesk,
        "trafilatura": lambda page, url: Output(trafilatura.extract(page, url=url) or ""),
        "trafilatura precision": lambda page, url: Output(
            trafilatura.extract(page, url=url, favor_precision=True) or ""
        ),
    }
    if with_readability:
        from lxml import html as lxml_html
        from readability import Document

        def readability(page: bytes | str, url: str | None) -> Output:
            try:
                return Output(lxml_html.fromstring(Document(page).summary()).text_content())
            except Exception:
                return Output("")

        found["readability-lxml"] = readability
    return found


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


@dataclass
class Run:
    """Per-page scores and seconds of each extractor on one dataset."""

    pages: list[Page]
    rows: dict[str, list[dict[str, float]]] = field(default_factory=lambda: defaultdict(list))
    seconds: Counter[str] = field(default_factory=Counter)


def run(dataset: Dataset, pages: list[Page], found: dict[str, Extractor], progress: bool = True) -> Run:
    """Every extractor on every page, in turn page by page, so that load affects them alike.

    Each runs once on the first page before the clock starts: the first call loads what an
    extractor loads once per process (trafilatura's language data, the cleaner's rules)."""
    result = Run(pages)
    for extract in found.values():
        extract(pages[0].html, pages[0].url)
    for number, page in enumerate(pages, 1):
        for name, extract in found.items():
            started = time.perf_counter()
            output = extract(page.html, page.url)
            result.seconds[name] += time.perf_counter() - started
            result.rows[name].append(dataset.score(output, page))
        if progress and (number % 25 == 0 or number == len(pages)):
            print(f"  {dataset.folder}: {number}/{len(pages)} pages", end="\r", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return result


def report(dataset: Dataset, result: Run) -> dict[str, dict[str, float]]:
    summaries = {name: dataset.summary(rows, result.pages) for name, rows in result.rows.items()}
    print(f"{'extractor':24}" + "".join(f"{column:>8}" for column in dataset.columns) + f"{'ms/page':>9}")
    for name, figures in summaries.items():
        ms = result.seconds[name] / len(result.pages) * 1000
        print(f"{name:24}" + "".join(_cell(figures[column]) for column in dataset.columns) + f"{ms:>9.1f}")
    _report_halves(dataset, result)
    languages = [key for key in summaries["wiredesk"] if key.startswith("F1 ")]
    if languages:
        print(f"F1 by language (pages){'':6}" + "".join(f"{name:>22}" for name in summaries))
        counts = Counter(page.truth["language"] for page in result.pages)
        for key in languages:
            print(
                f"  {key[3:]:6}{counts[key[3:]]:>4}{'':14}"
                + "".join(f"{figures[key]:>22.3f}" for figures in summaries.values())
            )
    behind = [
        (ours[dataset.listed] - theirs[dataset.listed], page.name)
        for page, ours, theirs in zip(
            result.pages, result.rows["wiredesk"], result.rows["trafilatura"], strict=True
        )
        if ours[dataset.listed] < theirs[dataset.listed] - _BEHIND
    ]
    print(f"pages where wiredesk is more than {_BEHIND} {dataset.listed} below trafilatura: {len(behind)}")
    for gap, name in sorted(behind):
        print(f"  {gap:+.2f}  {name}")
    return summaries


def _report_halves(dataset: Dataset, result: Run) -> None:
    """The figures of each half of the sites (`in_split`), so that a change designed on the dev
    half is seen to hold on the holdout half in the same run."""
    for half in ("dev", "holdout"):
        chosen = [number for number, page in enumerate(result.pages) if in_split(page.site, half)]
        if not chosen or len(chosen) == len(result.pages):
            continue
        pages = [result.pages[number] for number in chosen]
        cells = []
        for name in ("wiredesk", "trafilatura"):
            figures = dataset.summary([result.rows[name][number] for number in chosen], pages)
            shown = (_cell(figures[column]).strip() for column in dataset.columns[:3])
            cells.append(f"{name} " + " / ".join(shown))
        print(f"  {half} half ({len(pages)} pages): " + ";  ".join(cells))


def _cell(value: float | int) -> str:
    return f"{value:>8}" if isinstance(value, int) else f"{value:>8.3f}"


def compare(earlier: dict[str, Any], runs: dict[str, Run]) -> None:
    """Pages whose wiredesk scores fell since an earlier --json file, per dataset and figure."""
    for key, result in runs.items():
        dataset = DATASETS[key]
        before = {row["name"]: row for row in earlier.get(key, {}).get("pages", [])}
        for figure in dataset.watched:
            worse = []
            for page, row in zip(result.pages, result.rows["wiredesk"], strict=True):
                then = before.get(page.name, {}).get("wiredesk")
                if then is not None and row[figure] < then[figure] - _WORSE:
                    worse.append((row[figure] - then[figure], page.name, then[figure], row[figure]))
            print(f"\n{dataset.folder}: wiredesk {figure} fell by more than {_WORSE} on {len(worse)} pages")
            for change, name, then_score, now_score in sorted(worse):
                print(f"  {change:+.3f}  {then_score:.3f} -> {now_score:.3f}  {name}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default = os.environ.get("WIREDESK_DATASETS", str(REPO.parent / "shared" / "datasets"))
    parser.add_argument("--datasets", type=Path, default=Path(default))
    parser.add_argument("--only", default="aeb,eval,fundus", help="comma-separated: aeb, eval, fundus")
    parser.add_argument("--sample", type=int, help="score this many pages of each dataset")
    parser.add_argument("--split", choices=("dev", "holdout"), help="only the sites of one half")
    parser.add_argument("--json", type=Path, help="write every page's scores here")
    parser.add_argument("--against", type=Path, help="an earlier --json file: list the pages that got worse")
    parser.add_argument("--readability", action="store_true", help="also run readability-lxml")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--write-floors", action="store_true", help=f"write wiredesk's figures to {FLOORS.name} (every page)"
    )
    args = parser.parse_args(argv)
    if args.write_floors and (args.sample or args.split or args.only != "aeb,eval,fundus"):
        parser.error("--write-floors scores every page of every set: no --sample, --split or --only")
    found = extractors(args.readability)
    runs: dict[str, Run] = {}
    saved: dict[str, Any] = {}
    for key in args.only.split(","):
        dataset = DATASETS[key]
        pages = select(dataset, args.datasets, args.sample, args.split)
        print(f"\n{dataset.folder} ({len(pages)} pages)")
        runs[key] = run(dataset, pages, found, progress=not args.quiet)
        summaries = report(dataset, runs[key])
        saved[key] = {"summary": summaries, "pages": list(_page_rows(runs[key]))}
    total = Counter[str]()
    for result in runs.values():
        total.update(result.seconds)
    pages = sum(len(result.pages) for result in runs.values())
    print(
        f"\ntime per page over all {pages} pages: "
        + ", ".join(f"{name} {seconds / pages * 1000:.1f} ms" for name, seconds in total.items())
    )
    print(f"speed: wiredesk / bare trafilatura = {total['wiredesk'] / total['trafilatura']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
    if args.against:
        compare(json.loads(args.against.read_text(encoding="utf-8")), runs)
    if args.write_floors:
        FLOORS.write_text(json.dumps(floors(runs), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwrote {FLOORS}")


def floors(runs: dict[str, Run]) -> dict[str, Any]:
    """wiredesk's figures on every page, and on the sample tests/test_cleaner_floors.py scores,
    as floors: quality figures rounded down to three places, leak counts as they are (ceilings)."""
    written: dict[str, Any] = {"about": FLOORS_ABOUT, "sample_sizes": FLOOR_SAMPLE, "all": {}, "sample": {}}
    for key, result in runs.items():
        dataset = DATASETS[key]
        rows = dict(zip((page.name for page in result.pages), result.rows["wiredesk"], strict=True))
        chosen = sample(result.pages, FLOOR_SAMPLE[key])
        for part, pages in (("all", result.pages), ("sample", chosen)):
            figures = dataset.summary([rows[page.name] for page in pages], pages)
            written[part][key] = {name: _floor(figures[name]) for name in FLOOR_FIGURES[key]}
    return written


def below_floors(figures: dict[str, float], floors_of_set: dict[str, float]) -> list[str]:
    """The figures that fall below their floor (or above it, for counts of leaking pages)."""
    return [
        f"{name} {figures[name]:.3f} {'>' if name in CEILINGS else '<'} {floor}"
        for name, floor in floors_of_set.items()
        if (figures[name] > floor if name in CEILINGS else figures[name] < floor)
    ]


def _floor(value: float | int) -> float | int:
    return value if isinstance(value, int) else math.floor(value * 1000) / 1000


def _page_rows(result: Run) -> Iterator[dict[str, Any]]:
    for number, page in enumerate(result.pages):
        yield {
            "name": page.name,
            "site": page.site,
            **{name: rows[number] for name, rows in result.rows.items()},
        }


if __name__ == "__main__":
    main()
