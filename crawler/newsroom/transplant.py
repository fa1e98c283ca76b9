"""Real pages carrying other pages' article text, served on loopback: copies as real sites dress them.

A republished story looks like its carrier site, not like the original: the carrier's navigation,
teasers, share bars and footers around the story's own paragraphs. `transplant` builds such a page
from a recorded page of the carrier (its template) and another story's text: the carrier's own
article paragraphs (located with its truth text) are replaced one for one by the story's, its
headline by the story's, and every trace of the carrier's own article elsewhere (description
meta tags, JSON-LD, scripts carrying its text) is removed, so the page carries exactly one story.
Dates are normalised on every served page (one `article:published_time`), so a benchmark decides
when each copy was published.

`recorded_pages` reads the shared datasets (fundus-dev, article-extraction-benchmark) with their
truth texts; `PublisherSites` serves pages per publisher on 127.0.1.1, 127.0.1.2, ... with one
sitemap each, and writes the sources file that crawls them. Used by benchmarks/dedup.py --real.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from crawler.newsroom import HTML, Document, Loopback, Site

FUNDUS = "fundus-dev"
AEB = "article-extraction-benchmark"
_SPACE = re.compile(r"\s+")
_DATE_META = re.compile(r"date|time|publish|modified|updated", re.IGNORECASE)
_DESCRIPTION_META = re.compile(r"description", re.IGNORECASE)
_SLUG = re.compile(r"[^a-z0-9]+")
# A carrier whose located paragraphs hold less of its truth text than this is not used: the rest of
# its article would stay in the page, carried along with every story transplanted into it.
MIN_COVERAGE = 0.8
# Truth lines at least this long must not be found in a transplanted page's text or scripts.
_LEAK_CHARS = 40


class BodyNotFound(ValueError):
    """The carrier's own article could not be located (or not removed) in its page."""


@dataclass(frozen=True)
class RecordedPage:
    """A recorded article page of a shared dataset, with the article text its truth gives."""

    name: str
    """Dataset and page key, e.g. `fundus-dev/de-taz-2023-04-28`."""
    publisher: str
    """fundus' publisher key, or the page's host for the article-extraction benchmark."""
    url: str
    """Where it was recorded: two pages with one URL are one article recorded twice."""
    html: str
    title: str
    paragraphs: tuple[str, ...]
    language: str | None
    published: datetime | None

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def recorded_pages(datasets: Path) -> list[RecordedPage]:
    """Every page of the datasets under `datasets` that are there (either may be absent)."""
    pages: list[RecordedPage] = []
    if (datasets / FUNDUS / "truth.json").exists():
        pages += _fundus_pages(datasets / FUNDUS)
    if (datasets / AEB / "ground-truth.json").exists():
        pages += _aeb_pages(datasets / AEB)
    return pages


def _fundus_pages(root: Path) -> list[RecordedPage]:
    truth = json.loads((root / "truth.json").read_text(encoding="utf-8"))
    return [
        RecordedPage(
            name=f"{FUNDUS}/{key}",
            publisher=entry["publisher"],
            url=entry["url"],
            html=_read(root / "pages" / f"{key}.html.gz"),
            title=entry["title"],
            paragraphs=tuple(line for line in entry["body"] if line.strip()),
            language=entry.get("language"),
            published=_parse_date(entry.get("publishing_date")),
        )
        for key, entry in sorted(truth.items())
    ]


def _aeb_pages(root: Path) -> list[RecordedPage]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key, entry in sorted(truth.items()):
        html = _read(root / "html" / f"{key}.html.gz")
        pages.append(
            RecordedPage(
                name=f"{AEB}/{key[:12]}",
                publisher=(urlsplit(entry["url"]).hostname or key).removeprefix("www."),
                url=entry["url"],
                html=html,
                title=_page_title(lxml.html.document_fromstring(html)),
                paragraphs=tuple(p.strip() for p in entry["articleBody"].split("\n") if p.strip()),
                language=None,
                published=None,
            )
        )
    return pages


