"""Link cards: a teaser whose whole block is one link (`<a href><h3>headline</h3><p>summary</p></a>`).

A story's paragraphs are not inside a link; a card wrapping a headline or a summary paragraph in
one `<a>` points to another page, whatever its class says. The link-list, link-paragraph and
link-cluster rules (cleaner/noise.py) miss it when it stands alone, or when its text is too long
for a link paragraph (the selector looks for links inside paragraphs, not the other way round).
"""

from __future__ import annotations

from lxml import etree

from cleaner.prose import TEXT_LENGTH
from cleaner.removal import Limits, TreePage, TreePass, drop_element

# Links holding a block of text: a paragraph or a heading (not a `div` or `span` around an image).
_CARDS = etree.XPath("//a[.//p or .//h1 or .//h2 or .//h3 or .//h4 or .//h5 or .//h6]")


def _prune_link_cards(page: TreePage, limits: Limits) -> None:
    """Drop the links that hold a paragraph or a heading: teaser cards. The outermost link of a
    nest is judged, once."""
    for card in _CARDS(page.tree):
        if card.getparent() is None or any(ancestor.tag == "a" for ancestor in card.iterancestors()):
            continue
        if 0 < TEXT_LENGTH(card) <= limits["max_chars"] and page.prose.is_small_part(card):
            page.removed.add_element(card, "link-card")
            drop_element(card)


# A card holds at most `max_chars` characters and little of the page's prose
# (`PageProse.is_small_part`): a link that swallows the story (an `<a>` left open before it,
# which the parser closes only at the end) is no card.
LINK_CARDS = TreePass("link-card", _prune_link_cards, ("link-card",), {"max_chars": 600})
