"""Worst time of every regular expression of the cleaner on adversarial 10 KB lines.

    python -m benchmarks.patterns [--only TEXT]

Each pattern (found by benchmarks/hostile_input.py: every compiled pattern of the cleaner's modules and
of the packaged per-site rules) is searched over the adversarial lines built for it: long runs of
the characters it repeats, its own words repeated (near misses), after prefixes that get anchored
patterns going, with endings that make the match fail late. Prints the slowest line's time
per pattern and the number of lines tried. Goal (issue #21): under 50 ms each. A pattern that
backtracks is stopped after 10 s of CPU time and shown as such.
"""

from __future__ import annotations

import argparse
import re
import signal
import time

from benchmarks.hostile_input import LINE_CHARS, adversarial_lines, cleaner_patterns

GOAL_MS = 50.0
STOP_AFTER_S = 10.0
_RETIMED = 5


class _Stopped(Exception):
    pass


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


def worst(pattern: re.Pattern[str] | re.Pattern[bytes]) -> tuple[float, str | bytes, int]:
    """Slowest seconds over the pattern's adversarial lines, that line, and how many there were.

    Wall-clock time (CPU clocks tick in milliseconds here), so the slowest few lines of a first
    pass are timed again, best of three each: a pause of the machine is not the pattern's.
    """
    timed: list[tuple[float, str | bytes]] = []
    for line in adversarial_lines(pattern):
        seconds = _time(pattern, line)
        if seconds == float("inf"):
            return seconds, line, len(timed) + 1
        timed.append((seconds, line))
    slowest = sorted(timed, key=lambda pair: pair[0])[-_RETIMED:]
    again = [(min(_time(pattern, line) for _ in range(3)), line) for _, line in slowest]
    seconds, line = max(again, key=lambda pair: pair[0])
    return seconds, line, len(timed)


def _time(pattern: re.Pattern[str] | re.Pattern[bytes], line: str | bytes) -> float:
    signal.setitimer(signal.ITIMER_PROF, STOP_AFTER_S)
    started = time.perf_counter()
    try:
        pattern.search(line)  # type: ignore[arg-type]
    except _Stopped:
        return float("inf")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="only the patterns whose name holds this text")
    args = parser.parse_args()
    signal.signal(signal.SIGPROF, _stop)
    print(f"lines of {LINE_CHARS:,} characters; goal: under {GOAL_MS:g} ms per line")
    print(f"{'pattern':48}{'lines':>7}{'worst ms':>10}  slowest line starts")
    over = []
    for name, pattern in cleaner_patterns().items():
        if args.only not in name:
            continue
        seconds, line, count = worst(pattern)
        shown = "backtracks (stopped)" if seconds == float("inf") else f"{seconds * 1000:.1f}"
        print(f"{name:48}{count:>7}{shown:>10}  {line[:36]!r}")
        if seconds * 1000 >= GOAL_MS:
            over.append(name)
    print(f"over the goal: {', '.join(over) if over else 'none'}")


if __name__ == "__main__":
    main()
