"""Finding article URLs: what kind of document a response is, and the links feeds and sitemaps list.

Pure functions over bytes, so they are tested without a crawl. XML is parsed with entity
resolution and network access off: feeds and sitemaps are untrusted input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from urllib.parse import urljoin

from lxml import etree

_XML_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
_ROOT_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF|urlset|sitemapindex|html)\b", re.IGNORECASE)


class Kind(StrEnum):
    """What a fetched document is, which decides how it is crawled."""

    FEED = "feed"
    SITEMAP_INDEX = "sitemap-index"
    SITEMAP = "sitemap"
    HTML = "html"
    OTHER = "other"


@dataclass(frozen=True)
class Entry:
    """A URL listed by a feed or sitemap, with the date the listing gives it (if any)."""

    url: str
    updated: datetime | None = None
    title: str | None = None


def detect_kind(body: bytes, content_type: str | None = None) -> Kind:
    """Sniff the document's root element; the Content-Type header is often wrong for feeds."""
    match = _ROOT_TAG.search(body[:4096])
    if match:
        return {
            b"rss": Kind.FEED,
            b"feed": Kind.FEED,
            b"rdf": Kind.FEED,
            b"urlset": Kind.SITEMAP,
            b"sitemapindex": Kind.SITEMAP_INDEX,
            b"html": Kind.HTML,
        }[match.group(1).lower()]
    if content_type and "html" in content_type.lower():
        return Kind.HTML
    return Kind.OTHER


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: etree._Element, name: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_date(value: str | None) -> datetime | None:
    """ISO 8601 (sitemaps, Atom) or RFC 822 (RSS) dates, always timezone-aware (UTC when unstated)."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _root(body: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(body, _XML_PARSER)
    except etree.XMLSyntaxError:
        return None


def parse_feed(body: bytes, base_url: str) -> list[Entry]:
    """Items of an RSS 2.0, RSS 1.0 (RDF) or Atom feed."""
    root = _root(body)
    if root is None:
        return []
    entries = []
    for item in root.iter():
        name = _local(item.tag)
        if name not in ("item", "entry"):
            continue
        url = _feed_link(item)
        if url:
            updated = parse_date(
                _text(item, "updated")
                or _text(item, "pubdate")
                or _text(item, "published")
                or _text(item, "date")
            )
            entries.append(Entry(urljoin(base_url, url), updated, _text(item, "title")))
    return entries


def _feed_link(item: etree._Element) -> str | None:
    for link in _children(item, "link"):
        href = link.get("href")
        if href and link.get("rel", "alternate") == "alternate":
            return href.strip()
        if link.text and link.text.strip():
            return link.text.strip()
    about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    guid = _children(item, "guid")
    if about:
        return about
    if guid and guid[0].get("isPermaLink", "true") == "true" and guid[0].text:
        return guid[0].text.strip()
    return None


def parse_sitemap(body: bytes, base_url: str) -> list[Entry]:
    """`<url>` entries of a sitemap or `<sitemap>` entries of an index.

    For Google News sitemaps the date is `<news:publication_date>` when newer than `<lastmod>`,
    and the title is `<news:title>`: both let old URLs be skipped before they are fetched.
    """
    root = _root(body)
    if root is None:
        return []
    entries = []
    for node in root:
        if _local(node.tag) not in ("url", "sitemap"):
            continue
        loc = _text(node, "loc")
        if not loc:
            continue
        dates = [
            d for d in (parse_date(_text(node, "lastmod")), parse_date(_text(node, "publication_date"))) if d
        ]
        entries.append(Entry(urljoin(base_url, loc), max(dates) if dates else None, _text(node, "title")))
    return entries


def robots_sitemaps(robots_txt: str) -> list[str]:
    """The `Sitemap:` lines of a robots.txt."""
    found = []
    for line in robots_txt.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            found.append(value.strip())
    return found
