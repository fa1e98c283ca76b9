"""The link rule: whether two texts are copies of one story, from the two texts alone.

Two texts are linked when their word 5-shingle sets are SIMILAR enough and they were published
within SAME_STORY_WINDOW of each other (or are VERY_SIMILAR). The MinHash estimate decides when it
is far from the threshold that applies; nearer, the texts' own shingles do. The rule reads the two
texts and their publication times, nothing else, so the stories it makes do not depend on the
order of arrival. docs/dedup.md gives the arithmetic and the measurements.
"""

from __future__ import annotations

from datetime import datetime, timedelta

SIMILAR = 0.5
"""Jaccard similarity (word 5-shingles) from which two texts are copies of one story."""
VERY_SIMILAR = 0.85
"""Copies this close are one story however far apart they were published (a late republication)."""
SAME_STORY_WINDOW = timedelta(hours=12)
"""Two similar texts published this long apart or more are not linked (a running story's next day
is a new story) unless VERY_SIMILAR. Stories chain linked texts, so one story may span more than
this: a copy half a day late still joins through the copies between. Half a day because a running
story's versions come about a day apart: a text less than half a day from another is nearer to its
version than to the next, so versions do not chain into one story through their copies."""
SURE_MARGIN = 0.2
"""The MinHash estimate decides alone when it is this far from the threshold: its standard deviation
is at most sqrt(0.25 / NUM_PERM) = 0.044, so 0.2 is 4.5 deviations (wrong once in 300,000 pairs).
Nearer the threshold, the texts' own shingles decide."""


def within_window(published: datetime | None, other: datetime | None) -> bool:
    """Published close enough to be copies of one version of a story (an unknown time does not bar it)."""
    return published is None or other is None or abs(published - other) < SAME_STORY_WINDOW


def linked(score: float, window: bool) -> bool:
    """Whether a similarity links two texts published `window`-close (or not)."""
    return score >= (SIMILAR if window else VERY_SIMILAR)


def needs_text(estimate: float, window: bool) -> bool:
    """Whether the estimate is too near the threshold that applies to decide alone."""
    threshold = SIMILAR if window else VERY_SIMILAR
    return abs(estimate - threshold) < SURE_MARGIN


def jaccard(first: set[str], second: set[str]) -> float:
    """|A ∩ B| / |A ∪ B|; 0 for two empty sets (an empty text is nobody's copy)."""
    union = len(first | second)
    return len(first & second) / union if union else 0.0