def _read(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _page_title(tree: Any) -> str:
    """The headline as the page gives it: og:title, else the first h1, else <title>."""
    for found in (
        tree.xpath("//meta[@property='og:title']/@content"),
        [_normal(h1.text_content()) for h1 in tree.xpath("//h1")],
        [_normal(title.text_content()) for title in tree.xpath("//title")],
    ):
        titles = [title for title in found if title.strip()]
        if titles:
            return _normal(titles[0])
    return ""


def _normal(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _key(text: str) -> str:
    """What two texts must share to be the same line: NFKC, case and spacing folded."""
    return _normal(text).casefold()


def transplant(carrier: RecordedPage, headline: str, paragraphs: Sequence[str], published: datetime) -> str:
    """The carrier's page carrying another story: its headline and paragraphs, published then.

    Raises BodyNotFound when the carrier's own paragraphs cannot be located (too little of its truth
    text is in distinct elements) or some of its text would remain in the page.
    """
    tree = _parse(carrier.html)
    slots = _article_elements(tree, carrier)
    _fill(slots, paragraphs)
    _replace_headline(tree, carrier.title, headline)
    for meta in tree.xpath("//meta[@name or @property]"):
        if _DESCRIPTION_META.search(meta.get("name", "") + meta.get("property", "")):
            _drop(meta)
    carried = _key("\n".join((headline, *paragraphs)))
    own = [line for line in carrier.paragraphs if len(line) >= _LEAK_CHARS and _key(line) not in carried]
    for script in tree.xpath("//script"):
        if script.get("type") == "application/ld+json" or _holds(script.text or "", own):
            _drop(script)
    page = _finish(tree, published)
    if _holds(_visible_text(lxml.html.document_fromstring(page)), own):
        raise BodyNotFound(f"{carrier.name}: its own text stays in the page")
    return page


def dated(page: RecordedPage, published: datetime) -> str:
    """The recorded page itself, published then (its date signals replaced)."""
    return _finish(_parse(page.html), published)


def _parse(html: str) -> Any:
    return lxml.html.document_fromstring(html)


def _article_elements(tree: Any, carrier: RecordedPage) -> list[Any]:
    """The deepest elements holding the carrier's truth lines, in document order.

    An element is one of them when its text is a whole truth line, or a long piece of one (a line
    split over several elements). Elements holding two lines or more are containers, not slots.
    """
    lines = {_key(line) for line in carrier.paragraphs}
    joined = "\n".join(_key(line) for line in carrier.paragraphs)
    body = tree.find("body")
    if body is None or not lines:
        raise BodyNotFound(f"{carrier.name}: no body")
    matched: list[Any] = []
    for element in body.iter(etree.Element):
        if element.tag in ("script", "style", "noscript", "template"):
            continue
        text = _key(element.text_content())
        if text and (text in lines or (len(text) >= _LEAK_CHARS and text in joined)):
            matched.append(element)
    inner = {ancestor for element in matched for ancestor in element.iterancestors()}
    slots = [element for element in matched if element not in inner]
    covered = sum(len(_key(element.text_content())) for element in slots)
    if not slots or covered < MIN_COVERAGE * len(joined):
        raise BodyNotFound(f"{carrier.name}: {covered} of {len(joined)} characters located")
    return slots


def _fill(slots: list[Any], paragraphs: Sequence[str]) -> None:
    """The story's paragraphs into the carrier's slots in order; more paragraphs than slots go after
    the last slot, in its markup; slots left over are removed."""
    last = slots[-1]
    for slot, paragraph in zip(slots, paragraphs, strict=False):
        _set_text(slot, paragraph)
    for paragraph in reversed(paragraphs[len(slots) :]):
        extra = etree.Element(last.tag, dict(last.attrib))
        extra.text = paragraph
        extra.tail = last.tail
        last.addnext(extra)
    for slot in slots[len(paragraphs) :]:
        _drop(slot)


def _set_text(element: Any, text: str) -> None:
    for child in list(element):
        element.remove(child)
    element.text = text


def _drop(element: Any) -> None:
    """Remove an element, keeping the text that follows it."""
    element.drop_tree()


def _replace_headline(tree: Any, old: str, new: str) -> None:
    """The carrier's headline wherever it stands: elements that are exactly it, <title>, title metas."""
    if not old:
        return
    wanted = _key(old)
    exact = [
        element
        for element in tree.iter(etree.Element)
        if element.tag not in ("script", "style", "title") and _key(element.text_content()) == wanted
    ]
    inner = {ancestor for element in exact for ancestor in element.iterancestors()}
    for element in exact:
        if element not in inner:
            _set_text(element, new)
    for title in tree.xpath("//title"):
        _set_text(title, _normal(title.text_content()).replace(_normal(old), new))
    for meta in tree.xpath("//meta[@content]"):
        if old in meta.get("content") and "title" in (meta.get("property", "") + meta.get("name", "")):
            meta.set("content", meta.get("content").replace(old, new))


def _holds(text: str, lines: list[str]) -> bool:
    """Whether the text holds one of the lines."""
    folded = _key(text)
    return any(_key(line) in folded for line in lines)


def _visible_text(tree: Any) -> str:
    for hidden in tree.xpath("//script|//style|//template"):
        _drop(hidden)
    body = tree.find("body")
    return body.text_content() if body is not None else ""


def _finish(tree: Any, published: datetime) -> str:
    """Dates and charset of a served page: one of each, as the server says. Its canonical URL goes: the
    recorded site's address would not be the served one (the crawler then keeps the URL it fetched)."""
    head = tree.find("head")
    if head is None:
        head = etree.Element("head")
        tree.insert(0, head)
    for meta in tree.xpath("//meta"):
        names = " ".join(meta.get(attribute, "") for attribute in ("name", "property", "itemprop"))
        charset = meta.get("charset") is not None or meta.get("http-equiv", "").lower() == "content-type"
        if charset or _DATE_META.search(names):
            _drop(meta)
    for element in tree.xpath("//*[@datetime]"):
        del element.attrib["datetime"]
    for link in tree.xpath("//link[@rel='canonical']"):
        _drop(link)
    for script in tree.xpath("//script[@type='application/ld+json']"):
        _drop(script)
    for meta in tree.xpath("//meta[@property='og:url']"):
        _drop(meta)
    date = published.isoformat()
    added = f'<meta charset="utf-8"><meta property="article:published_time" content="{date}">'
    for element in reversed(lxml.html.fragments_fromstring(added)):
        head.insert(0, element)
    return "<!DOCTYPE html>\n" + lxml.html.tostring(tree, encoding="unicode")


def article_path(headline: str, published: datetime, number: int) -> str:
    """An article-shaped path: date, slug of the headline, number (`/news/2024/06/03/slug-12.html`)."""
    slug = _SLUG.sub("-", _ascii(headline).lower()).strip("-")[:60].strip("-") or "article"
    return f"/news/{published:%Y/%m/%d}/{slug}-{number}.html"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


@dataclass(frozen=True)
class ServedPage:
    """One page to serve: which publisher's site, the path, the HTML."""

    publisher: str
    path: str
    html: str


class PublisherSites(Loopback):
    """One loopback site per publisher (127.0.1.1, 127.0.1.2, ...), each with its pages and a sitemap."""

    def __init__(self, pages: Sequence[ServedPage]) -> None:
        publishers = list(dict.fromkeys(page.publisher for page in pages))
        self.by_publisher = {
            name: Site(_source_name(name), f"127.0.{1 + index // 250}.{1 + index % 250}")
            for index, name in enumerate(publishers)
        }
        self.pages = list(pages)
        super().__init__(tuple(self.by_publisher.values()))

    def build(self) -> None:
        for page in self.pages:
            self.by_publisher[page.publisher].routes[page.path] = Document(page.html.encode("utf-8"), HTML)
        for site in self.sites:
            urls = "".join(f"<url><loc>{site.url(path)}</loc></url>" for path in sorted(site.routes))
            site.add(
                "/sitemap.xml",
                f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>",
                "application/xml",
            )

    def url(self, page: ServedPage) -> str:
        """Where a page is served (known once started)."""
        return self.by_publisher[page.publisher].url(page.path)

    def sources_toml(self) -> str:
        """One source per publisher, its sitemap the start URL."""
        return "\n".join(
            f'[sources.{site.name}]\nstart_urls = ["{site.url("/sitemap.xml")}"]\n' for site in self.sites
        )


def _source_name(publisher: str) -> str:
    return "p_" + (_SLUG.sub("_", _ascii(publisher).lower()).strip("_") or "site")
