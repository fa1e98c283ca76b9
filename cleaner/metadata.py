"""Page metadata read straight from the tree: meta tags, JSON-LD, <time>, <html lang>.

Cheaper than trafilatura's own metadata pass (which guesses dates with htmldate, about a quarter
of its time) and closer to what news pages declare; each field is a small function over one
parsed page, tried in order of trust. The page controls these values: they leave here encodable
and capped (cleaner/bounds.py), and JSON-LD that cannot be read whole is skipped, not trusted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from cleaner.bounds import (
    MAX_AUTHORS,
    MAX_BYLINE_CHARS,
    MAX_CAPTION_CHARS,
    MAX_IMAGES,
    MAX_KEYWORD_CHARS,
    MAX_KEYWORDS,
    MAX_PAGE_TYPE_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    cut,
    language,
    names,
    url,
    whole,
)

# "Headline | Site", "Headline - site.example", "Headline – Site" (the last separator counts).
_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—:·]{1,2}\s+")
_MIN_HEADLINE = 10
_HOST_NAME = re.compile(r"(?:www\.)?[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)

# The story's own images: those of its <article> or <main> (else of the page's figures), not inside
# a link (a teaser's), not declared smaller than an icon (a tracking pixel, a share button).
_STORY_IMAGES = "(//article | //main)[1]//img[not(ancestor::a)] | //figure[not(ancestor::a)]//img"
_MIN_IMAGE_PIXELS = 100
# Paywall tiers of `article:content_tier` (Open Graph's article namespace).
_FREE_TIERS = {"free": True, "locked": False, "metered": False}
_KEYWORD_SEPARATOR = re.compile(r"[,;]")

_ARTICLE_TYPES = ("article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle")


@dataclass
class PageMetadata:
    """What the page says about itself."""

    title: str | None = None
    description: str | None = None
    authors: list[str] | None = None
    published: datetime | None = None
    modified: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None
    page_type: str | None = None
    top_image: str | None = None
    images: list[dict[str, str | None]] | None = None
    keywords: list[str] | None = None
    free_access: bool | None = None


def read_metadata(tree: Any, page_url: str | None = None) -> PageMetadata:
    """All fields, from one pass over the meta tags and JSON-LD of the tree, each within its cap.
    Read before pruning, which drops figures and captions. Image URLs are made absolute against
    the page's <base href>, else `page_url`."""
    meta = meta_tags(tree)
    ld = json_ld_article(tree)
    base = base_url(tree, page_url)
    images = story_images(tree, base)
    title = _first(
        meta.get("og:title"), _ld_text(ld, "headline"), _text(tree, "//h1"), _text(tree, "//title")
    )
    description = _first(meta.get("og:description"), meta.get("description"), _ld_text(ld, "description"))
    site_name = meta.get("og:site_name") or meta.get("application-name")
    return PageMetadata(
        title=cut(_without_site_name(title, site_name), MAX_TITLE_CHARS),
        description=cut(description, MAX_SUMMARY_CHARS),
        authors=names(_authors(meta, ld) or _byline_element(tree), MAX_AUTHORS, MAX_BYLINE_CHARS),
        published=_date(
            meta.get("article:published_time"),
            _ld_text(ld, "datePublished"),
            meta.get("date"),
            meta.get("pubdate"),
            meta.get("dc.date"),
            _attribute(tree, "//time/@datetime"),
        ),
        modified=_date(
            meta.get("article:modified_time"), _ld_text(ld, "dateModified"), meta.get("og:updated_time")
        ),
        language=declared_language(tree, meta),
        canonical_url=url(_first(_attribute(tree, "//link[@rel='canonical']/@href"), meta.get("og:url"))),
        page_type=whole(_page_type(meta, ld), MAX_PAGE_TYPE_CHARS),
        top_image=top_image(meta, ld, images, base),
        images=images,
        keywords=names(keywords(tree, meta, ld), MAX_KEYWORDS, MAX_KEYWORD_CHARS),
        free_access=free_access(meta, ld),
    )


def base_url(tree: Any, page_url: str | None) -> str:
    declared = _attribute(tree, "//base/@href")
    return urljoin(page_url or "", declared) if declared else page_url or ""


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
    for image in tree.xpath(_STORY_IMAGES):
        if _declared_small(image):
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


def _declared_small(image: Any) -> bool:
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


def keywords(tree: Any, meta: dict[str, str], ld: dict[str, Any]) -> list[str]:
    """Declared keywords, split at commas: meta news_keywords and keywords, every article:tag, JSON-LD."""
    declared = ld.get("keywords")
    values = [meta.get("news_keywords"), meta.get("keywords")]
    values += [str(tag) for tag in tree.xpath("//meta[@property='article:tag']/@content")]
    values += declared if isinstance(declared, list) else [declared]
    texts = (value for value in values if isinstance(value, str))
    words = (word.strip() for value in texts for word in _KEYWORD_SEPARATOR.split(value))
    return [word for word in words if word]


