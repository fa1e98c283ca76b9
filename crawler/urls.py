"""Whether a URL looks like an article: a guess from its shape, for links scraped from section pages.

Normalisation, sites and a page's identity are storage's (storage/urls.py): it keys rows by them.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_DATE_IN_PATH = re.compile(r"/(19|20)\d{2}[/-](0?[1-9]|1[0-2])([/-](0?[1-9]|[12]\d|3[01]))?(/|-|$)")
# The three patterns below are searched in the last segment of the path only (looks_like_article
# cuts it out), so none has to skip a segment with `[^/]*`: two such runs around a repeated group
# backtrack quadratically or worse on a long segment. Each starts only where a run of its
# characters starts (lookbehind) and repeats possessively, so every search is linear.
_LONG_SLUG = re.compile(r"(?<![a-z0-9])(?:[a-z0-9]++-){3}[a-z0-9]", re.IGNORECASE)
"""Four or more words joined by hyphens: `ministers-agree-ferry-rules`."""
_ID_SLUG = re.compile(r"-\d{5}|^\d{6,}+$|(?:^|[-_])[0-9a-f]{16,}+$")
"""A numeric id after a hyphen (`story-184522`), a segment of six digits or more, a long hex id."""
# Paths of pages that list or show other things: never stored as articles.
_NOT_ARTICLE = re.compile(
    r"/(tag|tags|topic|topics|hub|author|authors|byline|profile|category|categories|section|sections|"
    r"search|video|videos|gallery|galleries|photos|podcasts?|live|newsletters?|login|signin|subscribe|"
    r"account|about|contact|privacy|terms|cookies|feed|rss)(/|$)",
    re.IGNORECASE,
)
_FILE_SUFFIX = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|pdf|mp[34]|zip|css|js|ico|xml|json|rss|atom)$", re.IGNORECASE
)


def names_a_listing(url: str) -> bool:
    """The path says tag, topic, section, author, search...: a page that lists or shows other things."""
    return bool(_NOT_ARTICLE.search(urlsplit(url).path))


def looks_like_article(url: str) -> bool:
    """A guess from the URL alone: dated paths, long slugs or numeric ids, and not a listing page.

    Only for links scraped from section pages: a feed or sitemap entry is an article candidate
    whatever its shape (real article URLs such as `/p/12345` or `/world/lavrov-walkout` fail this).
    """
    path = urlsplit(url).path
    if _NOT_ARTICLE.search(path) or _FILE_SUFFIX.search(path) or path.strip("/") == "":
        return False
    last_segment = path.rstrip("/").rpartition("/")[2]
    return bool(
        _DATE_IN_PATH.search(path) or _LONG_SLUG.search(last_segment) or _ID_SLUG.search(last_segment)
    )
