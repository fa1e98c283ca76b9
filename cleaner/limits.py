"""Parse limits: what a page may make the parser and trafilatura spend, and what is done with a page
past them (docs/cleaning.md, "Limits").

The cost of a page follows the size of its tree, not its bytes: trafilatura spends 20-70 us per
element, more on long runs of siblings (XPath node-set merges in libxml2, `len()` of a growing table
row), and copies the tree four times (100-250 bytes per attribute each time); 1M `<br>` in 4 MB took
36 s and 1 GB. The largest of 1,354 real news pages (three benchmark sets) has 10,106 elements,
10,154 attributes, 1,125 children in one element and 73 attributes on one tag; pages at these
limits clean within the goal of 2 s and 300 MB (benchmarks/hostile_pages.py).

A page past a limit is not refused: the story of a page bloated by an endless comment thread, a
table of every past result or attribute soup is almost always in its first part, and refusing the
page loses it. The page is cut to what the limits allow (what comes after the limit-th element, the
attributes of a tag that has too many, the attributes no pass reads, the children of an element past
the limit-th), each cut recorded with its reason, and the rest is cleaned as any page at the limits.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from lxml import etree

from cleaner.model import RemovedBlock

MAX_ELEMENTS = 20_000
MAX_CHILDREN = 5_000
# trafilatura copies each attribute four times: 99,000 attributes took 98 MB to clean (295 MB at
# the peak, with the language model); five times the largest real page's stays well within it.
MAX_ATTRIBUTES = 50_000
# libxml2 checks each attribute against the tag's others: 100k attributes on a tag took 14 s.
MAX_TAG_ATTRIBUTES = 1_000
# trafilatura copies the tree four times and the text as often: a page of 8 MB of text took 190 MB
# to clean. A book is about 500,000 characters; the longest article body of AEB's truth, 53,372.
MAX_TEXT_CHARS = 1_000_000
# Elements whose text is no part of the page's text (JSON-LD stays whole for the metadata pass).
_TEXTLESS = frozenset({"script", "style", "template", "noscript"})
# trafilatura drops headings from the end of its result one at a time, each after counting the
# result's children (lxml's len() walks them): 19,400 trailing <h2> cost 2.9 s. The most headings
# on a real page of the benchmark sets is 219.
MAX_HEADINGS = 2_000
# trafilatura's fallback cascade (readability, jusText, a recall retry) costs twice its fast path,
# in step with the page's elements (1.4 s on 19,400). No real page has more than 10,106 elements
# before pruning; past this many after it, the fast path's result stands.
MAX_CASCADE_ELEMENTS = 12_000

# What the passes read of a page that has too many attributes: names (pruning), links (link
# density), and what the metadata pass reads in meta, link, time and JSON-LD script tags.
_READ_ATTRIBUTES = frozenset(
    {"class", "id", "href", "name", "property", "content", "itemprop", "type", "rel", "datetime", "lang"}
)

_START_TAG = re.compile(r"<[A-Za-z]")
_WHOLE_START_TAG = re.compile(r"<[A-Za-z][^<>]*+>")
# A tag long enough to hold more than MAX_TAG_ATTRIBUTES attributes (" a" each).
_LONG_TAG = re.compile(rf"<[A-Za-z][^<>]{{{2 * MAX_TAG_ATTRIBUTES},}}+>")
# A tag's name and each of its attributes, with its value.
_NAME_OR_ATTRIBUTE = re.compile(r"""[^\s"'<>/=]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'<>`]++))?""")
# What comes before each attribute of a tag: some whitespace, a slash, or a value's closing quote.
_BEFORE_ATTRIBUTES = (" ", "\n", "\t", "\r", "\f", "/", '"', "'")
_BEFORE_ATTRIBUTE_BYTES = "".join(_BEFORE_ATTRIBUTES).encode()
# What holds no tags: a script's or a style's text, a comment. Each runs to its end tag, or to the
# end of the page if it has none (as in a browser), so each search scans its stretch once. An end
# tag cut off before its `>` runs to the end of the page too: were it a failed match, the search
# would try again at every later `<script`, each scan reaching that end tag (quadratic).
_NO_TAGS_INSIDE = re.compile(
    r"<(script|style)\b(?:[^<]++|<(?!/\1\b))*+(?:</\1\b[^>]*+>?|\Z)|<!--(?:[^-]++|-(?!->))*+(?:-->|\Z)",
    re.IGNORECASE,
)
# The page's pieces in order: a stretch that holds no tags (group 1 names a script or a style;
# none, a comment), or the start of a tag.
_RAW_TEXT_OR_TAG = re.compile(_NO_TAGS_INSIDE.pattern + r"|<[A-Za-z]", re.IGNORECASE)
# The same with whole start tags, to rewrite their attributes and nothing in scripts or comments.
_RAW_TEXT_OR_WHOLE_TAG = re.compile(_NO_TAGS_INSIDE.pattern + r"|<[A-Za-z][^<>]*+>", re.IGNORECASE)
_CROWDED = etree.XPath(f"//*[count(*) > {MAX_CHILDREN}]")
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_HEADING = "self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
_HEADINGS_PAST_LIMIT = etree.XPath(f"(//*[{_HEADING}])[position() > {MAX_HEADINGS}]")
_ELEMENTS = etree.XPath("count(//*)")


