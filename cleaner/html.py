"""The one door through which untrusted bytes become text: binary and charset checks."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import CharsetMatch, from_bytes
from charset_normalizer.utils import is_multi_byte_encoding

from cleaner.bounds import encodable

_META_CHARSET = re.compile(rb"""<meta[^<>]+?charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_DETECTED_BYTES = 200_000
"""How much of a page detection reads (charset-normalizer's time grows with it)."""
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"OggS", b"RIFF")


# Latin-1 labels: browsers read them as windows-1252, its superset (WHATWG Encoding Standard),
# with curly quotes and dashes in 0x80-0x9F where latin-1 has invisible control characters.
_WINDOWS_1252_ALIASES = frozenset({"iso8859-1"})
_NON_ASCII = bytes(range(128, 256))
_PRINTABLE_ASCII = bytes(range(32, 127))
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]{2,}")
# What "surrogateescape" makes of an undecodable byte: one code point per byte, U+DC80-U+DCFF.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_DOUBLE_BYTE_TEXT = re.compile(rb"(?:[\x8e\x8f]?[\xa1-\xfe][\xa1-\xfe])+")
"""Runs of EUC-JP, EUC-KR or GB2312 characters: a page whose every non-ASCII byte is in one is CJK
text, never Western text (an accent is one byte between ASCII ones)."""


class PageRejected(ValueError):
    """The body is not an HTML page we can clean; the message is the reason, stored with the page."""


def decode_page(body: str | bytes, declared_charset: str | None = None) -> str:
    """Return the page as text, or raise PageRejected with a short reason.

    Charsets as a browser reads them (docs/cleaning.md, "Decoding"): a BOM, else the declared
    charset (HTTP header, then `<meta>`), else UTF-8; broken bytes become U+FFFD. Another charset
    is tried only when the page is mostly not valid in that one (`_mostly_valid`).
    """
    if isinstance(body, str):
        text = encodable(body)
    else:
        _check_bytes(body)
        text = _decode(body, declared_charset)
    if not text.strip():
        raise PageRejected("empty body")
    # A search costs a third of a replacement that finds nothing (the usual page).
    return text.replace("\x00", "") if "\x00" in text else text


def _check_bytes(body: bytes) -> None:
    if not body.strip():
        raise PageRejected("empty body")
    if body.lstrip()[:4].startswith(_BINARY_MAGIC) or body[:8].startswith(_BINARY_MAGIC):
        raise PageRejected("binary body")
    sample = body[:4096]
    if sample.count(b"\x00") > len(sample) // 100 and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PageRejected("binary body")


