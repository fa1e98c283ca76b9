"""The language of a text, for pages that declare none (<html lang>, og:locale, Content-Language).

py3langid (a maintained fork of langid.py): a naive Bayes model over byte n-grams for 97
languages, shipped inside the package (no download), numpy-only, about half a millisecond for a
story's first few thousand characters. Its model takes about 0.7 s to load, so it is loaded once
per process, on the first page that needs it: a crawl of pages that declare their language never
pays for it. docs/design.md says why this detector.
"""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# The first characters of the text decide: the lead is the story's own language, and a longer
# sample costs time without changing the answer.
_SAMPLE_CHARS = 2_000
# Below this many characters the n-gram counts are too few to tell related languages apart.
_MIN_TEXT_CHARS = 40
# Under this normalised probability the guess is not stored (mixed or unusual text).
_MIN_PROBABILITY = 0.9


@cache
def _identifier() -> LanguageIdentifier | None:
    """The model, or None for this process's life when it cannot be loaded: py3langid unpacks it
    through a temporary file, which a full disk or a file-size limit refuses. A page without a
    language is still a page; a page lost to a cleaner error is not."""
    try:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    except OSError:
        return None


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language ("en", "de"), or None when unsure, too short, or
    when the model cannot be loaded."""
    sample = text[:_SAMPLE_CHARS]
    identifier = _identifier()
    if identifier is None or len(sample.strip()) < _MIN_TEXT_CHARS:
        return None
    code, probability = identifier.classify(sample)
    return str(code) if probability >= _MIN_PROBABILITY else None
