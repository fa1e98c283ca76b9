"""The storage boundary: what a page may hold to be written, the same on SQLite and PostgreSQL.

SQLite stores any string in any column; PostgreSQL refuses a value longer than its column, a NUL
character, a lone surrogate (which no encoding can write), an index entry over 2,704 bytes. Every
value from outside (the page, its headers, what the cleaner read in it) passes here first, so the
two backends keep the same corpus and no value fails a write:

- text loses NUL and other control characters, and lone surrogates become U+FFFD;
- metadata is capped at sane lengths (a headline is not two million characters) or, for values
  that mean nothing cut short (a language tag, an HTTP validator), dropped;
- a page whose own URL is too long to index is refused whole, with the reason (`Refused`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from cleaner import CleanArticle
from cleaner.bounds import MAX_AUTHOR_CHARS as AUTHOR_CHARS
from cleaner.bounds import MAX_AUTHORS as AUTHORS
from cleaner.bounds import MAX_KEYWORD_CHARS as KEYWORD_CHARS
from cleaner.bounds import MAX_KEYWORDS as KEYWORDS
from cleaner.bounds import MAX_SUMMARY_CHARS as SUMMARY_CHARS
from cleaner.bounds import MAX_TITLE_CHARS as TITLE_CHARS
from cleaner.bounds import MAX_URL_BYTES, images, names, url_fits
from cleaner.bounds import encodable as text
from cleaner.bounds import url as storable_url
from storage.models import Article
from storage.records import FetchedPage

# The article's caps are the cleaner's (cleaner/bounds.py): storage applies them again because what
# it writes does not always come from this cleaner (a spooled entry, a library caller).
CONTENT_TYPE_CHARS = 1000
ETAG_CHARS = 1000
LAST_MODIFIED_CHARS = 100
"""An HTTP date is 29 characters; anything much longer is not one."""
ERROR_CHARS = 2000
_COLUMNS = Article.__table__.c


class Refused(ValueError):
    """A page that cannot be stored as it is; the message says why, in one line."""


def capped(value: str | None, limit: int) -> str | None:
    """Clean text cut to `limit` characters, with an ellipsis when cut."""
    if value is None:
        return None
    value = text(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def whole_or_none(value: str | None, limit: int) -> str | None:
    """Clean text, or None when longer than `limit`: for values that cut short would lie."""
    if value is None:
        return None
    value = text(value)
    return value if len(value) <= limit else None


def cut_url(url: str) -> str:
    """`url` cut to what can be stored: for the record of a page that failed, not for an identity."""
    return text(url).encode("utf-8")[:MAX_URL_BYTES].decode("utf-8", "ignore")


def bounded_page(page: FetchedPage) -> FetchedPage:
    """The page as storage writes it; `Refused` when its own URLs cannot be stored."""
    own = (("URL", page.url), ("final URL", page.final_url), ("canonical URL", page.canonical_url))
    for name, url in own:
        if not url_fits(url):
            raise Refused(f"{name} longer than {MAX_URL_BYTES} bytes")
    limit = _COLUMNS.source.type.length
    if len(page.source) > limit:
        raise Refused(f"source name longer than {limit} characters")
    if not 0 <= page.http_status < 1000:
        raise Refused(f"HTTP status {page.http_status} out of range")
    original = page.declared_original
    return replace(
        page,
        url=text(page.url),
        final_url=text(page.final_url),
        canonical_url=text(page.canonical_url),
        source=text(page.source),
        content_type=capped(page.content_type, CONTENT_TYPE_CHARS),
        etag=whole_or_none(page.etag, ETAG_CHARS),
        last_modified=whole_or_none(page.last_modified, LAST_MODIFIED_CHARS),
        declared_original=text(original) if original is not None and url_fits(original) else None,
    )


def bounded_article(article: CleanArticle) -> CleanArticle:
    """The article's stored fields, clean and within their bounds; what is not stored is untouched."""
    return replace(
        article,
        text=text(article.text),
        title=capped(article.title, TITLE_CHARS),
        summary=capped(article.summary, SUMMARY_CHARS),
        authors=[capped(author, AUTHOR_CHARS) or "" for author in article.authors[:AUTHORS]],
        agency=capped(article.agency, _COLUMNS.agency.type.length),
        dateline=capped(article.dateline, _COLUMNS.dateline.type.length),
        language=whole_or_none(article.language, _COLUMNS.language.type.length),
        published=utc(article.published),
        modified=utc(article.modified),
        top_image=storable_url(article.top_image),
        images=images(article.images),
        keywords=names(article.keywords, KEYWORDS, KEYWORD_CHARS),
    )


def bounded_error(reason: str) -> str:
    """A failure's reason as `pages.error` keeps it."""
    return capped(reason, ERROR_CHARS) or ""


def utc(value: datetime | None) -> datetime | None:
    """The time in UTC, or None when it has none (a year-1 date east of Greenwich is before year 1)."""
    if value is None:
        return None
    try:
        return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError):
        return None
