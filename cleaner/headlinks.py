"""Teaser headlines among a story's paragraphs, found by the address they link to or by their shape.

A site puts the headline of another of its stories between the paragraphs ("Former commander:
Russia is a threat", "Read also » Bloating, what to eat"), as a short paragraph or heading that
links to that story. The label before the link varies ("Read also", a kicker, nothing) and a
kicker is no link, so neither the link share nor a label list finds them. What finds them is the
address: an article's address spells its headline in its slug
(`/2024/05/former-commander-russia-is-a-threat`), and a line of the story does not repeat the
address of a page it links to.

The rule (reason `slug-headline`): a `p` or `h2`-`h4` of at most `max_chars` characters, ending
no sentence, holding a link whose address's words (accents folded) hold at least
`min_slug_share` of the block's words, and at least `min_words` of them.

Teaser lists whose items are a headline link and a one-sentence summary (reason `teaser-list`)
are the same headlines in a list's shape (`TEASER_ITEMS`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from cleaner.prose import TEXT_LENGTH
from cleaner.removal import Limits, TreePage, TreePass, drop_element

_SENTENCE_ENDS = (".", "。")
# Found in C: short blocks not ending a sentence, holding a link whose address has a slug's
# hyphens or underscores; Python then compares their words. The union of tags and the raw length
# first (a block's raw text, whitespace not folded, longer than `max_raw_chars` is no headline
# however it folds): libxml2 then folds the whitespace of few blocks (a third of the cost of
# `//*[self::p or ...]` with `normalize-space()` on every block).
_SHORT_BLOCKS_WITH_LINKS = etree.XPath(
    "(//p | //h2 | //h3 | //h4)[string-length() <= $max_raw_chars]"
    "[.//a[contains(@href, '-') or contains(@href, '_')]]"
    "[string-length(normalize-space()) <= $max_chars]"
    "[not(substring(normalize-space(), string-length(normalize-space())) = '.')]"
)
_WORDS = re.compile(r"[^\W_]+")
# Items (list items, paragraphs) whose first words are a link's. `/descendant::*`, not `//*`:
# libxml2 gathers every node of the page (text nodes too) for the `//` step before filtering.
_ITEMS_OPENING_WITH_LINKS = etree.XPath(
    "/descendant::*[self::li or self::p or self::article]"
    "[(descendant::text()[normalize-space()])[1][ancestor::a]]"
)
_SUMMARY_ENDS = (".", "!", "?", "…", '"', "”", "»", "。", "！", "？", "」")
_SEPARATORS = " :–—-|."
_HEADLINE_BLOCKS = ("h2", "h3", "h4", "h5", "h6", "div", "strong", "b", "span")


def _prune_slug_headlines(page: TreePage, limits: Limits) -> None:
    """Drop the short blocks that print the headline their link's address spells."""
    found = _SHORT_BLOCKS_WITH_LINKS(
        page.tree, max_raw_chars=limits["max_raw_chars"], max_chars=limits["max_chars"]
    )
    for block in found:
        text = " ".join(block.text_content().split())
        if not text or text.endswith(_SENTENCE_ENDS):
            continue
        words = _folded_words(text)
        if len(words) < limits["min_words"]:
            continue
        for link in block.iter("a"):
            slug = set(_folded_words(unquote(urlsplit(link.get("href") or "").path)))
            if slug and sum(word in slug for word in words) >= len(words) * limits["min_slug_share"]:
                page.removed.add_element(block, "slug-headline")
                drop_element(block)
                break


def _folded_words(text: str) -> list[str]:
    """Lower-case words with their accents taken off ("Groźna" -> "grozna")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _WORDS.findall("".join(char for char in decomposed if not unicodedata.combining(char)))


def _prune_teaser_items(page: TreePage, limits: Limits) -> None:
    """Teaser lists whose items are a headline link and a one-sentence summary ("HEADLINE:
    summary"), too little of them links for the link-list rule: at least `min_items` items of
    one parent, each short, opening with a headline-long link and ending a sentence. A story's
    paragraphs open with a link rarely, and never one after another, unless the story is such a
    list (a news round-up: then the items hold more text than the page's prose paragraphs
    besides them)."""
    prose = page.prose
    by_parent: dict[Any, list[Any]] = {}
    for item in _ITEMS_OPENING_WITH_LINKS(page.tree):
        if TEXT_LENGTH(item) <= limits["max_item_chars"] and _headline_and_summary(item, limits):
            by_parent.setdefault(item.getparent(), []).append(item)
    for items in by_parent.values():
        if len(items) >= limits["min_items"] and sum(map(TEXT_LENGTH, items)) < prose.total - sum(
            map(prose.held_by, items)
        ):
            for item in items:
                page.removed.add_element(item, "teaser-list")
                drop_element(item)


def _headline_and_summary(item: Any, limits: Limits) -> bool:
    """The item's opening link is headline-long, set apart from what follows (by a colon, a dash,
    a full stop, or a block of its own), and what follows is a sentence. A paragraph of a story
    that opens with a linked phrase reads on from the link."""
    link = next(item.iter("a"), None)
    if link is None:
        return False
    headline = " ".join(link.text_content().split())
    text = " ".join(item.text_content().split())
    rest = text[text.find(headline) + len(headline) :]
    summary = rest.lstrip(_SEPARATORS).rstrip()
    apart = rest.lstrip()[:1] in _SEPARATORS.strip() or _block_link(link)
    return (
        apart
        and len(headline.split()) >= limits["min_headline_words"]
        and len(summary.split()) >= limits["min_headline_words"]
        and summary.endswith(_SUMMARY_ENDS)
    )


def _block_link(link: Any) -> bool:
    """A link alone in a heading or block of its own (an `h3` or `div` holding just the link)."""
    parent = link.getparent()
    if parent is None or parent.tag not in _HEADLINE_BLOCKS:
        return False
    return TEXT_LENGTH(parent) <= TEXT_LENGTH(link) + 2


SLUG_HEADLINES = TreePass(
    "slug-headline",
    _prune_slug_headlines,
    ("slug-headline",),
    {"max_chars": 160, "max_raw_chars": 400, "min_slug_share": 0.6, "min_words": 4},
)
# At least `min_items` items of one parent, each at most `max_item_chars`, opening with a link of
# at least `min_headline_words` words (and a summary as long).
TEASER_ITEMS = TreePass(
    "teaser-list",
    _prune_teaser_items,
    ("teaser-list",),
    {"min_items": 3, "max_item_chars": 400, "min_headline_words": 4},
)