def fit_page(text: str, tag_opens: int | None = None) -> tuple[str, list[RemovedBlock]]:
    """The page cut to what MAX_ELEMENTS, MAX_TAG_ATTRIBUTES and MAX_ATTRIBUTES allow, counted in
    its markup before any tree is built, with what was left out and why.

    Counting means reading tags, and tags are not what a script holds (`i<n.length`), so what C can
    tell of the whole page settles most pages first: no more elements than `<`, no tag with too
    many attributes without a long stretch between `<` and `>`, no more attributes than half the
    characters. Past those bounds the markup (without scripts, styles and comments) is read.
    `tag_opens` is the page's count of "<" when the caller has it.
    """
    losses: list[RemovedBlock] = []
    if (text.count("<") if tag_opens is None else tag_opens) > MAX_ELEMENTS:
        end = _end_of_elements(text)
        if end < len(text):
            left_out = f"{len(text) - end:,} characters after the first {MAX_ELEMENTS:,} elements"
            losses.append(RemovedBlock(left_out, "too many elements"))
            text = text[:end]
    first_long_tag = _LONG_TAG.search(text)
    # The page is read from its first long tag on, not again from its start.
    if first_long_tag and any(
        _overfull(tag.group()) for tag in _LONG_TAG.finditer(text, first_long_tag.start())
    ):
        text, emptied = _rewrite_tags(text, _without_attributes_if_too_many)
        if emptied:
            left_out = f"the attributes of {emptied:,} tags"
            losses.append(RemovedBlock(left_out, "too many attributes on one tag"))
    if len(text) > 2 * MAX_ATTRIBUTES and _too_many_attributes(text):
        text = _rewrite_tags(text, _read_attributes_only)[0]
        left_out = "the attributes no pass reads"
        if _too_many_attributes(text):
            text = _rewrite_tags(text, _bare_tag)[0]
            left_out = "every attribute"
        losses.append(RemovedBlock(left_out, "too many attributes"))
    return text, losses


def trim_crowded(tree: Any) -> list[RemovedBlock]:
    """Drop the children of an element past its MAX_CHILDREN-th (a table row of endless cells, a
    list of every past result), with what was left out, so no run of siblings is longer than that."""
    losses = []
    for crowded in _CROWDED(tree):
        extra = len(crowded) - MAX_CHILDREN
        left_out = f"{extra:,} children of a <{crowded.tag}> after its first {MAX_CHILDREN:,}"
        del crowded[MAX_CHILDREN:]
        losses.append(RemovedBlock(left_out, "too many children in one element"))
    return losses


def too_many_headings(tree: Any) -> bool:
    """Whether the tree has more than MAX_HEADINGS headings: a walk in C that hands Python the
    headings only, cheaper than counting `<h` in the page's text twice (upper and lower case)."""
    return next(islice(tree.iter(*_HEADING_TAGS), MAX_HEADINGS, None), None) is not None


def trim_headings(tree: Any) -> list[RemovedBlock]:
    """Drop the headings past the page's MAX_HEADINGS-th (their tails stay), with what was left out."""
    extra = _HEADINGS_PAST_LIMIT(tree)
    for heading in extra:
        heading.drop_tree()
    if not extra:
        return []
    left_out = f"{len(extra):,} headings after the first {MAX_HEADINGS:,}"
    return [RemovedBlock(left_out, "too many headings")]


def trim_text(tree: Any) -> list[RemovedBlock]:
    """Cut the page's text after its MAX_TEXT_CHARS-th character (scripts, styles and comments
    left whole), with what was left out: the elements stay, bounded by MAX_ELEMENTS."""
    room, left_out = MAX_TEXT_CHARS, 0
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag not in _TEXTLESS:
            element.text, room, cut = _within_room(element.text, room)
            left_out += cut
        element.tail, room, cut = _within_room(element.tail, room)
        left_out += cut
    if not left_out:
        return []
    return [RemovedBlock(f"{left_out:,} characters after the first {MAX_TEXT_CHARS:,}", "too much text")]


