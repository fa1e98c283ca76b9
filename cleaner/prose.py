"""The page's prose: the paragraphs that read as running text, what no furniture rule may take.

Names and patterns say what a block is meant to be; prose says what it is. Two passes use it:
pruning never drops the page's main run of prose for a class name (`PageProse`), and extraction
checks that trafilatura's fast result covers the prose (`prose_chars`, and `loose_text_chars`
for prose written outside any `p`), joining a story split into several same-named containers
first (`join_body_chunks`), and weighs the cascade's result by its distinct lines
(`distinct_chars`).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

# Prose paragraphs: `p` of at least this many characters, less than this share of it links.
MIN_PROSE_CHARS = 80
_MAX_PROSE_LINK_DENSITY = 0.5
# The blocks one furniture token marks hold more than this share of the page's prose: they are the
# article (a CMS marking its paywalled paragraphs "paywall"), not furniture.
_MARKED_ARTICLE_SHARE = 0.5
# A teaser-named block holding this share of the page's prose, and made mostly of prose, is part
# of the story (its lead wrapped in "teaser-content"), whatever its links.
_MAIN_RUN_SHARE = 0.2
_MIN_PROSE_SHARE = 0.6
# A block holding at most this share of the page's prose is no part of its main run.
_SMALL_SHARE = 0.15
# Ancestors of a prose paragraph looked at for the containers of a story split in several.
_CHUNK_DEPTH = 6
# Containers of a story are prose: one with more links than this share is a teaser item.
_MAX_CHUNK_LINK_DENSITY = 0.3
# The missing prose is gathered when one block holds this share of it.
_GATHERED_SHARE = 2 / 3
# Characters of the extracted text's opening that must lie in the first container.
_OPENING = 60

TEXT_LENGTH = etree.XPath("string-length(normalize-space())")
_LINK_TEXTS = etree.XPath(".//a//text()", smart_strings=False)
_LONG_PARAGRAPHS = etree.XPath(f"//p[string-length(normalize-space()) >= {MIN_PROSE_CHARS}]")
# Long runs of text outside any `p`: a story written as `<div>` text broken by `<br>`, list items,
# forum posts. Evaluated in C; scripts and styles are code, not prose.
_LOOSE_TEXTS = etree.XPath(
    f"//body//text()[string-length(normalize-space()) >= {MIN_PROSE_CHARS}]"
    "[not(ancestor::p or parent::script or parent::style or parent::noscript or parent::template)]",
    smart_strings=False,
)


def link_chars(element: Any) -> int:
    """Characters of link text in the element, whitespace folded."""
    return len(" ".join(" ".join(_LINK_TEXTS(element)).split()))


def prose_chars(tree: Any) -> int:
    """Characters in the page's paragraphs long enough to be prose (links or not: this is cheap)."""
    return sum(int(TEXT_LENGTH(paragraph)) for paragraph in _LONG_PARAGRAPHS(tree))


def loose_text_chars(tree: Any) -> int:
    """Characters in the page's long runs of text that no `p` holds: the prose `prose_chars` does
    not see on a page whose story is `<div>` text broken by `<br>`, or list items."""
    return sum(len(" ".join(text.split())) for text in _LOOSE_TEXTS(tree))


def distinct_chars(text: str) -> int:
    """Characters of the text's distinct lines, whitespace folded: how much an extraction holds.
    trafilatura's cascade can return a container that holds the story twice (a print copy, a
    modal repeating it) or mostly blank lines, which is no more text than the story once."""
    lines = dict.fromkeys(" ".join(line.split()) for line in text.splitlines())
    return sum(len(line) for line in lines)


