"""What the cleaner's passes take out of a page, with the reason why: shared by the tree passes
(cleaner/noise.py) and the line pass (cleaner/lines.py); and the shape every tree pass has
(`TreePass`), the built-in ones and the per-site rules (cleaner/rules.py) alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cleaner.model import RemovedBlock

if TYPE_CHECKING:
    from cleaner.prose import PageProse

# A tree pass's thresholds by name (`TreePass.thresholds`).
Limits = Mapping[str, float]
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


@dataclass
class TreePage:
    """A page as the tree passes share it: the parsed tree, the record of what they took out, and
    what a step of the table reads for the passes after it (set by that step: read before, they
    raise AttributeError)."""

    tree: Any
    removed: Removed
    prose: PageProse = field(init=False)
    """The page's prose paragraphs, read before any built-in pass but the captions drops a block."""
    marked: list[Any] = field(init=False)
    """Blocks whose class or id names furniture (`cleaner.names.named_elements`)."""
    teaser_named: list[Any] = field(init=False)
    """Blocks named "teaser", read with the furniture names."""

    @property
    def root(self) -> Any:
        return self.tree.getroottree().getroot()


@dataclass(frozen=True)
class TreePass:
    """One pass of the tree passes (cleaner/noise.py `TREE_PASSES`, a site's rule from
    cleaner/rules.py): its name, the reasons it records, the function that judges and drops, and
    the thresholds that function reads (named, so that a pass's numbers are read in one place).

    `reasons` are also the names `CleanOptions.disabled_rules` and benchmarks/rule_audit.py call it
    by: the pass runs unless every one of them is switched off (a pass of several reasons, or of a
    family such as `block`, asks `Removed.allows` again per element). A pass with no reason reads
    the page for later passes and removes nothing: it always runs.
    """

    name: str
    run: Callable[[TreePage, Limits], None]
    reasons: tuple[str, ...] = ()
    thresholds: Limits = field(default_factory=dict)

    def apply(self, page: TreePage) -> None:
        """Run the pass on the page, unless the options switch off all its reasons."""
        if not self.reasons or any(map(page.removed.allows, self.reasons)):
            self.run(page, self.thresholds)
