"""Captions known by where they sit: the text set right under an image that no `figure` or
`figcaption` marks as a caption.

trafilatura drops an `<img>` but keeps the words under it, so a caption written as plain markup
("<img><br><em>Figure 4: the weak layer.</em>", or a box holding the image and a credit line)
comes out as a line of the story. Two shapes are recognised, both from the markup alone:

- a *caption box*: a small block whose first content is the image (alone, or inside a link or a
  wrapper holding nothing else) and whose text sits under it, on a line of its own (after a `br`
  or in a block), beside the story's paragraphs, not the story itself, and with no heading (a
  card or a review under an avatar has one);
- an *emphasised follower*: right after the image (nothing but line breaks between), a run of
  italics or small print (`em`, `i`, `small`, `sub`, `cite`), alone on its line or alone in its
  paragraph.

The caption-named blocks, `figcaption` and the rest of a `figure` are cleaner/noise.py's; what
both rules take goes to the article's captions with the reason `image-caption`.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from cleaner.images import declared_small
from cleaner.prose import TEXT_LENGTH
from cleaner.removal import Removed, drop_element

# A caption is at most this long; its box holds at most this many child elements (the image's
# wrapper, a credit, the caption) and at most this share of its parent's text (the story is
# around it).
MAX_CAPTION_CHARS = 300
_MAX_BOX_CHILDREN = 4
_MAX_PARENT_SHARE = 1 / 3
_EMPHASIS = frozenset(("em", "i", "small", "sub", "cite"))
_BOXES = frozenset(("div", "p", "section", "span"))
_LINE_BREAKS = frozenset(("br",))
_BOX_IMAGES = etree.XPath(".//img")
# A block with a heading under its image is a card or a review (an avatar over "Jane's review"),
# not a caption.
_HEADINGS = etree.XPath("boolean(.//h1 | .//h2 | .//h3 | .//h4 | .//h5 | .//h6)")


def prune_image_captions(tree: Any, removed: Removed) -> None:
    """Take the captions set under the page's images out of the text, into the captions."""
    if not removed.allows("image-caption"):
        return
    for image in list(tree.getroottree().getroot().iter("img")):
        if image.getparent() is None or declared_small(image) or _in_figure(image):
            continue
        wrapper = _wrapper(image)
        caption = _emphasised_follower(wrapper)
        if caption is None:
            caption = _caption_box(wrapper)
        if caption is not None:
            text = " ".join(" ".join(caption.itertext()).split())
            removed.captions.append(text)
            removed.add(text, "image-caption")
            drop_element(caption)


def _in_figure(image: Any) -> bool:
    """Inside a `figure`, whose caption is cleaner/noise.py's (or dropped with a dropped block)."""
    return next(image.iterancestors("figure"), None) is not None


def _wrapper(image: Any) -> Any:
    """The image with what holds only it: a link or a `span` around it, no text besides."""
    element = image
    parent = image.getparent()
    while (
        parent is not None
        and parent.tag not in ("body", "html")
        and len(parent) == 1
        and not (parent.text or "").strip()
        and not (element.tail or "").strip()
    ):
        element, parent = parent, parent.getparent()
    return element


def _next_on_own_line(element: Any) -> tuple[Any | None, bool]:
    """The element after this one with no text between them, and whether a line break came first."""
    broken = False
    while not (element.tail or "").strip():
        element = element.getnext()
        if element is None or not isinstance(element.tag, str):
            return None, broken
        if element.tag not in _LINE_BREAKS:
            return element, broken
        broken = True
    return None, broken


def _emphasised_follower(wrapper: Any) -> Any | None:
    """Italics or small print right after the image, ending its line: `<img><br><em>...</em>`, or
    a paragraph after the image that is nothing but such a run."""
    follower, _ = _next_on_own_line(wrapper)
    if follower is None or not 0 < TEXT_LENGTH(follower) <= MAX_CAPTION_CHARS:
        return None
    if follower.tag in _EMPHASIS and _ends_line(follower):
        return follower
    if follower.tag in ("p", "div") and len(follower) == 1 and not (follower.text or "").strip():
        inner = follower[0]
        if inner.tag in _EMPHASIS and not (inner.tail or "").strip():
            return follower
    return None


def _ends_line(element: Any) -> bool:
    """Nothing follows on its line: no text after it before a line break or its block's end."""
    if (element.tail or "").strip():
        return False
    following = element.getnext()
    return following is None or following.tag in _LINE_BREAKS or following.tag in _BOXES


def _caption_box(wrapper: Any) -> Any | None:
    """The small block the image opens, when its text is under the image and the story around it."""
    box = wrapper.getparent()
    if box is None or box.tag not in _BOXES or len(box) > _MAX_BOX_CHILDREN or box[0] is not wrapper:
        return None
    if (
        (box.text or "").strip()
        or next(box.iterancestors("a"), None) is not None
        or len(_BOX_IMAGES(box)) != 1
        or _HEADINGS(box)
    ):
        return None
    after, broken = _next_on_own_line(wrapper)
    if after is None or not (broken or after.tag in _BOXES):
        return None
    size = TEXT_LENGTH(box)
    parent = box.getparent()
    if not 0 < size <= MAX_CAPTION_CHARS or parent is None:
        return None
    return box if size <= TEXT_LENGTH(parent) * _MAX_PARENT_SHARE else None
