"""URL rules: normalisation to one canonical form, and whether a URL looks like an article."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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

_DATE_IN_PATH = re.compile(r"/(19|20)\d{2}[/-](0?[1-9]|1[0-2])([/-](0?[1-9]|[12]\d|3[01]))?(/|-|$)")
_LONG_SLUG = re.compile(r"/[^/]*[a-z0-9]+(-[a-z0-9]+){3,}[^/]*/?$", re.IGNORECASE)
_ID_SLUG = re.compile(r"/[^/]*-\d{5,}[^/]*/?$|/\d{6,}/?$|[-_/][0-9a-f]{16,}/?$")
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


def canonical_url(page_url: str, declared: str | None) -> str:
    """The article's identity: the declared canonical URL when on the same site, else the page's own URL."""
    if declared and urlsplit(declared).scheme in ("http", "https") and same_site(declared, page_url):
        return normalise_url(declared)
    return normalise_url(page_url)


def looks_like_article(url: str) -> bool:
    """A guess from the URL alone: dated paths, long slugs or numeric ids, and not a listing page."""
    path = urlsplit(url).path
    if _NOT_ARTICLE.search(path) or _FILE_SUFFIX.search(path) or path.strip("/") == "":
        return False
    return bool(_DATE_IN_PATH.search(path) or _LONG_SLUG.search(path) or _ID_SLUG.search(path))


def is_http(url: str) -> bool:
    """Only http and https are ever fetched (never file:, ftp:, data: and friends)."""
    return urlsplit(url).scheme in ("http", "https")