def _within_room(text: str | None, room: int) -> tuple[str | None, int, int]:
    """The text cut to `room` characters, the room left, and how many characters were cut."""
    if not text:
        return text, room, 0
    if len(text) <= room:
        return text, room - len(text), 0
    return (text[:room] or None), 0, len(text) - room


def within_cascade_cost(tree: Any) -> bool:
    """Whether the page is small enough for trafilatura's fallback cascade (MAX_CASCADE_ELEMENTS)."""
    return int(_ELEMENTS(tree)) <= MAX_CASCADE_ELEMENTS


def _end_of_elements(text: str) -> int:
    """Where the page's MAX_ELEMENTS+1-th start tag begins (a script or a style is one element,
    its text none; a comment is nothing), or its end."""
    tags = (piece for piece in _RAW_TEXT_OR_TAG.finditer(text) if not piece.group().startswith("<!--"))
    for past_limit in islice(tags, MAX_ELEMENTS, MAX_ELEMENTS + 1):
        return past_limit.start()
    return len(text)


def _too_many_attributes(text: str) -> bool:
    """Whether the page's start tags hold more than MAX_ATTRIBUTES attributes: the characters that
    can precede one bound their number in C, first over the whole page (its tags hold no more of
    them), then over its tags; past that bound, each tag's are counted. The whole page's are
    counted in its UTF-8 bytes, one `translate` in C (a multi-byte character holds no ASCII byte):
    that settles most large pages for a third of the cost of taking their scripts out."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) - len(data.translate(None, _BEFORE_ATTRIBUTE_BYTES)) <= MAX_ATTRIBUTES:
        return False
    markup = _NO_TAGS_INSIDE.sub(_kept_tag, text)
    tags = _WHOLE_START_TAG.findall(markup)
    if sum(map("".join(tags).count, _BEFORE_ATTRIBUTES)) <= MAX_ATTRIBUTES:
        return False
    attributes = 0
    for tag in tags:
        attributes += len(_NAME_OR_ATTRIBUTE.findall(tag, 1, len(tag) - 1)) - 1
        if attributes > MAX_ATTRIBUTES:
            return True
    return False


def _kept_tag(raw_text: re.Match[str]) -> str:
    """A script or a style is one element (its text is none); a comment is nothing."""
    return f"<{raw_text.group(1)}>" if raw_text.group(1) else ""


def _rewrite_tags(text: str, rewrite: Any) -> tuple[str, int]:
    """The page with each start tag (outside scripts, styles and comments) as `rewrite` makes it,
    and how many it changed."""
    changed = 0

    def piece(found: re.Match[str]) -> str:
        nonlocal changed
        original = found.group()
        if found.group(1) or original.startswith("<!--"):
            return original
        rewritten = rewrite(original)
        changed += rewritten != original
        return rewritten

    return _RAW_TEXT_OR_WHOLE_TAG.sub(piece, text), changed


def _overfull(tag: str) -> bool:
    """Whether a start tag has more than MAX_TAG_ATTRIBUTES attributes: the characters that can
    precede one bound their number in C (a long inline SVG path is one attribute)."""
    if len(tag) < 2 * MAX_TAG_ATTRIBUTES or sum(map(tag.count, _BEFORE_ATTRIBUTES)) <= MAX_TAG_ATTRIBUTES:
        return False
    return len(_NAME_OR_ATTRIBUTE.findall(tag, 1, len(tag) - 1)) > MAX_TAG_ATTRIBUTES + 1


def _without_attributes_if_too_many(tag: str) -> str:
    return _bare_tag(tag) if _overfull(tag) else tag


def _read_attributes_only(tag: str) -> str:
    """The tag with the attributes some pass reads, each once."""
    name, *attributes = _NAME_OR_ATTRIBUTE.findall(tag, 1, len(tag) - 1) or [tag[1:-1]]
    kept: dict[str, str] = {}
    for attribute in attributes:
        key = attribute.partition("=")[0].strip().lower()
        if key in _READ_ATTRIBUTES:
            kept.setdefault(key, attribute)
    return "<" + " ".join([name, *kept.values()]) + ">"


def _bare_tag(tag: str) -> str:
    name = _NAME_OR_ATTRIBUTE.findall(tag, 1, len(tag) - 1) or [tag[1:-1]]
    return f"<{name[0]}>"
