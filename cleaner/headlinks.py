"""Teaser headlines among a story's paragraphs, found by the address they link to.

A site puts the headline of another of its stories between the paragraphs ("Former commander:
Russia is a threat", "Read also » Bloating, what to eat"), as a short paragraph or heading that
links to that story. The label before the link varies ("Read also", a kicker, nothing) and a
kicker is no link, so neither the link share nor a label list finds them. What finds them is the
address: an article's address spells its headline in its slug
(`/2024/05/former-commander-russia-is-a-threat`), and a line of the story does not repeat the
address of a page it links to.

The rule (reason `slug-headline`): a `p` or `h2`-`h4` of at most `_MAX_HEADLINE_CHARS`
characters, ending no sentence, holding a link whose address's words (accents folded) hold at
least `_MIN_SLUG_SHARE` of the block's words, and at least `_MIN_WORDS` of them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from cleaner.removal import Removed, drop_element

_MAX_HEADLINE_CHARS = 160
# A block's raw text (whitespace not folded) longer than this is no headline however it folds.
_MAX_RAW_CHARS = 400
_MIN_SLUG_SHARE = 0.6
_MIN_WORDS = 4
_SENTENCE_ENDS = (".", "。")
# Found in C: short blocks not ending a sentence, holding a link whose address has a slug's
# hyphens or underscores; Python then compares their words. The union of tags and the raw length
# first: libxml2 then folds the whitespace of few blocks (a third of the cost of `//*[self::p or
# ...]` with `normalize-space()` on every block).
_SHORT_BLOCKS_WITH_LINKS = etree.XPath(
    f"(//p | //h2 | //h3 | //h4)[string-length() <= {_MAX_RAW_CHARS}]"
    "[.//a[contains(@href, '-') or contains(@href, '_')]]"
    f"[string-length(normalize-space()) <= {_MAX_HEADLINE_CHARS}]"
    "[not(substring(normalize-space(), string-length(normalize-space())) = '.')]"
)
_WORDS = re.compile(r"[^\W_]+")


def prune_slug_headlines(tree: Any, removed: Removed) -> None:
    """Drop the short blocks that print the headline their link's address spells."""
    for block in _SHORT_BLOCKS_WITH_LINKS(tree) if removed.allows("slug-headline") else ():
        text = " ".join(block.text_content().split())
        if not text or text.endswith(_SENTENCE_ENDS):
            continue
        words = _folded_words(text)
        if len(words) < _MIN_WORDS:
            continue
        for link in block.iter("a"):
            slug = set(_folded_words(unquote(urlsplit(link.get("href") or "").path)))
            if slug and sum(word in slug for word in words) >= len(words) * _MIN_SLUG_SHARE:
                removed.add_element(block, "slug-headline")
                drop_element(block)
                break


def _folded_words(text: str) -> list[str]:
    """Lower-case words with their accents taken off ("Groźna" -> "grozna")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _WORDS.findall("".join(char for char in decomposed if not unicodedata.combining(char)))
