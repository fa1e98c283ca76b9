"""Why a request failed, as a short stable kind (`dns`, `timeout`, `http-503`, `robots`...): the
name a failure is counted and summed up under, per source and for the crawl."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

from crawler.middlewares import LeftSourceError

# Exception class names (Twisted's and Scrapy's, old and new spellings) to short error kinds.
_FAILURE_KINDS = (
    (("DNSLookupError", "CannotResolveHostError"), "dns"),
    (("TimeoutError", "TCPTimedOutError", "DownloadTimeoutError"), "timeout"),
    (("ConnectionRefusedError", "DownloadConnectionRefusedError"), "refused"),
    (("ConnectionLost", "ConnectionDone", "ResponseDataLossError", "ConnectionReset"), "connection-lost"),
    (("ResponseNeverReceived", "DownloadFailedError"), "no-response"),
    (("DownloadCancelledError",), "too-large"),
    (("UnsupportedURLSchemeError",), "bad-scheme"),
)
# Why a middleware refused a request, from its message, for the IgnoreRequest cases.
_IGNORE_REASONS = (
    ("robots", "robots"),
    ("max redirect", "redirect-loop"),
    ("max size", "too-large"),
    ("maxsize", "too-large"),
    ("larger than", "too-large"),
    ("offsite", "offsite"),
)
# Kinds that are a choice not to fetch (politeness, bounds) rather than a failure of the page.
SKIP_KINDS = frozenset({"robots", "offsite", "ignored"})


def failure_kind(failure: Failure) -> str:
    """A short, stable name for a failure: `http-503`, `dns`, `timeout`, `refused`, `robots`..."""
    response = getattr(failure.value, "response", None)
    if response is not None:
        return f"http-{response.status}"
    if failure.check(LeftSourceError):
        return "offsite"
    if failure.check(IgnoreRequest):
        message = str(failure.value).lower()
        return next((kind for needle, kind in _IGNORE_REASONS if needle in message), "ignored")
    name = type(failure.value).__name__
    return next((kind for names, kind in _FAILURE_KINDS if name in names), name)


def refusal_reason(failure: Failure, kind: str) -> str:
    """Why a request of a SKIP_KINDS `kind` was refused, as its skip is counted: `robots`, or a
    source bound's own reason (`offsite_redirect`, `private_address`, `credentials`...)."""
    if failure.check(LeftSourceError):
        return str(failure.value).split(":", 1)[0]
    return kind
