"""The cleaning pipeline: decode, parse, extract, then fill the article's fields."""

from __future__ import annotations

from datetime import UTC, datetime

from cleaner.extract import extract_document, parse_tree
from cleaner.html import PageRejected, decode_page
from cleaner.model import CleanArticle, CleanOptions

DEFAULT_OPTIONS = CleanOptions()


def clean(
    html: str | bytes,
    url: str | None = None,
    options: CleanOptions = DEFAULT_OPTIONS,
    declared_charset: str | None = None,
) -> CleanArticle:
    """Clean one page. Never raises for bad input: the reason lands in `CleanArticle.error`."""
    try:
        text = decode_page(html, options, declared_charset)
    except PageRejected as rejected:
        return CleanArticle(error=str(rejected))
    tree = parse_tree(text)
    if tree is None:
        return CleanArticle(error="unparseable HTML")
    document = extract_document(tree, url)
    if document is None or not (document.text or "").strip():
        return CleanArticle(error="no article found")
    article = CleanArticle(
        text=document.text.strip(),
        title=document.title,
        summary=document.description,
        authors=_split_authors(document.author),
        published=_parse_date(document.date),
        language=document.language,
        canonical_url=document.url,
        page_type=(document.pagetype or None),
    )
    if len(article.text) < options.min_text_chars:
        article.error = "no article found"
    return article


def _split_authors(author: str | None) -> list[str]:
    if not author:
        return []
    return [name.strip() for name in author.split(";") if name.strip()]


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
