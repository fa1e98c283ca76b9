"""What a page may put in a CleanArticle: every field storable as UTF-8 and of a sane length.

A page controls its metadata: a JSON-LD headline may hold a lone surrogate (`"\\ud800"`), a NUL
(PostgreSQL refuses it in text), or two million characters. Text read from the parsed tree is
already clean (cleaner/html.py and cleaner/extract.py see to that); values read from JSON-LD
are not. So every string field goes through `encodable`, and the fields a page fills freely are
capped: a cap cuts prose (title, summary, captions), and drops what a cut would falsify (a URL,
a language tag, an author's name). docs/cleaning.md lists the caps and why.
"""

from __future__ import annotations

import re
from dataclasses import replace

from cleaner.model import CleanArticle

# Headlines run to 150 characters; 500 keeps any real one, with its kicker.
MAX_TITLE_CHARS = 500
# Descriptions and standfirsts are a paragraph; 2,000 characters keep the longest.
MAX_SUMMARY_CHARS = 2_000
MAX_AUTHORS = 20
# A person's or an agency's name; a longer "name" is a sentence, and dropped.
MAX_AUTHOR_CHARS = 100
# What a page declares as an author, before it is split into people ("By Jane Doe and Ana Ruiz,
# Associated Press"): the byline block the cleaner reads is 160 characters at most.
MAX_BYLINE_CHARS = 200
# A BCP 47 primary language subtag ("en", "de", "gsw"): 2 to 8 letters, nothing else.
LANGUAGE_TAG = re.compile(r"[a-z]{2,8}")
# Where the primary subtag ends: "en-GB", "de_AT", and the first of a list ("de, at, ch").
_SUBTAG_END = re.compile(r"[-_,;\s]")
# Longer canonical URLs are dropped, not cut (a cut URL names another page). Measured in UTF-8
# bytes: every URL column of the corpus is indexed, and a PostgreSQL B-tree entry holds at most
# 2,704 bytes (storage/bounds.py refuses a page whose own URL is longer). Scrapy requests URLs of
# up to 2,083 characters (URLLENGTH_LIMIT).
MAX_URL_BYTES = 2_600
# schema.org type names and og:type values ("newsarticle", "video.other").
MAX_PAGE_TYPE_CHARS = 64
MAX_DATELINE_CHARS = 100
MAX_AGENCY_CHARS = 100
MAX_CAPTIONS = 100
MAX_CAPTION_CHARS = 1_000
MAX_IMAGES = 50
MAX_KEYWORDS = 50
# A keyword is a word or a short phrase; a longer one is a sentence, and dropped.
MAX_KEYWORD_CHARS = 100
MAX_CONTRIBUTORS = 20
MAX_CONTRIBUTOR_CHARS = 500
MAX_ERROR_CHARS = 300

# What UTF-8 cannot encode (lone surrogates), and what no store or XML tool should see: C0 control
# characters other than tab, newline and carriage return (PostgreSQL refuses NUL in text, lxml
# any of them) and the non-characters U+FFFE and U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONTROL_BYTES = bytes((*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))
_NONCHARACTERS = ("\ufffe".encode(), "\uffff".encode())


def encodable(text: str) -> str:
    """`text` with lone surrogates as U+FFFD (a browser's replacement character), control
    characters and U+FFFE/U+FFFF removed; a surrogate pair left as two code points becomes the
    one character it encodes. Costs a few C-level passes when there is nothing to do."""
    if _safe(text):
        return text
    text = _CONTROL.sub("", text)
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _safe(text: str) -> bool:
    """Whether the text holds none of the characters above, told in C several times faster than a
    regular expression's search over a whole page: strict UTF-8 refuses any surrogate, and in UTF-8
    the control characters are their own bytes and U+FFFE and U+FFFF two sequences no other
    character's bytes hold."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return (
        len(data.translate(None, _CONTROL_BYTES)) == len(data)
        and _NONCHARACTERS[0] not in data
        and _NONCHARACTERS[1] not in data
    )


def cut(text: str | None, limit: int) -> str | None:
    """Encodable text of at most `limit` characters (None stays None, blank becomes None)."""
    if text is None:
        return None
    text = encodable(text[: limit * 2])[:limit].strip()
    return text or None


def whole(text: str | None, limit: int) -> str | None:
    """Encodable text within `limit`, or None: for values a cut would falsify (URLs, names)."""
    if text is None or len(text) > limit:
        return None
    return encodable(text).strip() or None


def url(value: str | None) -> str | None:
    """An encodable URL short enough to be stored and indexed, or None."""
    if value is None or len(value) > MAX_URL_BYTES or not url_fits(value):
        return None
    return encodable(value).strip() or None


def url_fits(value: str) -> bool:
    """True when `value` is at most MAX_URL_BYTES in UTF-8 (lone surrogates count as three)."""
    return len(value.encode("utf-8", "surrogatepass")) <= MAX_URL_BYTES


def language(tag: str | None) -> str | None:
    """The primary language subtag of a tag ("en-GB", "de_AT", "de, at" -> "en", "de", "de"), or
    None if it is not one."""
    if not tag:
        return None
    primary = _SUBTAG_END.split(tag[:100].strip(), maxsplit=1)[0].lower()
    return primary if LANGUAGE_TAG.fullmatch(primary) else None


def names(values: list[str], limit: int, chars: int) -> list[str]:
    """At most `limit` distinct encodable names of at most `chars` characters each."""
    kept: list[str] = []
    for value in values:
        name = whole(value, chars)
        if name and name not in kept:
            kept.append(name)
            if len(kept) == limit:
                break
    return kept


def bounded(article: CleanArticle) -> CleanArticle:
    """The article with every field encodable and within its cap. Removed blocks are not looked
    at: they are read from the parsed tree and the extracted text, clean by construction, and cut
    to 300 characters (cleaner/noise.py)."""
    return replace(
        article,
        text=encodable(article.text),
        title=cut(article.title, MAX_TITLE_CHARS),
        summary=cut(article.summary, MAX_SUMMARY_CHARS),
        authors=names(article.authors, MAX_AUTHORS, MAX_AUTHOR_CHARS),
        agency=cut(article.agency, MAX_AGENCY_CHARS),
        dateline=cut(article.dateline, MAX_DATELINE_CHARS),
        language=language(article.language),
        canonical_url=url(article.canonical_url),
        page_type=whole(article.page_type, MAX_PAGE_TYPE_CHARS),
        captions=_texts(article.captions, MAX_CAPTIONS, MAX_CAPTION_CHARS),
        top_image=url(article.top_image),
        images=images(article.images),
        keywords=names(article.keywords, MAX_KEYWORDS, MAX_KEYWORD_CHARS),
        contributors=_texts(article.contributors, MAX_CONTRIBUTORS, MAX_CONTRIBUTOR_CHARS),
        error=cut(article.error, MAX_ERROR_CHARS),
    )


def images(values: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
    """At most MAX_IMAGES images whose URL can be stored, each caption cut to MAX_CAPTION_CHARS."""
    kept: list[dict[str, str | None]] = []
    for image in values:
        address = url(image.get("url"))
        if address:
            kept.append({"url": address, "caption": cut(image.get("caption"), MAX_CAPTION_CHARS)})
            if len(kept) == MAX_IMAGES:
                break
    return kept


def _texts(values: list[str], limit: int, chars: int) -> list[str]:
    """The first `limit` values, each cut to `chars` characters, blanks left out."""
    return [text for text in (cut(value, chars) for value in values[:limit]) if text]
