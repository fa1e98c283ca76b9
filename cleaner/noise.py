"""Removal passes: what trafilatura leaves of page furniture, taken out with the reason why.

Two stages: `prune_tree` drops blocks before extraction (teasers, share bars, ads, captions go to
the captions list), and `filter_lines` drops what is left in the extracted text line by line
(interface strings, prompts, agency furniture, teaser lists after their heading).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from cleaner.model import RemovedBlock
from cleaner.patterns import (
    CONTACT_LINES,
    CONTRIBUTOR_LINE,
    CONTRIBUTOR_TAIL,
    COPYRIGHT_LINES,
    CREDIT,
    DATE_FILLER_WORDS,
    MARKER_PATTERN,
    MONTH_AND_DAY_NAMES,
    NOISE_BLOCK_PATTERN,
    NOISE_TAGS,
    PROMPT_LINES,
    RELATED_HEADING,
    RELATED_LINE,
    STANDFIRST_PATTERN,
    TEASER_BLOCK_PATTERN,
    UI_LINES,
    URL_LINE,
)
from cleaner.rules import SiteRule, compiled_xpath

# A block holding this many paragraphs is the article (or its wrapper), whatever its class says.
_MAX_PARAGRAPHS_IN_NOISE = 4
_MAX_NOISE_LINE = 220
_MAX_NOISE_BLOCK_CHARS = 1200
_MAX_CAPTION_CHARS = 400
_MAX_CAPTION_LINE = 160
_MAX_DATE_LINE = 80
# Characters of a removed block kept for --explain.
_RECORDED_CHARS = 300
_CLOSING = (".", "!", "?", "”", '"', ":", "…", "»", "“")
_DATE_TOKEN = re.compile(r"[ap]\.m\.|[^\W\d_]+\.?|\d+", re.UNICODE)
_NUMERIC_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b")
# Captions: figcaption, caption-named blocks, and what a figure without either holds besides its image.
_CAPTIONS = (
    "//figcaption | //*[contains(@class, 'caption')][not(self::figure)]"
    " | //figure[not(.//figcaption) and not(.//*[contains(@class, 'caption')])]"
)
# Teaser-named blocks go when this share of their text is links (a story's lead has next to none).
_MIN_TEASER_LINK_DENSITY = 0.3
# A list of at least this many items, nearly all link text, is a menu or a teaser list.
_MIN_LINK_LIST_ITEMS = 3
_MIN_LINK_LIST_DENSITY = 0.75
# A short paragraph or heading that is all link is a teaser ("Read more: ...", a related headline).
_MIN_LINK_PARAGRAPH_DENSITY = 0.9
# The XPath expressions below do in C what would otherwise visit every element in Python: they
# only find candidates, which the Python rules then judge.
_CLASSES_AND_IDS = etree.XPath("//@class | //@id")
_TEXT_LENGTH = etree.XPath("string-length(normalize-space())")
_LINK_TEXTS = etree.XPath(".//a//text()", smart_strings=False)
_LISTS_WITH_LINKS = etree.XPath(
    f"(//ul | //ol | //dl)[count(*) >= {_MIN_LINK_LIST_ITEMS}][.//a]"
)
_SHORT_PARAGRAPHS_WITH_LINKS = etree.XPath(
    f"//p[.//a][string-length(normalize-space(.)) <= {_MAX_NOISE_LINE}]"
)
# The dek is one text node: comparing text nodes, not every block's whole string value, is cheap.
_BLOCKS_READING = etree.XPath(
    "//text()[normalize-space(.) = $wanted]/parent::*[self::h2 or self::h3 or self::p or self::div]"
)


# Whole-line rules in the order they are tried, each with the reason it records.
_LINE_PATTERNS = (
    ("ui-string", UI_LINES),
    ("prompt", PROMPT_LINES),
    ("contact", CONTACT_LINES),
    ("url", URL_LINE),
    ("related-link", RELATED_LINE),
    ("contributor", CONTRIBUTOR_LINE),
)


@dataclass
class Removed:
    """What the passes took out: blocks with reasons, captions, and the contributor line."""

    blocks: list[RemovedBlock] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)

    def add(self, text: str, reason: str) -> None:
        text = " ".join(text.split())
        if text:
            self.blocks.append(RemovedBlock(text[:_RECORDED_CHARS], reason))

    def add_element(self, element: Any, reason: str) -> None:
        """Record an element's text, its words apart ("World Business", not "WorldBusiness").

        Only the first 300 characters are kept, so only those are read: a dropped menu can be large.
        """
        words: list[str] = []
        size = 0
        for piece in element.itertext():
            words += piece.split()
            size += len(piece)
            if size > _RECORDED_CHARS:
                break
        if words:
            self.blocks.append(RemovedBlock(" ".join(words)[:_RECORDED_CHARS], reason))


def prune_tree(tree: Any, removed: Removed, rules: Sequence[SiteRule] = ()) -> None:
    """Drop furniture blocks from the parsed page before extraction; keep captions apart."""
    for rule in rules:
        for path in rule.drop:
            for element in compiled_xpath(path)(tree):
                removed.add_element(element, f"site-rule:{rule.domain}")
                _drop(element)
    _prune_captions(tree, removed)
    _prune_marked_blocks(tree, removed)
    _prune_link_blocks(tree, removed)
    for element in tree.xpath("//" + " | //".join(NOISE_TAGS)):
        if _small(element):
            _drop(element)


def _prune_captions(tree: Any, removed: Removed) -> None:
    """Captions and credits out of the text, into `captions`; a teaser image's go with the teaser."""
    for caption in tree.xpath(_CAPTIONS):
        text = " ".join(" ".join(caption.itertext()).split())
        if len(text) < _MAX_CAPTION_CHARS and not caption.xpath(".//p[string-length() > 200]"):
            if caption.xpath("ancestor::a"):
                removed.add(text, "teaser-caption")
            elif text:
                removed.captions.append(text)
            _drop(caption)


