"""What closes a story's text and is no part of it: the writers' signature, and the site's own
plug, found by its links rather than its words.

A signature (reason `signature`) is one token among the text's last lines: initials and
agency ("aja/PAP", "mw/dpa"), initials in brackets ("(dmk)"), an agency's acronym alone.

A story often ends on a block where the site speaks for itself: its job board, its shop, its
community or membership page, its app, its next part. Word lists miss most of them (the fifth
and sixth rounds tried, docs/cleaning.md): the words are any words, in any language. What the
plug has that a story's last paragraph has not is where it points: to a page of the site's own
that is no article (`/abo.html`, `/community`, `/jobs/`), under a short label ("hier", "im Abo",
"our app"), and the block holding it is small and stands apart at the end of the text.

The rule (reason `site-plug`): among the text's last `_CLOSING_LINES` lines, after at least
`_MIN_STORY_LINES` lines of story, a line of at most `_MAX_PLUG_CHARS` characters, quoting no
one and speaking to the reader ("you", "dich", "vous"), whose block on the page (the element
printing it, widened to its largest ancestor of at most `_MAX_BOX_CHARS` characters that prints
none of the first lines) holds such a link. A link alone is not enough: news sites link a name
in a story's last paragraph to their topic page on it (`/topics/donald-trump`, `/tags/x/`).
The run of lines the block prints around that line goes with it (the plug's heading, its
button). A page whose story speaks to its reader throughout (a service page, a guide) has no
plug: its closing line in the second person is more of the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from cleaner.prose import TEXT_LENGTH
from cleaner.removal import Removed

_CLOSING_LINES = 3
_MIN_STORY_LINES = 3
_MAX_PLUG_CHARS = 600
# A story that speaks to its reader on this share of its lines has no plug to turn to.
_MAX_ADDRESSED_SHARE = 0.4
_MAX_BOX_CHARS = 800
# Lines above the plug's line that go with it are at most this long (a heading, a slogan).
_MAX_HEADING_CHARS = 100
# A link label of at most this many words is a label ("hier", "Abo", "our job board"), not a headline.
_MAX_LABEL_WORDS = 4
# A path whose last segment has at most this many words, and no long number, names a section or a
# service page ("/community", "/abo.html", "/blog/jobs/"); an article's slug or id is longer.
_MAX_SLUG_WORDS = 2
_ARTICLE_NUMBER = re.compile(r"\d{4,}")
_SLUG_WORDS = re.compile(r"[^\W_]+")
# Characters of a line looked for in its block (trafilatura folds and sometimes trims a block's text).
_PROBE_CHARS = 50
_MAX_WORD_CHARS = 12
# The plug speaks to the reader in the second person (a story's closing paragraph seldom does,
# and a company page speaks of itself as "we", which is no plug). German's formal "Sie" and
# "Ihr" count capitalised only (lower case they are "she", "they", "her"), and "Du" too (lower
# case it is French for "of the").
_SECOND_PERSON = re.compile(
    r"\b(?:[Yy]ou|[Yy]our|[Yy]ours|Sie|Ihr|Ihre[mnrs]?|Ihnen|Du|[Dd]ich|[Dd]ir|[Dd]ein\w*|[Ee]uch|"
    r"[Ee]uer|[Ee]ure[mnrs]?|[Tt]ú|[Tt]us?|[Uu]sted(?:es)?|[Vv]ous|[Vv]otre|[Vv]os|[Vv]oi|[Vv]ostr\w+|"
    r"[Tt]wój|[Ww]asz\w*|[Vv]ocês?)\b"
)
# A line quoting someone ("We aim to ...", said the professor) is the story's.
_QUOTES = re.compile('["“”„«»]')
_HOLDING = etree.XPath(
    "//body//text()[contains(., $word)]/parent::*[not(self::script or self::style or self::noscript)]"
)
_PAGE_BLOCKS = ("html", "body", "article", "main")
# A signature closing a story: initials and agency joined by slashes ("aja/PAP", "mw/dpa/AFP"),
# initials in brackets ("(dmk)", "(dr/spot)"), or an agency's acronym alone ("RIRM"). No story
# line is one word of this shape.
_MAX_SIGNATURE_CHARS = 30
_SIGNATURE = re.compile(
    r"^(?:\(?[^\W\d_]{1,6}(?:/[^\W\d_]{1,6}){1,3}\)?|\(?[A-Z]{2,6}\)?|\([^\W\d_]{2,5}\))$"
)
# A host's last labels up to this long each are its public suffix ("co.uk"), as in cleaner/sitename.py.
_MAX_SUFFIX_LABEL = 3


def drop_signatures(lines: list[str], removed: Removed) -> list[str]:
    """The lines without the writers' or agency's signature among the closing ones ("aja/PAP",
    "(dmk)", "RIRM"): reason `signature`."""
    if not removed.allows("signature"):
        return lines
    first = max(_MIN_STORY_LINES, len(lines) - _CLOSING_LINES)
    signed = {
        index
        for index in range(first, len(lines))
        if len(lines[index]) <= _MAX_SIGNATURE_CHARS and _SIGNATURE.match(lines[index])
    }
    for index in sorted(signed):
        removed.add(lines[index], "signature")
    return [line for index, line in enumerate(lines) if index not in signed]


def drop_site_plug(lines: list[str], tree: Any, removed: Removed, *urls: str | None) -> list[str]:
    """The lines without the site's closing plug; what went is in `removed` as `site-plug`."""
    if len(lines) <= _MIN_STORY_LINES or not removed.allows("site-plug"):
        return lines
    sites = {site for site in map(_site_of, urls) if site}
    base = next((url for url in urls if url), None)
    plug: set[int] = set()
    first = max(_MIN_STORY_LINES, len(lines) - _CLOSING_LINES)
    for index in range(first, len(lines)):
        line = lines[index]
        if (
            index in plug
            or len(line) > _MAX_PLUG_CHARS
            or _QUOTES.search(line)
            or not _SECOND_PERSON.search(line)
        ):
            continue
        if _speaks_to_reader(lines[:first]):
            break
        box = _box(tree, lines, index)
        if box is not None and any(_own_service_link(link, base, sites) for link in box.iter("a")):
            plug |= _run_printed(lines, index, " ".join(box.text_content().split()))
    for index in sorted(plug):
        removed.add(lines[index], "site-plug")
    return [line for index, line in enumerate(lines) if index not in plug]


