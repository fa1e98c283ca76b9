"""What the cleaner's passes take out of a page, with the reason why: shared by the tree passes
(cleaner/noise.py) and the line pass (cleaner/lines.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cleaner.model import RemovedBlock

# Characters of a removed block kept for --explain.
_RECORDED_CHARS = 300


@dataclass
class Removed:
    """What the passes took out: blocks with reasons, captions, and the contributor line."""

    blocks: list[RemovedBlock] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)
    disabled: frozenset[str] = frozenset()
    """Rules the options switch off (`CleanOptions.disabled_rules`): carried with the record that
    every pass already receives, so no pass needs another parameter."""

    def allows(self, reason: str) -> bool:
        """Whether the rule recording `reason` may remove: not switched off by its reason or by
        its family ("block" switches off "block:share")."""
        disabled = self.disabled
        return not disabled or (reason not in disabled and reason.partition(":")[0] not in disabled)

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


def drop_element(element: Any) -> None:
    """Take an element out of the tree, keeping its tail text (the words after it are not its own)."""
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