def _prune_marked_blocks(tree: Any, removed: Removed) -> None:
    """Blocks whose class or id names furniture; teaser-like names only when the block is links."""
    for element in _marked_elements(tree):
        if element.getparent() is None or element.tag in ("html", "body", "article", "main"):
            continue
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        found = NOISE_BLOCK_PATTERN.search(marker)
        if found is None:
            found = TEASER_BLOCK_PATTERN.search(marker)
            if found is None or _link_density(element) < _MIN_TEASER_LINK_DENSITY:
                continue
        if len(element.xpath(".//p")) <= _MAX_PARAGRAPHS_IN_NOISE:
            removed.add_element(element, "block:" + found.group(2).lower())
            _drop(element)


def _marked_elements(tree: Any) -> list[Any]:
    """Elements whose class or id holds a furniture token, in document order, each once.

    Matching attribute strings, each distinct one once (pages repeat a few dozen class names), and
    asking only the matches for their element, keeps lxml from building a Python object for every
    element of the page.
    """
    verdicts: dict[str, bool] = {}
    found: dict[Any, None] = {}
    for value in _CLASSES_AND_IDS(tree):
        marked = verdicts.get(value)
        if marked is None:
            marked = verdicts[value] = MARKER_PATTERN.search(value) is not None
        if marked:
            found[value.getparent()] = None
    return list(found)


def _prune_link_blocks(tree: Any, removed: Removed) -> None:
    """Menus and teaser lists whatever their class: lists of links, and paragraphs that are one link."""
    for element in _LISTS_WITH_LINKS(tree):
        if _link_density(element) >= _MIN_LINK_LIST_DENSITY:
            removed.add_element(element, "link-list")
            _drop(element)
    for element in _SHORT_PARAGRAPHS_WITH_LINKS(tree):
        if _link_density(element) >= _MIN_LINK_PARAGRAPH_DENSITY:
            removed.add_element(element, "link")
            _drop(element)


def displayed_standfirst(tree: Any, summary: str | None) -> str | None:
    """The page's summary when it is printed above the story as its dek (an h2/h3, or a block named
    standfirst, dek, summary...): then it is the summary field, not the text's first paragraph.

    Only found here; it is taken out of the extracted text (`filter_lines`), not out of the page,
    so that trafilatura still sees the story's lead where it is.
    """
    wanted = " ".join((summary or "").split())
    for element in _BLOCKS_READING(tree, wanted=wanted) if wanted else ():
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        if element.tag in ("h2", "h3") or STANDFIRST_PATTERN.search(marker):
            return wanted
    return None