def _speaks_to_reader(story: list[str]) -> bool:
    """The story itself speaks to its reader, on `_MAX_ADDRESSED_SHARE` of its lines or more (a
    service page, a guide, a tutorial): a plug is the site turning to its reader after a story
    that did not, and such a page has no such turn; its closing line is more of the same."""
    addressed = sum(1 for line in story if _SECOND_PERSON.search(line))
    return addressed >= len(story) * _MAX_ADDRESSED_SHARE


def _run_printed(lines: list[str], index: int, printed: str) -> set[int]:
    """The run of lines around the line at `index` that the plug's block prints: its button and
    what else follows it, and the short lines above it (its heading, its slogan), never one of
    the first `_MIN_STORY_LINES`. A longer line above it is the story's, printed in the same
    small container (a story cut into chunks, its last chunk holding the plug)."""
    start = end = index
    while (
        start - 1 >= _MIN_STORY_LINES
        and len(lines[start - 1]) <= _MAX_HEADING_CHARS
        and _probe(lines[start - 1]) in printed
    ):
        start -= 1
    while end + 1 < len(lines) and _probe(lines[end + 1]) in printed:
        end += 1
    return set(range(start, end + 1))


def _box(tree: Any, lines: list[str], index: int) -> Any | None:
    """The block printing the line, widened to its largest ancestor of at most `_MAX_BOX_CHARS`
    characters that prints none of the text's first `_MIN_STORY_LINES` lines."""
    probe = _probe(lines[index])
    word = max(probe.split()[:3] or [""], key=len)[:_MAX_WORD_CHARS]
    if not word:
        return None
    story = _probe(lines[_MIN_STORY_LINES - 1])
    for holder in _HOLDING(tree, word=word):
        box = None
        for element in _ancestors(holder):
            if TEXT_LENGTH(element) > _MAX_BOX_CHARS or element.tag in _PAGE_BLOCKS:
                break
            printed = " ".join(element.text_content().split())
            if story in printed:
                break
            if box is not None or probe in printed:
                box = element
        if box is not None:
            return box
    return None


def _ancestors(element: Any) -> Iterator[Any]:
    while element is not None:
        yield element
        element = element.getparent()


def _probe(line: str) -> str:
    return " ".join(line.split())[:_PROBE_CHARS]


def _own_service_link(link: Any, base: str | None, sites: set[str]) -> bool:
    """A link labelled in a few words to a page of the site's own that is no article."""
    href = (link.get("href") or "").strip()
    label = link.text_content().split()
    if not href or href.startswith("#") or not 0 < len(label) <= _MAX_LABEL_WORDS:
        return False
    target = urlsplit(urljoin(base or "", href))
    if target.scheme not in ("http", "https", ""):
        return False
    if target.netloc and _site_of(target.geturl()) not in sites:
        return False
    if base and target.path.rstrip("/") == urlsplit(base).path.rstrip("/"):
        return False
    segment = target.path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return len(_SLUG_WORDS.findall(segment)) <= _MAX_SLUG_WORDS and not _ARTICLE_NUMBER.search(target.path)


def _site_of(url: str | None) -> str:
    """The registered domain of an address ("example.co.uk" of news.example.co.uk), "" if none."""
    host = (urlsplit(url).hostname or "") if url else ""
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2:
        return ""
    short_suffix = len(labels) >= 3 and all(len(label) <= _MAX_SUFFIX_LABEL for label in labels[-2:])
    return ".".join(labels[-3:] if short_suffix else labels[-2:])
