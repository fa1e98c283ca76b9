"""CPU per page of `cleaner.clean` next to bare `trafilatura.extract`, on the same pages, in one run.

    python -m benchmarks.cleaner_speed [--datasets DIR] [--only aeb,eval,fundus] [--sample N]
                                       [--slices 8]

DIR defaults to $WIREDESK_DATASETS, else ../shared/datasets (the three shared sets, read as
benchmarks/extraction.py reads them: 1,354 pages). The cleaner gets each page and its URL, as a
crawl's worker does; trafilatura gets the page with its default settings, as the throughput
benchmark's baseline does (`trafilatura.extract(page)`).

Both run in this one process, alternately over `--slices` slices of the pages (every slice-th
page, so each slice mixes the sets alike), the side that goes first changing each slice: on a
shared machine the load drifts over minutes, and alternating spreads it over both. Time is this
process's CPU time (`time.process_time`), which on a loaded machine is much steadier than wall
time. Before the clock starts, each side cleans a first page and the language detector loads its
model, as a crawl's workers have done after their first pages.

Prints ms of CPU per page of each side, per slice and over all, and the ratio cleaner ÷ trafilatura.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import trafilatura

import cleaner
from benchmarks.extraction import DATASETS, Page, select
from benchmarks.extraction_sets import dataset_parser
from cleaner.language import detect_language

Side = Callable[[Page], object]
SIDES: dict[str, Side] = {
    "cleaner.clean": lambda page: cleaner.clean(page.html, page.url),
    "trafilatura.extract": lambda page: trafilatura.extract(page.html),
}


def cpu_seconds(side: Side, pages: list[Page]) -> float:
    """This process's CPU time spent by `side` over the pages."""
    started = time.process_time()
    for page in pages:
        side(page)
    return time.process_time() - started


def measure(pages: list[Page], slices: int) -> list[dict[str, float]]:
    """Seconds of CPU of each side over each slice, the sides alternating which goes first."""
    for side in SIDES.values():
        side(pages[0])
    detect_language("The language detector loads its model on the first page that needs it.")
    rows = []
    for index in range(slices):
        part = pages[index::slices]
        order = list(SIDES) if index % 2 == 0 else list(reversed(SIDES))
        row = {name: cpu_seconds(SIDES[name], part) for name in order}
        row["pages"] = len(part)
        rows.append(row)
    return rows


def report(rows: list[dict[str, float]]) -> None:
    clean, bare = SIDES
    print(f"{'slice':>5} {'pages':>6} {clean + ' ms':>18} {bare + ' ms':>24} {'ratio':>7}")
    for number, row in enumerate(rows, 1):
        pages = row["pages"]
        ours, theirs = row[clean] / pages * 1000, row[bare] / pages * 1000
        print(f"{number:>5} {pages:>6.0f} {ours:>18.2f} {theirs:>24.2f} {ours / theirs:>7.3f}")
    pages = sum(row["pages"] for row in rows)
    ours = sum(row[clean] for row in rows) / pages * 1000
    theirs = sum(row[bare] for row in rows) / pages * 1000
    print(f"{'all':>5} {pages:>6.0f} {ours:>18.2f} {theirs:>24.2f} {ours / theirs:>7.3f}")
    print(f"CPU per page: {clean} {ours:.2f} ms, {bare} {theirs:.2f} ms; ratio {ours / theirs:.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = dataset_parser(__doc__)
    parser.add_argument("--sample", type=int, help="this many pages of each set, spread evenly")
    parser.add_argument("--slices", type=int, default=8, help="alternate the two sides over this many slices")
    args = parser.parse_args(argv)
    keys = args.only.split(",")
    pages = [page for key in keys for page in select(DATASETS[key], args.datasets, args.sample)]
    print(f"{len(pages)} pages ({args.only}), {args.slices} slices")
    report(measure(pages, args.slices))


if __name__ == "__main__":
    main()