def free_access(meta: dict[str, str], ld: dict[str, Any]) -> bool | None:
    """Whether the page says anyone may read it: the article's `isAccessibleForFree`; else False
    when one of its parts (`hasPart`, Google's paywalled-section markup) is not free; else the
    meta tags (itemprop isAccessibleForFree, `article:content_tier`)."""
    declared = _truth(ld.get("isAccessibleForFree"))
    if declared is not None:
        return declared
    parts = ld.get("hasPart")
    for part in parts if isinstance(parts, list) else [parts]:
        if isinstance(part, dict) and _truth(part.get("isAccessibleForFree")) is False:
            return False
    declared = _truth(meta.get("isaccessibleforfree"))
    if declared is not None:
        return declared
    return _FREE_TIERS.get(meta.get("article:content_tier", "").strip().lower())


def _truth(value: Any) -> bool | None:
    """A schema.org Boolean as pages write it: true, "True", "false", "https://schema.org/False"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().rsplit("/", 1)[-1].lower()
        return {"true": True, "false": False}.get(word)
    return None


def _without_site_name(title: str | None, site_name: str | None) -> str | None:
    """The headline without the site's name after it: "Ferry fares rise | Estuary Post" ->
    "Ferry fares rise", when the part after the last separator is the page's declared site name
    or a host name ("... - example.com")."""
    separators = list(_TITLE_SEPARATOR.finditer(title or ""))
    if not title or not separators:
        return title
    last = separators[-1]
    headline, suffix = title[: last.start()].strip(), title[last.end() :].strip()
    named = site_name is not None and suffix.casefold() == site_name.strip().casefold()
    if len(headline) >= _MIN_HEADLINE and (named or _HOST_NAME.fullmatch(suffix)):
        return headline
    return title


def meta_tags(tree: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in tree.iter("meta"):
        key = (
            (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        )
        value = (element.get("content") or "").strip()
        if key and value and key not in found:
            found[key] = value
    return found


def json_ld_article(tree: Any) -> dict[str, Any]:
    """The first JSON-LD object whose @type is an article kind (searching @graph lists too).

    A script nested deeper than Python's recursion limit (RecursionError) is as unreadable as one
    with a syntax error: skipped.
    """
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except (ValueError, TypeError, RecursionError):
            continue
        for item in _items(data):
            types = item.get("@type")
            names = [t.lower() for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)]
            if any(name in _ARTICLE_TYPES for name in names):
                return item
    return {}


def _items(data: Any) -> Iterator[dict[str, Any]]:
    """The objects of a JSON-LD document in document order: lists and @graph lists opened, depth
    first, with a stack of our own (however deep the nesting, no recursion)."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(reversed(value))
        elif isinstance(value, dict):
            yield value
            pending.append(value.get("@graph", []))


def _ld_text(ld: dict[str, Any], key: str) -> str | None:
    value = ld.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _authors(meta: dict[str, str], ld: dict[str, Any]) -> list[str]:
    names: list[str] = []
    author = ld.get("author")
    for item in author if isinstance(author, list) else [author]:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    if not names:
        for key in ("author", "article:author", "dc.creator", "byl"):
            value = meta.get(key, "")
            if value and not value.startswith("http"):
                names.append(value.strip())
                break
    return names


def _byline_element(tree: Any) -> list[str]:
    """The page's byline block ("By Jane Doe, Associated Press"), when nothing declares authors."""
    found = tree.xpath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' byline ') or contains(@class, 'byline__')"
        " or contains(@class, 'author') or @rel='author'][1]"
    )
    text = " ".join(found[0].text_content().split()) if found else ""
    return [text] if 0 < len(text) <= 160 else []


def _date(*candidates: str | None) -> datetime | None:
    for value in candidates:
        if not value:
            continue
        try:
            parsed = datetime.fromisoformat(value.strip()[:64].replace("Z", "+00:00"))
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            parsed.astimezone(UTC)  # storage keeps UTC: year 1 at +05:00 has no UTC time
        except (ValueError, OverflowError):
            continue
        return parsed
    return None


def declared_language(tree: Any, meta: dict[str, str]) -> str | None:
    value = _first(
        tree.get("lang") if tree.tag == "html" else None,
        _attribute(tree, "//html/@lang"),
        meta.get("og:locale"),
        meta.get("content-language"),
    )
    return language(value)


def _page_type(meta: dict[str, str], ld: dict[str, Any]) -> str | None:
    if ld:
        types = ld.get("@type")
        first = types[0] if isinstance(types, list) else types
        return first.lower() if isinstance(first, str) else None
    return meta.get("og:type", "").lower() or None


def _text(tree: Any, path: str) -> str | None:
    found = tree.xpath(path)
    return " ".join(found[0].text_content().split()) or None if found else None


def _attribute(tree: Any, path: str) -> str | None:
    found = tree.xpath(path)
    return str(found[0]).strip() or None if found else None


def _first(*values: str | None) -> str | None:
    return next((value for value in values if value), None)
