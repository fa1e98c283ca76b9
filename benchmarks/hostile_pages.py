"""Time and peak memory of the cleaner on hostile pages, each cleaned in a fresh child process.

    python -m benchmarks.hostile_pages [--only TEXT]

For each kind of page in benchmarks/hostile_input.py (past the cleaner's limits, and just under them):
seconds in `cleaner.clean`, the child's peak resident memory (ru_maxrss) and how much of it the
cleaning added over a child that had imported the cleaner, cleaned first pages, loaded the
language detector's model and built the hostile one, and what came out (the error, or the
characters of text). The model is measured apart (a first line: the child before it, and what it
added, resident and at its peak while loading): a worker loads it only for the first page that
declares no language. Goal (issue #21): no page costs more than 2 s or 300 MB to clean, the
model included.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable

import cleaner
from benchmarks.hostile_input import cleaner_limits, hostile_pages
from cleaner.language import detect_language

GOAL_SECONDS = 2.0
GOAL_MB = 300
LIMITS = cleaner_limits()


def pages() -> dict[str, Callable[[], bytes]]:
    return hostile_pages(LIMITS)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def child(kind: str) -> None:
    """In the child: warm up (trafilatura builds parts of itself on first use) on pages that
    declare their language, load the language model, build the page, clean it, print one JSON
    line of figures."""
    for warm_up in ("A first page to clean. " * 20, "A short one."):  # the second: the full cascade
        cleaner.clean(f"<html lang=en><body><article><p>{warm_up}</p></article></body></html>")
    without_model, peak_without_model = _resident_mb(), _peak_mb()
    detect_language("A first text whose language the model tells, long enough for it.")
    model = {"base": without_model, "model": _resident_mb() - without_model}
    model["model_peak"] = _peak_mb() - peak_without_model
    page = pages()[kind]()
    before = _peak_mb()
    started, cpu = time.perf_counter(), time.process_time()
    article = cleaner.clean(page)
    figures = {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}
    peak = _peak_mb()
    figures |= {"peak": peak, "added": peak - before, "bytes": len(page)}
    outcome = article.error or f"{len(article.text):,} characters"
    print(json.dumps(figures | model | {"outcome": outcome}))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="only the kinds whose name holds this text")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print("limits:", ", ".join(f"{name} {value:,}" for name, value in LIMITS._asdict().items()))
    print(f"{'page':46}{'MB':>6}{'s':>7}{'CPU s':>7}{'peak MB':>9}{'added':>7}  outcome")
    worst_seconds = worst_mb = 0.0
    for kind in pages():
        if args.only not in kind:
            continue
        run = subprocess.run(
            [sys.executable, "-m", "benchmarks.hostile_pages", "--child", kind],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(run.stdout.strip().splitlines()[-1])
        if not worst_seconds and not worst_mb:
            print(
                f"a child after imports and first pages: {figures['base']:.0f} MB; the language "
                f"model adds {figures['model']:.0f} MB resident ({figures['model_peak']:.0f} MB "
                "to the peak while loading)"
            )
        worst_seconds = max(worst_seconds, figures["cpu"])
        worst_mb = max(worst_mb, figures["peak"])
        print(
            f"{kind:46}{figures['bytes'] / 1e6:>6.1f}{figures['seconds']:>7.2f}{figures['cpu']:>7.2f}"
            f"{figures['peak']:>9.0f}{figures['added']:>7.0f}  {figures['outcome']}"
        )
    verdict = "met" if worst_seconds <= GOAL_SECONDS and worst_mb <= GOAL_MB else "NOT met"
    print(
        f"worst: {worst_seconds:.2f} CPU s, {worst_mb:.0f} MB peak "
        f"(goal {GOAL_SECONDS:g} s, {GOAL_MB} MB: {verdict})"
    )


if __name__ == "__main__":
    main()
