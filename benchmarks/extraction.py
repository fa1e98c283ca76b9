"""Extraction quality and speed on three datasets: wiredesk's cleaner next to bare trafilatura.

    python -m benchmarks.extraction [--datasets DIR] [--sample N] [--only aeb,eval,fundus]
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
The datasets (loading, scoring, the dev/holdout split) are in benchmarks/extraction_sets.py.
`--write-floors` writes wiredesk's figures to benchmarks/floors.json, which
tests/test_cleaner_floors.py holds the cleaner to on a sample.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trafilatura

import cleaner
from benchmarks.extraction_sets import (
    DATASETS,
    Dataset,
    Output,
    Page,
    dataset_parser,
    in_split,
    sample,
    select,
)

REPO = Path(__file__).resolve().parent.parent

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
    "wiredesk's quality on the shared datasets (python -m benchmarks.extraction --write-floors): 'all' on "
    "every page, 'sample' on the sample tests/test_cleaner_floors.py scores. Figures are floors "
    "(leaks a ceiling). No timings: speed is measured by the benchmark, side by side."
)
# With --against, a page is listed when its score fell by more than this.
_WORSE = 0.02


Extractor = Callable[["bytes | str", "str | None"], Output]


def wiredesk(page: bytes | str, url: str | None) -> Output:
    """The cleaner's output on the page, as scored."""
    return scored_output(cleaner.clean(page, url))


def scored_output(article: cleaner.CleanArticle) -> Output:
    """The cleaner's text, title, and summary when it was printed on the page as the standfirst
    (a summary read only from a meta tag is no part of what the reader sees)."""
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
    parser = dataset_parser(__doc__)
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
