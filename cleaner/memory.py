"""Site memory, the cleaner's half: a site's learned furniture in, its lines out of the text.

A crawler sees many pages of one site; a line that recurs on several different stories of a site
("Oops! Something went wrong.", a newsletter plug, "Latest World News") is that site's furniture,
whatever its words or markup. Storage learns which lines recur (from stored article text, one
line a paragraph) and hands the cleaner the site's keys: `clean(html, url, furniture=keys)`.

Both sides compute keys with `furniture_key`, so a key learned from stored text matches the same
line when a later page of the site is cleaned. The cleaner reads no database: the keys arrive as
an argument, like the per-site rules in `CleanOptions`.

The memory never eats the story (`usable_furniture`): when the lines it would remove are more
than `MAX_MEMORY_SHARE` of the page's text, or leave less than the minimum article length, it is
ignored for that page (a story whose copies taught the memory its own lines, a short page made
mostly of a site's standing text).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Lines longer than this are never furniture keys: a site's standing text is short, a story's
# paragraphs are not learnt.
MAX_FURNITURE_CHARS = 400
# At most this share of a page's text (in characters) may go to the site memory.
MAX_MEMORY_SHARE = 0.5

_LIST_MARK = re.compile(r"^\s*(?:[-–—•*·]|\d{1,2}[.)])\s+")
_DIGITS = re.compile(r"\d+")
_NOT_WORDS = re.compile(r"[^\w#]+")


def furniture_key(line: str) -> str:
    """The key of a line of article text: what two renderings of the same furniture share.

    Unicode-normalised (NFKC), case-folded, list marks dropped, every run of digits one "#"
    ("12 comments" and "3 comments" are one key), punctuation and spacing folded to single
    spaces. Empty for a line that is blank or longer than `MAX_FURNITURE_CHARS`: such a line is
    never furniture. Pure and stable: storage keys stored lines with it.
    """
    text = unicodedata.normalize("NFKC", line).strip()
    if not text or len(text) > MAX_FURNITURE_CHARS:
        return ""
    text = _LIST_MARK.sub("", text).casefold()
    return " ".join(_NOT_WORDS.sub(" ", _DIGITS.sub("#", text)).split())


def usable_furniture(lines: Iterable[str], furniture: frozenset[str], min_chars: int) -> frozenset[str]:
    """The furniture keys to apply to a page's lines, or none when applying them would eat the story:
    more than `MAX_MEMORY_SHARE` of its characters, or what is left under `min_chars`."""
    if not furniture:
        return furniture
    total = matched = 0
    for line in lines:
        total += len(line)
        if furniture_key(line) in furniture:
            matched += len(line)
    if matched > total * MAX_MEMORY_SHARE or total - matched < min_chars:
        return frozenset()
    return furniture
