"""The story's images and its top image, read from the parsed page (part of its metadata).

Image URLs the page declares are resolved against its base URL and kept only when http(s); the
story's own images are told from teasers' and icons' by where they sit and their declared size.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from cleaner.bounds import MAX_CAPTION_CHARS, MAX_IMAGES, cut, url

# The story's own images are not declared smaller than an icon (a tracking pixel, a share button).
_MIN_IMAGE_PIXELS = 100


def _absolute(value: Any, base: str) -> str | None:
    """An http(s) URL from `value` resolved against `base`, or None (a data: URI, a blank, not text)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        resolved = urljoin(base, value.strip())
    except ValueError:  # an invalid IPv6 host, say
        return None
    return url(resolved) if resolved.startswith(("http://", "https://")) else None


def story_images(tree: Any, base: str) -> list[dict[str, str | None]]:
    """The story's images in page order, each once, with its figure's caption (None without one)."""
    images: dict[str, str | None] = {}
    for image in _story_image_elements(tree):
        if declared_small(image):
            continue
        src = image.get("src") or ""
        address = _absolute(image.get("data-src") if src.startswith("data:") or not src else src, base)
        if address and address not in images:
            figure = image.xpath("ancestor::figure[1]//figcaption")
            caption = " ".join(figure[0].text_content().split()) if figure else None
            images[address] = cut(caption, MAX_CAPTION_CHARS)
            if len(images) == MAX_IMAGES:
                break
    return [{"url": address, "caption": caption} for address, caption in images.items()]


def _story_image_elements(tree: Any) -> list[Any]:
    """The story's own `<img>`s in page order: those of the page's first `<article>` or `<main>`
    not inside a link (a teaser's), and those of its figures not inside a link; what the XPath
    `(//article | //main)[1]//img[not(ancestor::a)] | //figure[not(ancestor::a)]//img` selects.
    Walks over these few tags (in C) cost half of the XPath's unions, each a walk of the tree."""
    root = tree.getroottree().getroot()
    block = next(root.iter("article", "main"), None)
    chosen = set()
    if block is not None:
        chosen.update(image for image in block.iter("img") if not _in_link(image))
    for figure in root.iter("figure"):
        if not _in_link(figure):
            chosen.update(figure.iter("img"))
    return [image for image in root.iter("img") if image in chosen] if chosen else []


def _in_link(element: Any) -> bool:
    return next(element.iterancestors("a"), None) is not None


def declared_small(image: Any) -> bool:
    """Declared smaller than a picture (a tracking pixel, a share button, an emoji in a sentence)."""
    for dimension in ("width", "height"):
        value = (image.get(dimension) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) < _MIN_IMAGE_PIXELS:
            return True
    return False


def top_image(
    meta: dict[str, str], ld: dict[str, Any], images: list[dict[str, str | None]], base: str
) -> str | None:
    declared = ld.get("image")
    if isinstance(declared, list):
        declared = declared[0] if declared else None
    if isinstance(declared, dict):
        declared = declared.get("url") or declared.get("contentUrl")
    for candidate in (meta.get("og:image"), meta.get("og:image:url"), meta.get("twitter:image"), declared):
        address = _absolute(candidate, base)
        if address:
            return address
    return images[0]["url"] if images else None