def _link_density(element: Any) -> float:
    """Share of the element's text that is link text: near 1 for menus and teaser lists."""
    total = _TEXT_LENGTH(element)
    if total == 0:
        return 0.0
    return len(" ".join(" ".join(_LINK_TEXTS(element)).split())) / total


def _small(element: Any) -> bool:
    """Small enough to be furniture: a wrapper holding the story is never dropped for its class name."""
    if len(element.xpath(".//p")) > _MAX_PARAGRAPHS_IN_NOISE:
        return False
    return len(element.text_content()) <= _MAX_NOISE_BLOCK_CHARS


def _drop(element: Any) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    parent.remove(element)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def filter_lines(
    text: str,
    title: str | None,
    removed: Removed,
    rules: Sequence[SiteRule] = (),
    standfirst: str | None = None,
) -> list[str]:
    """The extracted text's lines that are story; every other line goes to `removed` with its reason."""
    kept: list[str] = []
    teasers = False
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        if teasers and _teaser_line(line):
            removed.add(line, "related-list")
            continue
        teasers = False
        reason = _site_reason(line, rules) or _line_reason(line, title, len(kept), standfirst)
        if reason == "related-list":
            teasers = True
        if reason == "contributor":
            removed.contributors.append(line.strip("_ "))
        if reason == "caption":
            if kept and _caption_text(kept[-1]):
                removed.add(kept[-1], "caption")
                line = f"{kept.pop()} {line}"
            removed.captions.append(line)
        if reason:
            removed.add(line, reason)
            continue
        kept.append(line)
    if kept:
        tail = CONTRIBUTOR_TAIL.search(kept[-1])
        if tail:
            removed.contributors.append(tail.group(1))
            removed.add(tail.group(0), "contributor")
            kept[-1] = kept[-1][: tail.start()].rstrip()
    return kept


def _caption_text(line: str) -> bool:
    """A short line without closing punctuation: the description half of a caption before its credit."""
    return len(line) <= _MAX_CAPTION_LINE and not line.rstrip().endswith(_CLOSING)


def _teaser_line(line: str) -> bool:
    """A line of a teaser list: a headline or an image description, not a sentence of the story."""
    return len(line) <= _MAX_NOISE_LINE and not line.rstrip().endswith(_CLOSING)


def _date_only(line: str) -> bool:
    """A line that is only a date or a time: "Updated at 1:23 p.m.", "Montag, 3. Mai 2021, 12:00 Uhr"."""
    if len(line) > _MAX_DATE_LINE or not any(character.isdigit() for character in line):
        return False
    words = [word.rstrip(".") for word in _DATE_TOKEN.findall(line.casefold())]
    if not all(word.isdigit() or word in MONTH_AND_DAY_NAMES or word in DATE_FILLER_WORDS for word in words):
        return False
    return any(word in MONTH_AND_DAY_NAMES for word in words) or bool(_NUMERIC_DATE.search(line))


def _site_reason(line: str, rules: Sequence[SiteRule]) -> str | None:
    for rule in rules:
        if rule.drops_line(line):
            return f"site-rule:{rule.domain}"
    return None


def _line_reason(line: str, title: str | None, kept: int, standfirst: str | None = None) -> str | None:
    short = len(line) <= _MAX_NOISE_LINE
    if kept <= 2 and title and line.casefold() == title.strip().casefold():
        return "title"
    if kept <= 2 and standfirst and " ".join(line.split()) == standfirst:
        return "standfirst"
    if not short:
        return "copyright" if len(line) <= 400 and COPYRIGHT_LINES.search(line) else None
    for reason, pattern in _LINE_PATTERNS:
        if pattern.match(line):
            return reason
    if COPYRIGHT_LINES.search(line):
        return "copyright"
    if kept >= 2 and RELATED_HEADING.match(line):
        return "related-list"
    if CREDIT.search(line) and len(line.split()) <= 30:
        return "caption"
    if _date_only(line):
        return "date"
    return None