class PageProse:
    """The page's prose paragraphs (mostly not links) and their sizes, read once before pruning."""

    def __init__(self, tree: Any) -> None:
        self.sizes: dict[Any, int] = {}
        for paragraph in _LONG_PARAGRAPHS(tree):
            size = int(TEXT_LENGTH(paragraph))
            if link_chars(paragraph) < size * _MAX_PROSE_LINK_DENSITY:
                self.sizes[paragraph] = size
        self.total = sum(self.sizes.values())

    def held_by(self, element: Any) -> int:
        """Characters of prose inside the element."""
        return sum(self.sizes.get(paragraph, 0) for paragraph in element.iter("p"))

    def marking_most(self, blocks: list[tuple[Any, str]]) -> set[str]:
        """Of (block, token) pairs, the tokens whose blocks together hold most of the page's prose:
        such a token marks the article itself."""
        held: dict[str, set[Any]] = {}
        for element, token in blocks:
            held.setdefault(token, set()).update(p for p in element.iter("p") if p in self.sizes)
        return {
            token
            for token, paragraphs in held.items()
            if sum(self.sizes[p] for p in paragraphs) > self.total * _MARKED_ARTICLE_SHARE
        }

    def in_paragraph(self, element: Any) -> bool:
        """The element is one of the prose paragraphs, or lies inside one (a span of its sentence)."""
        return element in self.sizes or any(p in self.sizes for p in element.iterancestors("p"))

    def is_small_part(self, element: Any) -> bool:
        """Holds at most `_SMALL_SHARE` of the page's prose: a box beside the story, not the story."""
        return self.held_by(element) <= self.total * _SMALL_SHARE

    def is_main_run(self, element: Any) -> bool:
        """A block of the story's own paragraphs: a good part of the page's prose, and mostly prose
        itself (a teaser list's headlines, dates and one-line summaries are neither)."""
        held = self.held_by(element)
        return held >= self.total * _MAIN_RUN_SHARE and held >= TEXT_LENGTH(element) * _MIN_PROSE_SHARE


def missing_prose_gathered(tree: Any, extracted: str) -> bool:
    """Whether the prose paragraphs the extracted text misses lie mostly in one block (the rest of
    a story behind a wrapper the fast path skipped) rather than spread over many (other stories'
    excerpts, comments, each in its own item)."""
    folded = " ".join(extracted.split())
    missing: dict[Any, int] = {}
    for paragraph in _LONG_PARAGRAPHS(tree):
        text = " ".join(paragraph.text_content().split())
        if text[:_OPENING] not in folded:
            parent = paragraph.getparent()
            missing[parent] = missing.get(parent, 0) + len(text)
    return bool(missing) and max(missing.values()) >= sum(missing.values()) * _GATHERED_SHARE


def join_body_chunks(tree: Any, extracted: str) -> bool:
    """Move the later containers of a story split into several same-named ones into the first.

    The fast path reads the first element its body expressions find; a site that cuts its story
    into chunks (`div.body__inner-container` three times, ads between them) loses the rest. The
    chunks: elements of one tag and class, none inside another, each holding prose paragraphs,
    the first holding the start of the extracted text's first paragraph (so a teaser or comment
    list, whose first item is not what was extracted, is never joined), none of them links for a
    good part (teaser items are). Returns whether any was moved.
    """
    lines = (line for line in extracted.splitlines() if len(line) >= MIN_PROSE_CHARS)
    opening = " ".join(next(lines, "").split())[:_OPENING]
    for chunks in _chunk_groups(tree):
        first, *rest = chunks
        if opening and opening in " ".join(first.text_content().split()):
            if any(link_chars(chunk) > TEXT_LENGTH(chunk) * _MAX_CHUNK_LINK_DENSITY for chunk in chunks):
                return False
            for chunk in rest:
                first.append(chunk)
            return True
    return False


def _chunk_groups(tree: Any) -> list[list[Any]]:
    """Groups of at least two disjoint same-named elements holding prose, nearest the paragraphs
    first, in document order within each group. The groups' paragraphs must be one unbroken run
    of the page's prose paragraphs: same-named blocks elsewhere on the page (a company blurb in
    the footer styled like the story) are no chunks of it."""
    groups: dict[tuple[str, str], dict[Any, None]] = {}
    positions: dict[tuple[str, str], list[int]] = {}
    for position, paragraph in enumerate(_LONG_PARAGRAPHS(tree)):
        for depth, ancestor in enumerate(paragraph.iterancestors()):
            if depth >= _CHUNK_DEPTH or ancestor.tag in ("body", "html"):
                break
            name = ancestor.get("class")
            if name:
                groups.setdefault((ancestor.tag, name), {})[ancestor] = None
                positions.setdefault((ancestor.tag, name), []).append(position)
    return [
        list(elements)
        for key, elements in groups.items()
        if len(elements) >= 2
        and _unbroken(positions[key])
        and not any(_inside(chunk, elements) for chunk in elements)
    ]


def _unbroken(positions: list[int]) -> bool:
    """Whether the positions (ascending, a paragraph counted once per ancestor) leave no gap."""
    distinct = sorted(set(positions))
    return distinct[-1] - distinct[0] + 1 == len(distinct)


def _inside(element: Any, others: dict[Any, None]) -> bool:
    return any(ancestor in others for ancestor in element.iterancestors())
