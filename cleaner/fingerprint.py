"""Fingerprints of clean text for duplicate detection: pure functions, the same in every process."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """Fold what republishing changes without changing the story: Unicode form, case, punctuation, spacing."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", folded).strip()


def text_hash(text: str) -> str:
    """Hex SHA-256 of the normalised text: equal for exact copies whatever their quotes and whitespace."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
