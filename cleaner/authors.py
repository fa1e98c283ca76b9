"""Author boxes: the writer's photo, name and biography printed with the story ("About the author:
Jane Doe covers energy for ..."), which reads like prose and so survives the link rules.

The box says what it is in its markup: schema.org's `itemprop="author"` or a `Person` item, or an
"author" (German, Polish, Spanish "autor") class or id; or in its first words, a label of its own
("AUTOR", "About the author", "Über die Autorin") over the name and the biography. Such a name
also marks bylines and the header holding the headline and the byline, so a box goes only when
it reads like a biography:
at least `min_chars` of text, at most `max_chars` and `max_page_share` of the page's, no heading
of the page's story (`h1`), and little of the page's prose (`PageProse.is_small_part`). A byline
alone ("By Jane Doe") is too short to be taken: the line pass reads it for the article's authors
(cleaner/wire.py).
"""

from __future__ import annotations

from typing import Any

from cleaner.prose import TEXT_LENGTH
from cleaner.removal import Limits, TreePage, TreePass, drop_element

# Blocks only: an inline `span itemprop="author"` is a name inside a sentence or a byline.
_BOX_TAGS = ("div", "section", "aside", "footer", "dl")
_AUTHOR_WORDS = ("author", "autor")
# The labels an author box opens with, whitespace folded and case folded.
AUTHOR_LABELS = frozenset(
    (
        "author",
        "authors",
        "the author",
        "about the author",
        "about the authors",
        "autor",
        "autorin",
        "autoren",
        "der autor",
        "die autorin",
        "über den autor",
        "über die autorin",
        "über die autoren",
        "zur person",
        "sobre el autor",
        "sobre la autora",
        "à propos de l'auteur",
        "l'auteur",
        "o autorze",
        "sull'autore",
        "over de auteur",
    )
)
_MAX_LABEL_CHARS = 40


def _prune_author_boxes(page: TreePage, limits: Limits) -> None:
    """Drop the author boxes: the outermost block marked as an author's that reads as a biography."""
    root = page.root
    boxes = [box for box in root.iter(*_BOX_TAGS) if _marked_author(box) or _labelled(box)]
    if not boxes:
        return
    largest = min(limits["max_chars"], TEXT_LENGTH(root) * limits["max_page_share"])
    dropped: list[Any] = []
    for box in boxes:
        if box.getparent() is None or any(ancestor in dropped for ancestor in box.iterancestors()):
            continue
        size = TEXT_LENGTH(box)
        if not limits["min_chars"] <= size <= largest:
            continue
        if next(box.iter("h1"), None) is None and page.prose.is_small_part(box):
            page.removed.add_element(box, "author-box")
            dropped.append(box)
            drop_element(box)


def _labelled(box: Any) -> bool:
    """The box opens with an author label: its own first text, or its first child's ("AUTOR" in a
    `div.header`, "About the author" in an `h4`), read in the walk that looks for marked boxes."""
    text = box.text
    if text is None or not text.strip():
        text = box[0].text if len(box) and isinstance(box[0].tag, str) else None
    return (
        bool(text)
        and len(text) <= _MAX_LABEL_CHARS
        and " ".join(text.split()).casefold().rstrip(":") in AUTHOR_LABELS
    )


def _marked_author(element: Any) -> bool:
    """Marked as an author's by schema.org or by an "author" class or id. A walk over the few block
    tags with a test in Python: an XPath `translate()` of every element's class and id cost more."""
    if element.get("itemprop") == "author" or "schema.org/Person" in (element.get("itemtype") or ""):
        return True
    marker = f"{element.get('class', '')} {element.get('id', '')}".lower()
    return any(word in marker for word in _AUTHOR_WORDS)


# A box holds at most `max_page_share` of the page's text: on a page without prose paragraphs (a
# story in `div` text broken by `br`), `is_small_part` says nothing.
AUTHOR_BOXES = TreePass(
    "author-box",
    _prune_author_boxes,
    ("author-box",),
    {"min_chars": 80, "max_chars": 1200, "max_page_share": 0.25},
)
