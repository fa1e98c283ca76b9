"""Every regular expression of the cleaner and of the crawler's URL rules runs in linear time on
hostile input (the adversarial lines of benchmarks/hostile_input.py; URL slugs for the crawler's).

Two passes per pattern, both on CPU time (ITIMER_PROF, time.process_time), so a machine loaded by
other work does not count:
1. Screen: every adversarial line at SCREEN_CHARS characters, under a CPU budget that exponential
   backtracking exhausts even at that length; the WORST slowest lines go on to the second pass.
2. Scale: each of them at LINE_CHARS and at SCALE times that. A linear search takes about SCALE
   times longer on the longer line, a quadratic one SCALE² times: more than MAX_RATIO fails, once
   the longer search costs more than FLOOR_SECONDS (below that timer noise rules, and the cost is
   harmless whatever its shape).
The earlier method searched every line at 10 KB under a 3 s budget each: some 226,000 searches,
50-200 s under load, and a mildly quadratic pattern (under 3 s at 10 KB) passed it.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator

import pytest

import crawler.discovery
import crawler.urls
from benchmarks.hostile_input import LINE_CHARS, adversarial_lines, cleaner_patterns

SCREEN_CHARS = 500
WORST = 3
SCALE = 4
MAX_RATIO = 10.0  # linear: about 4; quadratic: about 16
FLOOR_SECONDS = 0.05
# CPU seconds one search may take: in the screen (a linear search of 500 characters takes well
# under a millisecond), and in the second pass (10 and 40 KB: milliseconds when linear).
SCREEN_BUDGET = 1.0
SEARCH_BUDGET = 2.0
REPEATS = 3

CRAWLER_PATTERNS = {
    f"{module.__name__}.{name}": value
    for module in (crawler.urls, crawler.discovery)
    for name, value in vars(module).items()
    if isinstance(value, re.Pattern)
}
PATTERNS = {**cleaner_patterns(), **CRAWLER_PATTERNS}
Pattern = re.Pattern[str] | re.Pattern[bytes]


# Slugs: (repeated unit, ending).
_SLUGS = [("a-", "/x"), ("ab1-", "!"), ("-12345", "/"), ("a", "")]


def url_slugs(length: int) -> list[str]:
    """Long slugs and ids, the input the crawler's URL patterns see, of about `length` characters."""
    return ["/" + unit * (length // len(unit) + 1) + end for unit, end in _SLUGS]


def hostile_lines(name: str, pattern: Pattern, length: int) -> Iterator[str | bytes]:
    """The pattern's hostile lines at `length`, always the same ones in the same order."""
    yield from adversarial_lines(pattern, length)
    if name in CRAWLER_PATTERNS:
        for slug in url_slugs(length):
            yield slug.encode() if isinstance(pattern.pattern, bytes) else slug


class _Backtracking(Exception):
    pass


def _out_of_budget(signum: int, frame: object) -> None:
    raise _Backtracking


@pytest.fixture(autouse=True)
def cpu_alarm() -> Iterator[None]:
    """SIGPROF (CPU time spent, ITIMER_PROF) interrupts a search that runs out of its budget."""
    previous = signal.signal(signal.SIGPROF, _out_of_budget)
    yield
    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.signal(signal.SIGPROF, previous)


def search_seconds(name: str, pattern: Pattern, line: str | bytes, budget: float) -> float:
    """CPU seconds of one search of `line`; the test fails when it needs more than `budget`."""
    signal.setitimer(signal.ITIMER_PROF, budget)
    started = time.process_time()
    try:
        pattern.search(line)  # type: ignore[arg-type]
    except _Backtracking:
        pytest.fail(f"{name} backtracks on {line[:60]!r}... ({len(line)} characters)")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    return time.process_time() - started


def slowest_lines(name: str, pattern: Pattern) -> set[int]:
    """The places (in hostile_lines' order) of the WORST slowest lines at SCREEN_CHARS."""
    timed = [
        (search_seconds(name, pattern, line, SCREEN_BUDGET), place)
        for place, line in enumerate(hostile_lines(name, pattern, SCREEN_CHARS))
    ]
    return {place for _, place in sorted(timed, reverse=True)[:WORST]}


def least_seconds(name: str, pattern: Pattern, line: str | bytes) -> float:
    """The least CPU time of REPEATS searches of `line`: what the search costs, without the noise."""
    return min(search_seconds(name, pattern, line, SEARCH_BUDGET) for _ in range(REPEATS))


@pytest.mark.parametrize("name", PATTERNS)
def test_patterns_run_in_linear_time(name: str) -> None:
    pattern = PATTERNS[name]
    worst = slowest_lines(name, pattern)
    short, long = (
        [line for place, line in enumerate(hostile_lines(name, pattern, length)) if place in worst]
        for length in (LINE_CHARS, SCALE * LINE_CHARS)
    )
    for short_line, long_line in zip(short, long, strict=True):
        assert len(short_line) >= LINE_CHARS and len(long_line) >= SCALE * LINE_CHARS
        long_time = least_seconds(name, pattern, long_line)  # first: a runaway search fails at once
        short_time = least_seconds(name, pattern, short_line)
        assert long_time < FLOOR_SECONDS or long_time < MAX_RATIO * short_time, (
            f"{name} grows faster than the line on {short_line[:60]!r}...: "
            f"{short_time:.4f} s at {len(short_line)} characters, {long_time:.4f} s at {len(long_line)}"
        )


def test_every_pattern_of_the_cleaner_is_found() -> None:
    """The list the linear-time test walks is found by looking, not kept by hand."""
    names = set(PATTERNS)
    for expected in ("CONTRIBUTOR_LINE", "CONTRIBUTOR_TAIL", "UI_LINES", "_SEPARATORS", "_SLASHED_DOCTYPE"):
        assert any(name.endswith("." + expected) for name in names), expected
    assert any(name.startswith("site_rules[") for name in names)


def test_the_url_patterns_are_found_by_looking() -> None:
    assert {"crawler.urls._LONG_SLUG", "crawler.urls._ID_SLUG", "crawler.discovery._ROOT_TAG"} <= set(
        CRAWLER_PATTERNS
    )
