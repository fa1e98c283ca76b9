"""The cleaning pipeline: decode, parse, extract, then fill the article's fields."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from lxml import etree

from cleaner.bounds import MAX_ERROR_CHARS, bounded, cut
from cleaner.captions import prune_image_captions
from cleaner.closing import drop_signatures, drop_site_plug
from cleaner.extract import extract_document, parse_tree
from cleaner.html import PageRejected, decode_page
from cleaner.language import detect_language
from cleaner.layout import prune_layout_tables
from cleaner.metadata import read_metadata
from cleaner.model import CleanArticle, CleanOptions, RemovedBlock
from cleaner.noise import Removed, displayed_standfirst, filter_lines, prune_tree
from cleaner.prose import TEXT_LENGTH, link_chars
from cleaner.sitename import site_names
from cleaner.wire import byline, dateline, is_byline

DEFAULT_OPTIONS = CleanOptions()
# Elements of the page's body whose own text holds a word of the description, found in C; the
# blocks around them are compared with the description in Python. Scripts and styles are code.
_HOLDING = etree.XPath(
    "//body//text()[contains(., $word)]/parent::*[not(self::script or self::style or self::noscript)]"
)
# The word looked for: the longest of the description's first words (a tag between words splits
# text nodes, one inside a word seldom does), at most this many characters (a CJK sentence is one
# "word"). Blocks looked at: the text's element and this many of its ancestors.
_FIRST_WORDS = 3
_MAX_WORD_CHARS = 12
_DEK_DEPTH = 4
# A dek the description does not repeat: among the few elements after the headline, a block named
# as one (on itself or its parent), of a paragraph's length, hardly any of it links.
_AFTER_HEADLINE = 12
_DEK_TAGS = frozenset(("p", "div", "h2", "h3", "span", "strong"))
_DEK_NAME = re.compile(
    r"(?<![a-z])(?:lead|lede|dek|chapo)(?![a-z])|standfirst|sub-?title|summary|excerpt|intro|strapline"
    r"|abstract|teaser|description",
    re.IGNORECASE,
)
_MIN_DEK_CHARS = 40
_MAX_DEK_CHARS = 600
_MAX_DEK_LINKS = 0.2


def clean(
    html: str | bytes,
    url: str | None = None,
    options: CleanOptions = DEFAULT_OPTIONS,
    declared_charset: str | None = None,
    furniture: frozenset[str] = frozenset(),
) -> CleanArticle:
    """Clean one page. Never raises: a page refused (empty, binary, too large, degenerate), a page
    without an article and any exception of any pass land in `CleanArticle.error`, so the crawl
    records a failed page instead of losing it. Every field of the result is encodable as UTF-8
    and within its cap (cleaner/bounds.py).

    `furniture` is the site memory: keys (`cleaner.furniture_key`) of lines learnt as the page's
    site's furniture; matching lines leave the text with the reason `site-memory`.
    """
    try:
        return bounded(_clean(html, url, options, declared_charset, furniture))
    except PageRejected as rejected:
        return CleanArticle(error=str(rejected))
    except Exception as error:  # a page must not take the crawl down, whatever it triggers
        return CleanArticle(error=_failure(error))


def _failure(error: Exception) -> str:
    """A short reason naming the kind of failure: "cleaner failed: RecursionError (maximum ...)"."""
    detail = " ".join(str(error).split())[: MAX_ERROR_CHARS // 2]
    reason = f"cleaner failed: {type(error).__name__}" + (f" ({detail})" if detail else "")
    return cut(reason, MAX_ERROR_CHARS) or reason


def _clean(
    html: str | bytes,
    url: str | None,
    options: CleanOptions,
    declared_charset: str | None,
    furniture: frozenset[str],
) -> CleanArticle:
    html, losses = _within_bytes(html, options.max_bytes)
    # Unicode NFC, as trafilatura.extract gives its text: the same words are the same code points
    # (for dedup, search, quoting), whatever composed or decomposed form the page was written in.
    text = unicodedata.normalize("NFC", decode_page(html, declared_charset))
    tree, cut = parse_tree(text)
    if tree is None:
        return CleanArticle(error="unparseable HTML")
    metadata = read_metadata(tree, url)
    removed = Removed(blocks=losses + cut, disabled=options.disabled_rules)
    rules = options.site_rules.for_url(url)
    standfirst = displayed_standfirst(tree, metadata.description)
    prune_tree(tree, removed, rules)
    prune_layout_tables(tree, removed)
    prune_image_captions(tree, removed)
    document = extract_document(tree, url)
    if document is None or not (document.text or "").strip():
        return CleanArticle(error="no article found", removed=removed.blocks)
    names = site_names(metadata.site_name, url, metadata.canonical_url)
    lines = filter_lines(
        document.text, metadata.title, removed, rules, standfirst, furniture, options.min_text_chars, names
    )
    authors, agency = _people_and_agency(metadata.authors or [])
    bylines = [line for line in lines if is_byline(line)] if removed.allows("byline") else []
    for line in bylines:
        people, named = byline(line)
        authors = authors or people
        agency = agency or named
        removed.add(line, "byline")
    lines = [line for line in lines if line not in bylines]
    lines = drop_site_plug(drop_signatures(lines, removed), tree, removed, url, metadata.canonical_url)
    place, dateline_agency = dateline(lines[0]) if lines else (None, None)
    body = "\n".join(lines)
    summary = _shown_summary(
        tree, metadata.title, metadata.description, standfirst is not None, body, removed
    )
    detected = None if metadata.language else detect_language(body)
    article = CleanArticle(
        text=body,
        title=metadata.title,
        summary=summary,
        authors=authors,
        agency=dateline_agency or agency,
        dateline=place,
        published=metadata.published,
        modified=metadata.modified,
        language=metadata.language or detected,
        language_detected=detected is not None,
        canonical_url=metadata.canonical_url,
        page_type=metadata.page_type,
        top_image=metadata.top_image,
        images=metadata.images or [],
        keywords=metadata.keywords or [],
        free_access=metadata.free_access,
        captions=list(dict.fromkeys(removed.captions)),
        contributors=removed.contributors,
        removed=removed.blocks,
    )
    if len(article.text) < options.min_text_chars:
        article.error = "no article found"
    return article


def _shown_summary(
    tree: Any, title: str | None, description: str | None, displayed: bool, body: str, removed: Removed
) -> str | None:
    """The summary, noted as the printed standfirst (reason `standfirst`) when the page shows it
    and the text does not hold it: the description printed as a dek (`displayed`, or a block of
    its own anywhere in the body), else a block named as a dek under the headline.

    Looked for after extraction, on the pruned tree (trafilatura works on a copy), and only when
    needed: a text whose lead repeats the description, or whose dek the line pass took out, has
    its standfirst already. A dek printed in the header, outside the story's container, or in a
    "teaser"-named block (which trafilatura drops whatever it holds) is no part of the text."""
    folded = " ".join(body.split())
    if (description and description in folded) or any(
        block.reason == "standfirst" for block in removed.blocks
    ):
        return description
    if description and (displayed or printed_on_page(tree, description)):
        removed.add(description, "standfirst")
        return description
    dek = named_dek(tree, title)
    if dek and dek not in folded:
        removed.add(dek, "standfirst")
        return dek
    return description


def printed_on_page(tree: Any, description: str | None) -> bool:
    """Whether the description is printed in the page's body as a block of its own (a dek in a
    `p.lead`, a `div.teaser-text`, an `h2` under the headline, whatever its name): a block whose
    text, whitespace folded, is the description."""
    if not description:
        return False
    words = description.split()[:_FIRST_WORDS]
    word = max(words, key=len)[:_MAX_WORD_CHARS] if words else ""
    if not word:
        return False
    longest = len(description) + _DEK_DEPTH
    for element in _HOLDING(tree, word=word):
        for _ in range(_DEK_DEPTH):
            if element is None or TEXT_LENGTH(element) > longest:
                break
            if " ".join(element.text_content().split()) == description:
                return True
            element = element.getparent()
    return False


def named_dek(tree: Any, title: str | None) -> str | None:
    """The dek printed under the headline when the description is not it: the first block among
    the elements after the `h1` that reads as the title, named as a dek (`p.lead`,
    `div.article__intro p`, `p.article-teaser`), of a paragraph's length and hardly links."""
    headline = next(iter(tree.iter("h1")), None) if title else None
    if headline is None:
        return None
    printed = " ".join(headline.text_content().split())
    if not printed or (printed not in title and title not in printed):
        return None
    for element in _following(headline, _AFTER_HEADLINE):
        if element.tag not in _DEK_TAGS or not _named_dek(element):
            continue
        text = " ".join(element.text_content().split())
        paragraph_long = _MIN_DEK_CHARS <= len(text) <= _MAX_DEK_CHARS
        if paragraph_long and link_chars(element) <= len(text) * _MAX_DEK_LINKS:
            return text
    return None


