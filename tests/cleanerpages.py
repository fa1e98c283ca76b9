"""Pages for the cleaner's robustness tests (tests/test_cleaner_robustness.py, tests/test_cleaner_limits.py,
tests/test_cleaner_decoding.py, tests/test_cleaner_rewrites.py; a helper module: test modules do not
import each other), and what every field of a cleaned article must be to be stored."""

from __future__ import annotations

import json
from collections.abc import Iterator

import cleaner

BODY = "<p>" + "Ports along the Adriatic coast were closed on Friday as a storm moved in. " * 6 + "</p>"


def page(head: str = "", body: str = BODY, html_attributes: str = "") -> str:
    return f"<html{html_attributes}><head>{head}</head><body><article>{body}</article></body></html>"


def json_ld(document: str) -> str:
    return f'<script type="application/ld+json">{document}</script>'


def strings(article: cleaner.CleanArticle) -> Iterator[str]:
    """Every string the article holds, in lists and removed blocks too."""
    for value in article.to_dict().values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for item in value:
                yield from (item.values() if isinstance(item, dict) else [item])


def assert_storable(article: cleaner.CleanArticle) -> None:
    """What SQLite and PostgreSQL need of every text field: valid UTF-8, no NUL."""
    for value in strings(article):
        value.encode("utf-8")
        assert "\x00" not in value
    json.dumps(article.to_dict())
