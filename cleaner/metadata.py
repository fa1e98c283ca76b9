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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from cleaner.bounds import (
    MAX_AUTHORS,
    MAX_BYLINE_CHARS,
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
from cleaner.images import story_images, top_image

# "Headline | Site", "Headline - site.example", "Headline – Site" (the last separator counts).
_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—:·]{1,2}\s+")
_MIN_HEADLINE = 10
# What XPath's normalize-space() takes for white space (not Python's wider str.split()).
_XML_SPACE = re.compile("[ \t\r\n]+")
# Markup a CMS left in a description ("<p>Lead ...</p>", "Aydan&nbsp;Özoğuz" escaped twice) and the
# invisible characters (a byte-order mark, zero-width spaces) it carried over from an editor.
_MARKUP = re.compile(r"<[^<>]{0,200}>")
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"))
_HOST_NAME = re.compile(r"(?:www\.)?[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)

# Paywall tiers of `article:content_tier` (Open Graph's article namespace).
_FREE_TIERS = {"free": True, "locked": False, "metered": False}
_KEYWORD_SEPARATOR = re.compile(r"[,;]")

# The tags metadata is read from; of html, time, base and link, the first value of one attribute.
_LANDMARK_TAGS = ("html", "title", "h1", "time", "link", "base", "meta", "script")
_FIRST_ATTRIBUTES = {
    "html": ("lang", "lang"),
    "time": ("time", "datetime"),
    "base": ("base", "href"),
    "link": ("canonical", "href"),
}

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
    site_name: str | None = None
    """`og:site_name` (or `application-name`): the line rules know the site's own name by it."""


def read_metadata(tree: Any, page_url: str | None = None) -> PageMetadata:
    """All fields, from one pass over the meta tags and JSON-LD of the tree, each within its cap.
    Read before pruning, which drops figures and captions. Image URLs are made absolute against
    the page's <base href>, else `page_url`."""
    page = landmarks(tree)
    meta = meta_tags(page.metas)
    ld = json_ld_article(page.scripts)
    base = base_url(page, page_url)
    images = story_images(tree, base)
    title = _first(meta.get("og:title"), _ld_text(ld, "headline"), _text(page.h1), _text(page.title))
    description = _first(meta.get("og:description"), meta.get("description"), _ld_text(ld, "description"))
    site_name = meta.get("og:site_name") or meta.get("application-name")
    return PageMetadata(
        title=cut(_without_site_name(title, site_name), MAX_TITLE_CHARS),
        description=cut(_plain(description), MAX_SUMMARY_CHARS),
        authors=names(_authors(meta, ld) or _byline_element(tree), MAX_AUTHORS, MAX_BYLINE_CHARS),
        published=_date(
            meta.get("article:published_time"),
            _ld_text(ld, "datePublished"),
            meta.get("date"),
            meta.get("pubdate"),
            meta.get("dc.date"),
            _stripped(page.time),
        ),
        modified=_date(
            meta.get("article:modified_time"), _ld_text(ld, "dateModified"), meta.get("og:updated_time")
        ),
        language=declared_language(tree, page, meta),
        canonical_url=url(_first(_stripped(page.canonical), meta.get("og:url"))),
        page_type=whole(_page_type(meta, ld), MAX_PAGE_TYPE_CHARS),
        top_image=top_image(meta, ld, images, base),
        images=images,
        keywords=names(keywords(page, meta, ld), MAX_KEYWORDS, MAX_KEYWORD_CHARS),
        free_access=free_access(meta, ld),
        site_name=whole(site_name, MAX_TITLE_CHARS),
    )


@dataclass
class Landmarks:
    """The elements the metadata is read from, and the first value of each attribute it reads,
    found in one walk over the page's elements of these few tags (in C). Reading each with its own
    `//tag` XPath walked the whole tree once per field: nine walks a page, a tenth of the cleaner's
    own time. The first of each is the first in document order, as the XPath's `[1]` was."""

    metas: list[Any] = field(default_factory=list)
    scripts: list[Any] = field(default_factory=list)
    """The JSON-LD scripts (`type="application/ld+json"`)."""
    title: Any | None = None
    h1: Any | None = None
    lang: str | None = None
    """The first `<html lang>`."""
    base: str | None = None
    """The first `<base href>`."""
    canonical: str | None = None
    """The first `<link rel="canonical" href>`."""
    time: str | None = None
    """The first `<time datetime>`."""


def landmarks(tree: Any) -> Landmarks:
    """The page's metadata elements, in one walk from the document's root (where `//` starts: a
    fragment's tree is an element below it)."""
    page = Landmarks()
    for element in tree.getroottree().getroot().iter(_LANDMARK_TAGS):
        tag = element.tag
        if tag == "meta":
            page.metas.append(element)
        elif tag == "script":
            if element.get("type") == "application/ld+json":
                page.scripts.append(element)
        elif tag in ("title", "h1"):
            if getattr(page, tag) is None:
                setattr(page, tag, element)
        elif tag != "link" or element.get("rel") == "canonical":
            field_name, attribute = _FIRST_ATTRIBUTES[tag]
            value = element.get(attribute)
            if value is not None and getattr(page, field_name) is None:
                setattr(page, field_name, value)
    return page


def base_url(page: Landmarks, page_url: str | None) -> str:
    declared = _stripped(page.base)
    return urljoin(page_url or "", declared) if declared else page_url or ""


def keywords(page: Landmarks, meta: dict[str, str], ld: dict[str, Any]) -> list[str]:
    """Declared keywords, split at commas: meta news_keywords and keywords, every article:tag, JSON-LD."""
    declared = ld.get("keywords")
    values = [meta.get("news_keywords"), meta.get("keywords")]
    values += [tag.get("content") for tag in page.metas if tag.get("property") == "article:tag"]
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


def meta_tags(metas: list[Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in metas:
        key = (
            (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        )
        value = (element.get("content") or "").strip()
        if key and value and key not in found:
            found[key] = value
    return found


def json_ld_article(scripts: list[Any]) -> dict[str, Any]:
    """The first JSON-LD object whose @type is an article kind (searching @graph lists too).

    A script nested deeper than Python's recursion limit (RecursionError) is as unreadable as one
    with a syntax error: skipped.
    """
    for script in scripts:
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
    """The page's byline block ("By Jane Doe, Associated Press"), when nothing declares authors:
    the first element whose class has the word `byline`, or holds `byline__` or `author`, or whose
    rel is `author`. A walk in Python that asks each element for two attributes costs a third of
    the XPath that said the same (libxml2 builds a string for every `normalize-space` and
    `concat` of every element's class)."""
    for element in tree.getroottree().getroot().iter(etree.Element):
        name = element.get("class") or ""
        if _is_byline_class(name) or element.get("rel") == "author":
            text = " ".join(element.text_content().split())
            return [text] if 0 < len(text) <= 160 else []
    return []


def _is_byline_class(name: str) -> bool:
    """The class has the word `byline` (split at XML's white space, as `normalize-space` does), or
    holds `byline__` or `author`."""
    if "author" in name or "byline__" in name:
        return True
    return "byline" in name and "byline" in _XML_SPACE.split(name)


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


def declared_language(tree: Any, page: Landmarks, meta: dict[str, str]) -> str | None:
    value = _first(
        tree.get("lang") if tree.tag == "html" else None,
        _stripped(page.lang),
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


def _text(element: Any | None) -> str | None:
    return " ".join(element.text_content().split()) or None if element is not None else None


def _plain(value: str | None) -> str | None:
    """A description as the reader sees it printed: without the markup and entities a CMS left
    in it and without invisible characters, whitespace folded, so that it reads as the page's
    dek reads (the cleaner looks for it printed on the page)."""
    if not value:
        return None
    if "<" in value:
        value = _MARKUP.sub(" ", value)
    if "&" in value:
        value = unescape(value)
    return " ".join(value.translate(_INVISIBLE).split()) or None


def _stripped(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _first(*values: str | None) -> str | None:
    return next((value for value in values if value), None)
