"""Class and id names of the page's elements, read in one walk for the tree passes (cleaner/noise.py):
the blocks named as furniture, and those named "teaser"."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from cleaner.patterns import MARKER_PATTERN, NOISE_BLOCK_TOKENS, TEASER_BLOCK_TOKENS

_TOKEN_FIRST_WORDS = frozenset(token.split("-")[0] for token in NOISE_BLOCK_TOKENS + TEASER_BLOCK_TOKENS)
_NAME_BOUNDARY = re.compile(r"[\s_-]")


def named_elements(root: Any) -> tuple[list[Any], list[Any]]:
    """In one walk, in document order, each once: the elements whose class or id holds a furniture
    token, and those whose class or id holds "teaser" (or "Teaser").

    Each distinct attribute string is judged once (pages repeat a few dozen class names). A walk
    over the elements that asks each for its two attributes costs less than the XPath
    `//@class | //@id` did (it built an object for each attribute and merged two node sets), and
    a third of `//*[contains(translate(@class, 'T', 't'), 'teaser') or ...]` (libxml2 built two
    translated strings for every element of the page). Attributes are not changed by the passes
    before the teaser names are read, but elements are dropped: `in_tree` says which are left.
    """
    verdicts: dict[str, tuple[bool, bool]] = {}
    marked, teaser_named = [], []
    for element in root.iter(etree.Element):
        is_marked = is_teaser = False
        for value in (element.get("class"), element.get("id")):
            if value is None:
                continue
            verdict = verdicts.get(value)
            if verdict is None:
                verdict = verdicts[value] = (_marked(value), "teaser" in value.replace("T", "t"))
            is_marked = is_marked or verdict[0]
            is_teaser = is_teaser or verdict[1]
        if is_marked:
            marked.append(element)
        if is_teaser:
            teaser_named.append(element)
    return marked, teaser_named


def _marked(value: str) -> bool:
    """Whether a class or id holds a furniture token (`MARKER_PATTERN`). A name that holds one has
    the token's first word ("read" of "read-more") as one of its words, split where the pattern's
    boundaries are: most names, told so without the pattern, have none (an ASCII name's case
    folds as the pattern's does; others go to the pattern)."""
    if value.isascii() and _TOKEN_FIRST_WORDS.isdisjoint(_NAME_BOUNDARY.split(value.lower())):
        return False
    return MARKER_PATTERN.search(value) is not None


def in_tree(element: Any, root: Any) -> bool:
    """Whether the element is still in the page: neither it nor a block holding it was dropped."""
    ancestors = list(element.iterancestors())
    return (ancestors[-1] if ancestors else element) is root
