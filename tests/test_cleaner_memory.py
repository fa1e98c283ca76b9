"""Site memory, the cleaner's half: learnt furniture keys in, matching lines out (cleaner/memory.py).

tests/pages/site-memory-{1,2,3}.html are three stories of one made-up site whose template carries
three lines no pattern knows (an edition switch, a tide-table notice, a masthead line). Storage
learns keys from stored text; here the learning is done the way the docs describe it: the keys of
lines that recur on different stories of the site.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import cleaner
from cleaner.memory import MAX_FURNITURE_CHARS, usable_furniture

PAGES = Path(__file__).parent / "pages"
SITE = ("site-memory-1", "site-memory-2", "site-memory-3")
TEMPLATE_LINES = (
    "Switch to the compact edition",
    "Tonight's tide tables have moved to the harbour page.",
    "Estuary Post is written and printed on the river since 1921.",
)


def _page(name: str) -> str:
    return (PAGES / f"{name}.html").read_text(encoding="utf-8")


def _expected(name: str) -> list[str]:
    return (PAGES / f"{name}.expected.txt").read_text(encoding="utf-8").splitlines()


def _learn(texts: list[str], min_stories: int = 2) -> frozenset[str]:
    """What storage does: keys of lines found on at least `min_stories` different stories."""
    per_story = [{cleaner.furniture_key(line) for line in text.splitlines()} for text in texts]
    seen = Counter(key for keys in per_story for key in keys)
    return frozenset(key for key, stories in seen.items() if key and stories >= min_stories)


def test_without_memory_the_template_lines_no_pattern_knows_stay() -> None:
    article = cleaner.clean(_page(SITE[0]), "https://www.estuary.example/ferry")
    for line in TEMPLATE_LINES:
        assert line in article.text


def test_furniture_learnt_from_two_stories_leaves_the_third() -> None:
    url = "https://www.estuary.example/pier"
    memory = _learn([cleaner.clean(_page(name), url).text for name in SITE[:2]])
    assert memory == {cleaner.furniture_key(line) for line in TEMPLATE_LINES}
    article = cleaner.clean(_page(SITE[2]), url, furniture=memory)
    assert article.text.splitlines() == _expected(SITE[2])
    remembered = [block.text for block in article.removed if block.reason == "site-memory"]
    assert sorted(remembered) == sorted(TEMPLATE_LINES)


def test_the_memory_never_eats_the_story() -> None:
    """Keys learnt from a story's own lines (copies of one story counted as several) are ignored."""
    html = _page(SITE[0])
    own = frozenset(cleaner.furniture_key(line) for line in _expected(SITE[0]))
    article = cleaner.clean(html, "https://www.estuary.example/ferry", furniture=own)
    assert article.found and "site-memory" not in {block.reason for block in article.removed}
    assert all(line in article.text for line in _expected(SITE[0]))


def test_the_memory_stops_where_the_text_would_fall_under_the_minimum() -> None:
    lines = ["A short story line that is the whole text of this page.", "Share the page."]
    memory = frozenset({cleaner.furniture_key(lines[1])})
    assert usable_furniture(lines, memory, min_chars=10) == memory
    assert usable_furniture(lines, memory, min_chars=100) == frozenset()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Oops! Something went wrong.", "oops something went wrong"),
        ("- 12 Comments", "3 comments"),
        ("Ａｄｖｅｒｔｉｓｅｍｅｎｔ", "ADVERTISEMENT"),
        ("Latest   World\u00a0News:", "Latest World News"),
    ],
)
def test_furniture_keys_fold_what_renderings_of_one_line_differ_in(first: str, second: str) -> None:
    assert cleaner.furniture_key(first) == cleaner.furniture_key(second) != ""


def test_blank_and_long_lines_have_no_key() -> None:
    assert cleaner.furniture_key("   ") == ""
    assert cleaner.furniture_key("word " * (MAX_FURNITURE_CHARS // 5 + 1)) == ""
    assert cleaner.furniture_key("Ferry fares rise") != cleaner.furniture_key("Ferry fares fall")
