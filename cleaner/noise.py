"""Removal passes: what trafilatura leaves of page furniture, taken out with the reason why.

Two stages: `prune_tree` drops blocks before extraction (teasers, share bars, ads, captions go to
the captions list), and `filter_lines` drops what is left in the extracted text line by line
(interface strings, prompts, agency furniture, teaser lists after their heading).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cleaner.model import RemovedBlock
from cleaner.patterns import (
    CONTRIBUTOR_LINE,
    CONTRIBUTOR_TAIL,
    COPYRIGHT_LINES,
    CREDIT,
    NOISE_BLOCK_PATTERN,
    NOISE_TAGS,
    PROMPT_LINES,
    RELATED_HEADING,
    UI_LINES,
)

# A block holding this many paragraphs is the article (or its wrapper), whatever its class says.
_MAX_PARAGRAPHS_IN_NOISE = 4
_MAX_NOISE_LINE = 220
_MAX_NOISE_BLOCK_CHARS = 1200
_MAX_CAPTION_CHARS = 400
_MAX_CAPTION_LINE = 160


@dataclass
class Removed:
    """What the passes took out: blocks with reasons, captions, and the contributor line."""

    blocks: list[RemovedBlock] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)

    def add(self, text: str, reason: str) -> None:
        text = " ".join(text.split())
        if text:
            self.blocks.append(RemovedBlock(text[:300], reason))


def prune_tree(tree: Any, removed: Removed) -> None:
    """Drop furniture blocks from the parsed page before extraction; keep captions apart."""
    for caption in tree.xpath("//figcaption | //*[contains(@class, 'caption')][not(self::figure)]"):
        text = " ".join(caption.text_content().split())
        if len(text) < _MAX_CAPTION_CHARS and not caption.xpath(".//p[string-length() > 200]"):
            if text:
                removed.captions.append(text)
            _drop(caption)
    for element in tree.xpath("//*[@class or @id]"):
        if element.getparent() is None or element.tag in ("html", "body", "article", "main"):
            continue
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        if NOISE_BLOCK_PATTERN.search(marker) and len(element.xpath(".//p")) <= _MAX_PARAGRAPHS_IN_NOISE:
            removed.add(
                element.text_content(), "block:" + NOISE_BLOCK_PATTERN.search(marker).group(2).lower()
            )
            _drop(element)
    for element in tree.xpath("//" + " | //".join(NOISE_TAGS)):
        if _small(element):
            _drop(element)


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


def filter_lines(text: str, title: str | None, removed: Removed) -> list[str]:
    """The extracted text's lines that are story; every other line goes to `removed` with its reason."""
    kept: list[str] = []
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if not line:
            continue
        reason = _line_reason(line, title, len(kept))
        if reason == "related-list":
            for rest in lines[index:]:
                removed.add(rest, "related-list")
            break
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
    return len(line) <= _MAX_CAPTION_LINE and not line.rstrip().endswith((".", "!", "?", "”", '"', ":"))


def _line_reason(line: str, title: str | None, kept: int) -> str | None:
    short = len(line) <= _MAX_NOISE_LINE
    if kept == 0 and title and line.casefold() == title.strip().casefold():
        return "title"
    if short and UI_LINES.match(line):
        return "ui-string"
    if short and PROMPT_LINES.match(line):
        return "prompt"
    if COPYRIGHT_LINES.search(line) and len(line) <= 400:
        return "copyright"
    if short and CONTRIBUTOR_LINE.match(line):
        return "contributor"
    if kept >= 2 and short and RELATED_HEADING.match(line):
        return "related-list"
    if short and CREDIT.search(line) and len(line.split()) <= 30:
        return "caption"
    return None
