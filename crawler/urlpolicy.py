"""Which URLs wiredesk may fetch, for the crawl and for `wiredesk clean URL` alike.

- A start URL is http(s), with a host and a valid port, and without credentials: `user:password@`
  is refused up front, and no message ever prints it (`mask_credentials`).
- A redirect is followed only to http(s), at most MAX_REDIRECTS times in a row, and only on the
  same site: the same host (or a subdomain of it) on the same port as the URL that redirected,
  http→https on the default ports, or one of the source's own sites (`anchors`). A publisher
  can move a page, but not send the crawler to another server on its host, to another site, or
  to a scheme other than http(s).
- A redirect chain that started on a public address never leads to a private, loopback,
  link-local or otherwise non-global one: a public page cannot make the crawler reach into the
  network it runs in.

The decisions are pure functions of URLs and addresses; the crawl's middleware and the clean
command only resolve the names and apply them.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Redirects followed in a row; a publisher moving a page needs one or two.
MAX_REDIRECTS = 5


class UrlRefused(ValueError):
    """A URL wiredesk will not fetch; `reason` is a short slug for the stats (`bad_scheme`, ...)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def mask_credentials(url: str) -> str:
    """The URL with any `user:password@` replaced by `***@`, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}://***@{authority.rpartition('@')[2]}{slash}{path}"


def start_url_problem(url: str) -> str | None:
    """Why `url` cannot be a start URL (None when it can); the message never shows credentials."""
    shown = mask_credentials(url)
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return f"not a valid URL: {shown}"
    if parts.scheme not in DEFAULT_PORTS:
        return f"only http and https URLs can be fetched: {shown}"
    if parts.username is not None or parts.password is not None:
        return f"URLs with credentials (user:password@) are refused: {shown}"
    if not parts.hostname:
        return f"no host in URL: {shown}"
    return None


def request_problem(url: str) -> str | None:
    """The reason slug when any URL, link or redirect, must not be fetched: scheme or credentials."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "bad_url"
    if parts.scheme not in DEFAULT_PORTS:
        return "bad_scheme"
    if parts.username is not None or parts.password is not None:
        return "credentials"
    return None


def redirect_problem(previous: str, target: str, anchors: Iterable[str] = ()) -> str | None:
    """The reason slug when a redirect from `previous` to `target` must not be followed, else None.

    `anchors` are URLs of the source's own sites (its start URLs, its domains on default ports): a
    redirect may also go to any of them.
    """
    problem = request_problem(target)
    if problem is not None:
        return problem
    if any(same_site_and_port(anchor, target) for anchor in (previous, *anchors)):
        return None
    return "offsite_redirect"


def same_site_and_port(first: str, second: str) -> bool:
    """Same host (or a subdomain, `www.` ignored; IP addresses exactly) and the same port; the
    default ports of http and https count as one, so http://x/ → https://x/ stays on the site."""
    try:
        a, b = urlsplit(first), urlsplit(second)
        ports = (_port(a), _port(b))
    except ValueError:
        return False
    same_port = ports[0] == ports[1] or (_on_default_port(a) and _on_default_port(b))
    return same_port and _same_host(a.hostname or "", b.hostname or "")


def _port(parts: SplitResult) -> int | None:
    return parts.port or DEFAULT_PORTS.get(parts.scheme)


def _on_default_port(parts: SplitResult) -> bool:
    return parts.scheme in DEFAULT_PORTS and _port(parts) == DEFAULT_PORTS[parts.scheme]


def _same_host(first: str, second: str) -> bool:
    first, second = first.lower().removeprefix("www."), second.lower().removeprefix("www.")
    if not first or not second:
        return False
    if ip_literal(first) or ip_literal(second):
        return first == second
    return first == second or first.endswith("." + second) or second.endswith("." + first)


def ip_literal(host: str) -> bool:
    """Whether a URL's host is an IP address rather than a name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_public(address: str) -> bool:
    """A globally routable unicast address: not private, loopback, link-local, shared or reserved."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return parsed.is_global and not parsed.is_multicast


def address_problem(start_addresses: Iterable[str], target_addresses: Iterable[str]) -> str | None:
    """`private_address` when a chain that started on public addresses leads to a non-public one.

    A start that is itself private or loopback (an intranet crawl, the test newsroom) may go on
    to private addresses; unknown addresses (the name did not resolve) decide nothing, since the
    fetch itself then fails.
    """
    start, target = list(start_addresses), list(target_addresses)
    if start and all(is_public(a) for a in start) and any(not is_public(a) for a in target):
        return "private_address"
    return None


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself); [] when it does not."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _PolicyRedirects(urllib.request.HTTPRedirectHandler):
    """urllib's redirect handling, held to redirect_problem and address_problem."""

    max_redirections = MAX_REDIRECTS

    def __init__(self, start: str, resolver: Callable[[str], list[str]]) -> None:
        super().__init__()
        self.start = start
        self.resolver = resolver
        self.start_addresses = resolver(urlsplit(start).hostname or "")

    def http_error_302(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any) -> Any:
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urljoin(req.full_url, location)
            problem = redirect_problem(req.full_url, target, [self.start]) or address_problem(
                self.start_addresses, self.resolver(urlsplit(target).hostname or "")
            )
            if problem is not None:
                raise UrlRefused(
                    problem, f"redirect to {mask_credentials(target)} refused ({problem.replace('_', ' ')})"
                )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def fetch(
    url: str,
    *,
    user_agent: str,
    max_bytes: int,
    timeout: float = 30.0,
    resolver: Callable[[str], list[str]] = resolve,
) -> tuple[bytes, str]:
    """GET one page under the rules above: its first `max_bytes` bytes and its final URL.

    Raises UrlRefused for a refused start URL or redirect, OSError (urllib's errors) for the rest.
    """
    problem = start_url_problem(url)
    if problem is not None:
        raise UrlRefused("bad_url", problem)
    opener = urllib.request.build_opener(_PolicyRedirects(url, resolver))
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.read(max_bytes), response.geturl()
    except urllib.error.HTTPError as error:
        if error.msg.startswith(_PolicyRedirects.inf_msg):
            raise UrlRefused("redirect_loop", f"more than {MAX_REDIRECTS} redirects in a row") from error
        raise
