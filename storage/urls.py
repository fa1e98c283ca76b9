"""A page's URL and identity: one spelling per page, its site, the canonical URL it is stored under.

Storage keys a page's rows by its identity, and the crawler asks the same questions when it finds
and bounds URLs: both use these functions, so the two never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that only say where a click came from; removing them never changes the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "ocid",
        "cmpid",
        "ito",
        "ref",
        "ref_src",
        "smid",
        "smtyp",
        "taid",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "yptr",
        "soc_src",
        "soc_trk",
        "at_medium",
        "at_campaign",
        "ns_mchannel",
        "ns_campaign",
        "ns_source",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "_hs")
# URLs whose spelling is remembered: a page's URL is normalised when the spider builds its item and
# again when its identity is decided, a few hundred pages later at most; listings repeat URLs.
_NORMALISED_KEPT = 8192


@lru_cache(maxsize=_NORMALISED_KEPT)
def normalise_url(url: str) -> str:
    """One spelling per page: lower-case host, no default port, no fragment, no tracking, sorted query."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = sorted(
        (key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(key)
    )
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def site_of(url: str) -> str:
    """The host a URL belongs to, without `www.`: the unit of "same site"."""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def same_site(url: str, other: str) -> bool:
    """True when both URLs are on one site, subdomains included (news.example.com ~ example.com)."""
    first, second = site_of(url), site_of(other)
    return bool(first) and (first == second or first.endswith("." + second) or second.endswith("." + first))


@dataclass(frozen=True)
class Identity:
    """Who a page says it is, decided here and nowhere else (`page_identity`)."""

    canonical: str
    """The URL its article is stored under: its declared canonical URL when on the same site, else
    its own URL, normalised. Storage holds it to one more check: a canonical URL naming another
    stored article with another text is not followed (`Batch.plan`, storage/batch.py)."""
    original: str | None = None
    """Its declared canonical URL when on another site: the original a republisher names. A hint
    for stories, never an identity: a copy on another site is its own article."""


def page_identity(page_url: str, declared: str | None) -> Identity:
    """The identity of the page at `page_url` whose rel=canonical or og:url is `declared`.

    A declared URL counts when it is http(s), parses, and can be stored (storage.bounds); relative
    ones are read against the page's URL.
    """
    own = normalise_url(page_url)
    if not declared or not declared.strip():
        return Identity(own)
    try:
        named = normalise_url(urljoin(page_url, declared.strip()))
    except ValueError:  # a port that is not a number, a broken IPv6 address...
        return Identity(own)
    from cleaner.bounds import url_fits  # the cleaner's package: not for commands that only read

    if not is_http(named) or not url_fits(named):
        return Identity(own)
    if not same_site(named, page_url):
        return Identity(own, named)
    return Identity(own) if is_section_of(named, own) else Identity(named)


# Path segments and query keys that make another rendering of the same page (AMP, print, mobile):
# a canonical URL without them names the same page.
_VARIANT_SEGMENTS = frozenset({"amp", "print", "mobile", "m", "embed", "full"})
_VARIANT_PARAMS = frozenset(
    {"amp", "outputtype", "output", "print", "view", "mobile", "m", "device", "format"}
)
_PAGE_SUFFIX = re.compile(r"(\.amp)?(\.(html?|shtml|php|aspx?|jsp|cms))?$")
_DIRECTORY_INDEX = re.compile(r"(index|default)\.(html?|shtml|php|aspx?|jsp)")
"""`/world/index.html` is the page `/world/` (a directory's index)."""


def _segments(url: str) -> list[str]:
    """The path's segments, lower-case, without the ones that only name a variant of the page."""
    path = urlsplit(url).path.lower()
    return [
        segment
        for segment in path.split("/")
        if segment
        and _PAGE_SUFFIX.sub("", segment) not in _VARIANT_SEGMENTS
        and not _DIRECTORY_INDEX.fullmatch(segment)
    ]


def is_section_of(named: str, own: str) -> bool:
    """True when `named` is the site's root or a section above the page `own` (its path a proper
    prefix of the page's): a template that declares its home or section page as every article's
    canonical URL names no page of the article's own."""
    above, page = _segments(named), _segments(own)
    return len(above) < len(page) and page[: len(above)] == above and not urlsplit(named).query


def page_key(url: str) -> str:
    """What tells one page of a site from another: its last path segment without its suffix, and
    its query, both without what only names a variant (AMP, print, mobile). Two URLs with the same
    key plausibly name one page (`/amp/world/ferry-talks` and `/world/ferry-talks.html`)."""
    segments = _segments(url)
    last = _PAGE_SUFFIX.sub("", segments[-1]) if segments else ""
    query = sorted(
        (key, value)
        for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True)
        if key.lower() not in _VARIANT_PARAMS
    )
    return f"{last}?{urlencode(query)}"


def is_http(url: str) -> bool:
    """Only http and https are ever fetched (never file:, ftp:, data: and friends)."""
    return urlsplit(url).scheme in ("http", "https")
