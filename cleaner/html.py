"""The one door through which untrusted bytes become text: size, binary and charset checks."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

from cleaner.model import CleanOptions

_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"OggS", b"RIFF")


# A UTF-8 page may have one broken byte in this many and still be read as UTF-8.
_BYTES_PER_BROKEN_BYTE = 20_000


class PageRejected(ValueError):
    """The body is not an HTML page we can clean; the message is the reason, stored with the page."""


def decode_page(body: str | bytes, options: CleanOptions, declared_charset: str | None = None) -> str:
    """Return the page as text, or raise PageRejected with a short reason.

    Charset order: BOM, the declared (HTTP) charset, `<meta charset>`, then detection. A declared
    charset that fails to decode is ignored rather than trusted (latin-1 pages served as utf-8).
    """
    if isinstance(body, str):
        text = body
    else:
        _check_bytes(body, options)
        text = _decode(body, declared_charset)
    if not text.strip():
        raise PageRejected("empty body")
    if len(text) > options.max_bytes:
        raise PageRejected(f"body too large ({len(text)} characters)")
    return text.replace("\x00", "")


def _check_bytes(body: bytes, options: CleanOptions) -> None:
    if not body.strip():
        raise PageRejected("empty body")
    if len(body) > options.max_bytes:
        raise PageRejected(f"body too large ({len(body)} bytes)")
    if body.lstrip()[:4].startswith(_BINARY_MAGIC) or body[:8].startswith(_BINARY_MAGIC):
        raise PageRejected("binary body")
    sample = body[:4096]
    if sample.count(b"\x00") > len(sample) // 100 and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PageRejected("binary body")


def _mostly_utf8(body: bytes) -> str | None:
    """UTF-8 text with a few broken bytes (a truncated character, one pasted latin-1 word), as a
    browser shows it: with replacement characters. A latin-1 page has a broken byte per accent."""
    text = body.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - body.count("\ufffd".encode())
    return text if broken <= max(2, len(body) // _BYTES_PER_BROKEN_BYTE) else None


def _decode(body: bytes, declared_charset: str | None) -> str:
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="replace")
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", errors="replace")
    meta = _META_CHARSET.search(body[:4096])
    declared = [
        c for c in (declared_charset, meta.group(1).decode("ascii", "replace") if meta else None) if c
    ]
    # A page whose declared charset does not decode is UTF-8 with a few broken bytes, or,
    # overwhelmingly, Western legacy text under the wrong label (latin-1 as utf-8): windows-1252,
    # as browsers read it. Detection is the last resort.
    for candidate in (*declared, "utf-8"):
        try:
            return body.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    mostly_utf8 = _mostly_utf8(body)
    if mostly_utf8 is not None:
        return mostly_utf8
    if declared:
        try:
            return body.decode("cp1252")
        except UnicodeDecodeError:
            pass
    best = from_bytes(body[:200_000]).best()
    if best is not None:
        return body.decode(best.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")
