"""Finding article URLs: what kind of document a response is, and the links feeds and sitemaps list.

Pure functions over bytes, so they are tested without a crawl (tests/test_feed_corpus.py holds
real-world shapes, each checked against a reference parser).

- Feeds (RSS 0.9x, 1.0/RDF, 2.0, Atom) are read by feedparser: twenty years of real feeds' quirks
  (xml:base, links only in <guid>, undeclared HTML entities, a dozen date formats, broken XML
  re-read by a loose parser). We add what it leaves out: RSS 1.0 items that only name their URL
  in rdf:about, and a DOCTYPE dropped before parsing (its entities could make expat expand
  megabytes of text, "billion laughs", before expat's own limit stops it).
- Sitemaps are read here with lxml (entity resolution and network access off: untrusted input),
  because Scrapy's `Sitemap` keeps only direct children's text (no Google News publication date)
  and leaves relative `<loc>`s relative; gzipped ones are unpacked with Scrapy's size-capped
  `gunzip`, robots.txt `Sitemap:` lines read by Scrapy's own helper.
"""

from __future__ import annotations

import calendar
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.datetimes import _parse_date as feedparser_date
from lxml import etree
from scrapy.utils.gz import gunzip

from storage.urls import normalise_url

_XML_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
_ROOT_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*+:)?(rss|feed|RDF|urlset|sitemapindex|html)\b", re.IGNORECASE)
# An ampersand that starts no entity or character reference (invalid XML, common in sitemaps'
# query strings: lxml's recovery would drop the parameter name after it), or a CDATA section,
# where an ampersand is just an ampersand.
_BARE_AMPERSAND = re.compile(
    rb"<!\[CDATA\[.*?\]\]>|&(?![A-Za-z][A-Za-z0-9]*+;|#[0-9]++;|#[xX][0-9A-Fa-f]++;)", re.DOTALL
)
# The start tag of an entry of a sitemap or index; and the document's root start tag (with its
# namespace declarations), to read an entry on its own.
_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*+:)?(?:url|sitemap)\b", re.IGNORECASE)
_SITEMAP_ROOT = re.compile(rb"<((?:[A-Za-z_][\w.-]*+:)?(?:urlset|sitemapindex))\b[^<>]*+>", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"
_ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")
# How far into a document its root element and DOCTYPE are looked for, past its leading comments
# and processing instructions, themselves looked through as far as _MAX_PROLOGUE_BYTES.
_PROLOGUE_BYTES = 4096
_MAX_PROLOGUE_BYTES = 256 * 1024
_LEADING_MARKUP = re.compile(rb"(?:\s++|<\?.*?\?>|<!--.*?-->)*+", re.DOTALL)
_XML_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*\?>")


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


def unpacked(body: bytes, max_size: int = 0) -> bytes:
    """The body, gunzipped when it is gzip data (`sitemap.xml.gz` served as a file, not encoded).

    `max_size` caps the unpacked size (0: no cap), as DOWNLOAD_MAXSIZE caps a download: a small
    gzip file can unpack to gigabytes. Raises ValueError when it is exceeded or the data is broken.
    """
    if not body.startswith(_GZIP_MAGIC):
        return body
    try:
        return gunzip(body, max_size=max_size)
    except ValueError as error:  # Scrapy's "decompression max size exceeded" is a ValueError
        raise ValueError(f"gzip data unpacks past {max_size} bytes") from error
    except (OSError, EOFError) as error:
        raise ValueError(f"broken gzip data: {error}") from error


def detect_kind(body: bytes, content_type: str | None = None) -> Kind:
    """Sniff the document's root element; the Content-Type header is often wrong for feeds.

    The root is looked for past leading comments and processing instructions (a generator's long
    comment pushed it out of sight), in UTF-16 too: a listing whose root was not seen was dropped
    whole as "not a feed, sitemap or HTML page", its articles never fetched.
    """
    match = _ROOT_TAG.search(_head(body))
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


def _head(body: bytes) -> bytes:
    """The document's first bytes from where its leading comments and processing instructions end,
    as ASCII-compatible bytes."""
    head = _utf8(body[:_MAX_PROLOGUE_BYTES])
    skipped = _LEADING_MARKUP.match(head)
    start = skipped.end() if skipped else 0
    return head[start : start + _PROLOGUE_BYTES]


def _utf8(document: bytes) -> bytes:
    """A UTF-16 document as UTF-8, without its XML declaration (which names UTF-16); any other as is."""
    encoding = _utf16(document)
    if encoding is None:
        return document
    text = document.decode(encoding, "replace").lstrip("\ufeff")
    return _XML_DECLARATION.sub("", text, count=1).encode("utf-8")


def _utf16(document: bytes) -> str | None:
    if document.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if document.startswith(b"<\x00"):
        return "utf-16-le"
    if document.startswith(b"\x00<"):
        return "utf-16-be"
    return None


def parse_date(value: str | None) -> datetime | None:
    """A listing's date, timezone-aware (UTC when unstated), or None when it cannot be read.

    ISO 8601 / W3C (sitemaps, Atom) and RFC 822 (RSS) first, then the other formats real feeds
    use (`2024-12`, `Thursday, December 5, 2024`, named zones like EST...), through feedparser.
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None if _impossible_day(value) else _from_struct(feedparser_date(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _impossible_day(value: str) -> bool:
    """An ISO day that does not exist (`2024-13-45`), which feedparser would roll over into 2025."""
    if not _ISO_DAY.match(value):
        return False
    try:
        date.fromisoformat(value[:10])
    except ValueError:
        return True
    return False


def _from_struct(value: Any) -> datetime | None:
    """feedparser's dates are UTC `time.struct_time`s."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


@dataclass(frozen=True)
class Feed:
    """A feed document's entries, and the URL of its older entries' document when it names one."""

    entries: list[Entry]
    older: str | None = None
    """RFC 5005: a paged feed's `next` page, else an archived feed's `prev-archive` document."""


def parse_feed(body: bytes, base_url: str) -> list[Entry]:
    """Items of an RSS 0.9x, 1.0 (RDF) or 2.0 feed, or entries of an Atom feed, in feed order."""
    return read_feed(body, base_url).entries


def read_feed(body: bytes, base_url: str) -> Feed:
    """Items of an RSS 0.9x, 1.0 (RDF) or 2.0 feed, or entries of an Atom feed, in feed order, and the
    link to older ones (RFC 5005, `atom:link` in RSS too).

    An item's URL is its link (Atom: the alternate one), else its <guid> when that is a
    permalink, else its rdf:about; relative URLs are read against xml:base and the feed's URL.
    Its date is the later of its published and updated dates.
    """
    parsed = feedparser.parse(
        io.BytesIO(_without_doctype(_utf8(body))),
        response_headers={"content-location": base_url},
        resolve_relative_uris=False,
        sanitize_html=False,
    )
    rdf = str(parsed.get("version", "")).startswith(("rss090", "rss10"))
    entries = []
    for item in parsed.entries:
        link = item.get("link") or (item.get("id") if rdf else None)
        if not link or not link.strip():
            continue
        # `in` first: feedparser's get("updated_parsed") falls back to the published date, with a warning.
        dates = [_from_struct(item[key]) for key in ("published_parsed", "updated_parsed") if key in item]
        known = [date for date in dates if date is not None]
        entries.append(
            Entry(urljoin(base_url, link.strip()), max(known) if known else None, item.get("title") or None)
        )
    return Feed(one_per_url(entries), _older_link(parsed.feed.get("links", []), base_url))


def _older_link(links: list[dict[str, Any]], base_url: str) -> str | None:
    """The feed's link to its older entries: `next` (a paged feed), else `prev-archive` (archived)."""
    hrefs = {link.get("rel"): link.get("href") for link in links if link.get("href")}
    href = hrefs.get("next") or hrefs.get("prev-archive")
    if not href:
        return None
    try:
        return urljoin(base_url, href.strip())
    except ValueError:  # `//[broken`: no older page, as if none were named
        return None


def _without_doctype(body: bytes) -> bytes:
    """The document without its DOCTYPE (and so without entity declarations that expand).

    What a DOCTYPE declares in feeds is HTML entities (RSS 0.91's Netscape DTD), which
    feedparser's loose parser reads without it.
    """
    skipped = _LEADING_MARKUP.match(body, 0, _MAX_PROLOGUE_BYTES)
    offset = skipped.end() if skipped else 0  # past leading comments, as detect_kind reads it
    start = body.find(b"<!DOCTYPE", offset, offset + _PROLOGUE_BYTES)
    if start < 0:
        return body
    subset = body.find(b"[", start)
    close = body.find(b">", start)
    if 0 <= subset < close:  # an internal subset: the DOCTYPE ends at the ">" after its "]"
        bracket = body.find(b"]", subset)
        close = body.find(b">", bracket) if bracket >= 0 else -1
    return body if close < 0 else body[:start] + body[close + 1 :]


def _local(tag: object) -> str:
    """An element's name without its namespace, lower-cased ("" for comments and PIs)."""
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _text(element: etree._Element | None) -> str | None:
    text = element.text.strip() if element is not None and element.text else ""
    return text or None


def _nested_text(element: etree._Element | None, name: str) -> str | None:
    """Text of the first `name` inside `element`: <news:news><news:publication_date>."""
    if element is None:
        return None
    return next((_text(node) for node in element.iter() if _local(node.tag) == name and _text(node)), None)


def parse_sitemap(body: bytes, base_url: str) -> list[Entry]:
    """`<url>` entries of a sitemap or `<sitemap>` entries of an index.

    `<loc>` and `<lastmod>` are direct children (an image sitemap's <image:loc> is not the page's).
    For Google News sitemaps the date is `<news:publication_date>` when newer than `<lastmod>`,
    and the title is `<news:title>`: both let old URLs be skipped before they are fetched.

    One damaged entry costs that entry only. libxml2's recovery stops the whole document at a
    stray end tag (`</foo>` inside a `<loc>`: the 989 entries after it were dropped, silently),
    and an unclosed tag nests every later entry inside the damaged one; so entries are looked for
    at any depth, and when the document holds more entry elements than the tree shows, each
    entry is read on its own.
    """
    document = _BARE_AMPERSAND.sub(_escaped, _utf8(body))
    entries, found = _tree_entries(document, base_url)
    starts = [match.start() for match in _ENTRY_START.finditer(document)]
    if found >= len(starts):
        return one_per_url(entries)
    # Each entry from its start tag to the next one's: linear, and an entry never closed ends there.
    blocks = [document[start:end] for start, end in zip(starts, [*starts[1:], len(document)], strict=True)]
    root = _SITEMAP_ROOT.search(_head(document))
    if root is None:
        return entries
    close = b"</" + root.group(1) + b">"
    return one_per_url(
        [entry for block in blocks for entry in _tree_entries(root.group() + block + close, base_url)[0]]
    )


def one_per_url(entries: list[Entry]) -> list[Entry]:
    """One entry per page, where the listing first names it, dated by the latest date any of its
    entries gives: a listing that names a page twice (an edited story re-added at the top of a
    feed, two sitemap files merged) dates it by its last edit. Its first entry's date alone hid the
    edit, and the page was not fetched again (`crawler/corpusgate.py` `Wanted`)."""
    merged: dict[str, Entry] = {}
    for entry in entries:
        try:
            key = normalise_url(entry.url)
        except ValueError:  # left to the spider to count as unreadable
            key = entry.url
        first = merged.setdefault(key, entry)
        if entry.updated is not None and (first.updated is None or entry.updated > first.updated):
            merged[key] = replace(first, updated=entry.updated)
    return list(merged.values())


def _tree_entries(document: bytes, base_url: str) -> tuple[list[Entry], int]:
    """The entries of a parsed sitemap document, and how many entry elements its tree holds."""
    try:
        root = etree.fromstring(document, _XML_PARSER)
    except etree.XMLSyntaxError:
        return [], 0
    if root is None:
        return [], 0
    nodes = list(_entry_nodes(root))
    return [entry for entry in (_entry(node, base_url) for node in nodes) if entry is not None], len(nodes)


def _entry_nodes(parent: etree._Element) -> Iterator[etree._Element]:
    """`<url>`/`<sitemap>` elements under the root, and those a recovered tree nested in them."""
    for node in parent:
        if _local(node.tag) in ("url", "sitemap"):
            yield node
            yield from _entry_nodes(node)


def _entry(node: etree._Element, base_url: str) -> Entry | None:
    children: dict[str, etree._Element] = {}
    for child in node:
        children.setdefault(_local(child.tag), child)
    loc = _text(children.get("loc"))
    if not loc:
        return None
    news = children.get("news")
    dates = [
        date
        for date in (
            parse_date(_text(children.get("lastmod"))),
            parse_date(_nested_text(news, "publication_date")),
        )
        if date
    ]
    try:
        url = loc if loc.startswith(("http://", "https://")) else urljoin(base_url, loc)
    except ValueError:  # `//[broken`: left to the spider to count as unreadable, not the whole sitemap lost
        url = loc
    return Entry(url, max(dates) if dates else None, _nested_text(news, "title"))


def _escaped(match: re.Match[bytes]) -> bytes:
    return b"&amp;" if match.group() == b"&" else match.group()


def robots_sitemaps(robots_txt: bytes, base_url: str) -> list[str]:
    """The `Sitemap:` lines of a robots.txt, relative ones read against its URL; one that cannot be
    (`//[broken`) as written, for the spider to count as unreadable (it used to cost every line)."""
    urls = []
    for line in robots_txt.decode("utf-8", "ignore").splitlines():
        if line.lstrip().lower().startswith("sitemap:"):
            url = line.split(":", 1)[1].strip()
            try:
                urls.append(urljoin(base_url, url))
            except ValueError:
                urls.append(url)
    return urls