def _decode(body: bytes, declared_charset: str | None) -> str:
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", errors="replace")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", errors="replace")
    declared = _declared_codecs(body, declared_charset)
    if declared[:1] == ["cp1252"]:  # a server's latin-1 default over another charset's page?
        actual = "utf-8" if _utf8_text(body) else _double_byte_charset(body, declared[1:])
        declared = [actual] if actual else declared
    for codec in (*declared, "utf-8"):
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    # Broken bytes. The declared charset (or UTF-8) still wins when most of the page is valid in
    # it: a truncated character, a pasted latin-1 word or a CESU-8 emoji in a UTF-8 page must not
    # turn every other accent into mojibake. A page mostly not valid in it is mislabelled: as UTF-8,
    # overwhelmingly Western legacy text (latin-1 served as utf-8): windows-1252, unless its bytes
    # stand in double-byte pairs or runs (EUC, or a Big5/GBK page detection reads as one). Detection
    # is the last resort.
    primary = declared[0] if declared else "utf-8"
    for codec in dict.fromkeys((primary, "utf-8")):
        if _mostly_valid(body, codec):
            return body.decode(codec, errors="replace")
    paired = _double_byte_text(body)
    guess = _multi_byte_guess(body) if declared and not paired else None
    if declared and not paired and guess is None:
        try:
            return body.decode("cp1252")
        except UnicodeDecodeError:
            pass
    best = guess or from_bytes(body[:_DETECTED_BYTES]).best()
    if best is not None:
        return body.decode(best.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


def _declared_codecs(body: bytes, declared_charset: str | None) -> list[str]:
    """Python codecs for the HTTP charset and the `<meta>` one, in that order; unknown labels are
    left out. As in browsers, latin-1 labels mean windows-1252, and a `<meta>` naming
    UTF-16 means UTF-8 (a page whose meta tag could be read is not UTF-16)."""
    meta = _META_CHARSET.search(body[:4096])
    labels = [(declared_charset, False), (meta.group(1).decode("ascii", "replace") if meta else None, True)]
    codecs_found: list[str] = []
    for label, in_meta in labels:
        try:
            name = codecs.lookup(label).name if label else None
        except LookupError:
            continue
        if name in _WINDOWS_1252_ALIASES:
            name = "cp1252"
        elif name and in_meta and name.startswith("utf-16"):
            name = "utf-8"
        if name and name not in codecs_found:
            codecs_found.append(name)
    return codecs_found


def _utf8_text(body: bytes) -> bool:
    """Non-ASCII text mostly valid as UTF-8: never windows-1252 text in practice (an accented letter
    there would need two symbols of 0x80-0xBF after it), so a latin-1 label is wrong."""
    return len(body.translate(None, _NON_ASCII)) < len(body) and _mostly_valid(body, "utf-8")


def _double_byte_text(body: bytes) -> bool:
    """Every non-ASCII byte is part of an EUC-style pair: detection, not windows-1252, reads it (an
    EUC-JP page served as UTF-8 was stored as windows-1252 mojibake)."""
    rest = _DOUBLE_BYTE_TEXT.sub(b"", body)
    return len(rest.translate(None, _NON_ASCII)) == len(rest) < len(body)


def _multi_byte_guess(body: bytes) -> CharsetMatch | None:
    """Detection's guess when it is a multi-byte charset the page is mostly valid in (Big5, GBK:
    second bytes may be ASCII letters, so `_double_byte_text` misses them). Western text never is:
    an accented letter before a space, a comma or a line end breaks every double-byte charset, and
    detection reads it as a single-byte one, which leaves windows-1252 to read it."""
    if not _mostly_in_runs(body):
        return None
    best = from_bytes(body[:_DETECTED_BYTES]).best()
    return best if best is not None and _double_byte_codec(body, best.encoding) else None


def _double_byte_charset(body: bytes, named: list[str]) -> str | None:
    """The multi-byte charset of a page under a latin-1 label whose non-ASCII bytes stand in runs
    (windows-1252 text never does): its `<meta>` charset when the page is mostly valid in it, else
    detection's multi-byte guess. A CJK page under a server's `ISO-8859-1` default was mojibake."""
    if not _mostly_in_runs(body):
        return None
    for codec in named:
        if _double_byte_codec(body, codec):
            return codec
    guess = _multi_byte_guess(body)
    return guess.encoding if guess is not None else None


def _double_byte_codec(body: bytes, codec: str) -> bool:
    """`codec` is a multi-byte, ASCII-compatible charset the page is mostly valid in."""
    return is_multi_byte_encoding(codec) and _ascii_compatible(codec) and _mostly_valid(body, codec)


def _mostly_in_runs(body: bytes) -> bool:
    """Most non-ASCII bytes stand next to another one, as in double-byte text (a Western accent
    stands between ASCII letters): cheap, so detection runs only on pages that may be CJK."""
    non_ascii = len(body) - len(body.translate(None, _NON_ASCII))
    in_runs = sum(len(run) for run in _NON_ASCII_RUN.findall(body))
    return in_runs * 2 > non_ascii


def _ascii_compatible(codec: str) -> bool:
    """ASCII bytes read as ASCII in `codec` (markup does): not UTF-16 or UTF-32."""
    return _PRINTABLE_ASCII.decode(codec, errors="replace") == _PRINTABLE_ASCII.decode("ascii")


def _mostly_valid(body: bytes, codec: str) -> bool:
    """Whether at least as many of the body's non-ASCII bytes form valid characters in `codec` as
    fall in broken sequences: a UTF-8 page with a few broken bytes is, a latin-1 page read as
    UTF-8 (one broken byte per accent, no valid sequence) is not."""
    try:
        escaped = body.decode(codec, errors="surrogateescape")
    except UnicodeDecodeError:  # an ASCII byte the codec cannot place: not this charset
        return False
    broken = _ESCAPED_BYTE.subn("", escaped)[1]
    non_ascii = len(body) - len(body.translate(None, _NON_ASCII))
    return broken <= non_ascii - broken
