"""The cleaning pipeline: decode, parse, extract, then fill the article's fields."""

from __future__ import annotations

import unicodedata

from cleaner.bounds import MAX_ERROR_CHARS, bounded, cut
from cleaner.extract import extract_document, parse_tree
from cleaner.html import PageRejected, decode_page
from cleaner.language import detect_language
from cleaner.metadata import read_metadata
from cleaner.model import CleanArticle, CleanOptions, RemovedBlock
from cleaner.noise import Removed, displayed_standfirst, filter_lines, prune_tree
from cleaner.sitename import site_names
from cleaner.wire import byline, dateline, is_byline

DEFAULT_OPTIONS = CleanOptions()


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
    removed = Removed(blocks=losses + cut)
    rules = options.site_rules.for_url(url)
    standfirst = displayed_standfirst(tree, metadata.description)
    prune_tree(tree, removed, rules)
    document = extract_document(tree, url)
    if document is None or not (document.text or "").strip():
        return CleanArticle(error="no article found", removed=removed.blocks)
    names = site_names(metadata.site_name, url, metadata.canonical_url)
    lines = filter_lines(
        document.text, metadata.title, removed, rules, standfirst, furniture, options.min_text_chars, names
    )
    authors, agency = _people_and_agency(metadata.authors or [])
    bylines = [line for line in lines if is_byline(line)]
    for line in bylines:
        people, named = byline(line)
        authors = authors or people
        agency = agency or named
        removed.add(line, "byline")
    lines = [line for line in lines if line not in bylines]
    place, dateline_agency = dateline(lines[0]) if lines else (None, None)
    body = "\n".join(lines)
    detected = None if metadata.language else detect_language(body)
    article = CleanArticle(
        text=body,
        title=metadata.title,
        summary=metadata.description,
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