def _following(element: Any, count: int) -> Iterator[Any]:
    """The first `count` elements after the element in document order (its own descendants not
    counted), walked from its siblings outwards: no pass over the rest of the page."""
    while element is not None:
        for sibling in element.itersiblings():
            for following in sibling.iter():
                if count <= 0:
                    return
                count -= 1
                yield following
        element = element.getparent()


def _named_dek(element: Any) -> bool:
    parent = element.getparent()
    names = [element.get("class"), element.get("id")]
    if parent is not None:
        names += [parent.get("class"), parent.get("id")]
    return any(name and _DEK_NAME.search(name) for name in names)


def _within_bytes(html: str | bytes, max_bytes: int) -> tuple[str | bytes, list[RemovedBlock]]:
    """The page's first `max_bytes` (characters of a page given as text), with what was left out:
    a page bloated past the limit (inline images, an endless comment thread) keeps the story at
    its start, and the parse limits (cleaner/limits.py) bound what the rest can cost."""
    if len(html) <= max_bytes:
        return html, []
    unit = "bytes" if isinstance(html, bytes) else "characters"
    left_out = f"{len(html) - max_bytes:,} {unit} after the first {max_bytes:,}"
    return html[:max_bytes], [RemovedBlock(left_out, "body too large")]


def _people_and_agency(names: list[str]) -> tuple[list[str], str | None]:
    """The page's declared authors ("Jane Doe", "Associated Press") as people and an agency."""
    people: list[str] = []
    agency = None
    for name in names:
        found, named = byline(name.strip())
        people += [person for person in found if person not in people]
        agency = agency or named
    return people, agency
