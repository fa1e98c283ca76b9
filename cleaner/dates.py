"""Lines that are only a date or a time: what a page prints above or under a story ("Updated at
1:23 p.m.", "Montag, 3. Mai 2021, 12:00 Uhr"), no part of it."""

from __future__ import annotations

from cleaner.patterns import DATE_FILLER_WORDS, DATE_TOKEN, MONTH_AND_DAY_NAMES, NUMERIC_DATE

_MAX_DATE_LINE = 80


def date_only(line: str) -> bool:
    """A line that is only a date or a time: "Updated at 1:23 p.m.", "Montag, 3. Mai 2021, 12:00 Uhr"."""
    if len(line) > _MAX_DATE_LINE or not any(map(str.isdigit, line)):  # no generator: 1 % of the cleaner
        return False
    words = [word.rstrip(".") for word in DATE_TOKEN.findall(line.casefold())]
    if not all(word.isdigit() or word in MONTH_AND_DAY_NAMES or word in DATE_FILLER_WORDS for word in words):
        return False
    return any(word in MONTH_AND_DAY_NAMES for word in words) or bool(NUMERIC_DATE.search(line))
