"""Wire metadata from the text itself: dateline, agency, and people-only bylines."""

from __future__ import annotations

import re

from cleaner.patterns import AGENCIES, BYLINE, DATELINE

# Starts only where a run of spaces starts: linear however long the run (cleaner/patterns.py).
_SEPARATORS = re.compile(r"(?<!\s)\s*+(?:,|;|\b(?:and|und|y|et|e|en|og|och)\b|&|\|)\s*+", re.IGNORECASE)
_ROLE = re.compile(r"\b(writer|reporter|correspondent|editor|staff|news|wire|media)\b", re.IGNORECASE)


def agency_named(text: str) -> str | None:
    """The agency a name stands for ("Associated Press" -> AP), or None."""
    folded = text.casefold().strip(" .")
    for agency, names in AGENCIES.items():
        if folded in names or any(len(name) > 3 and name in folded for name in names):
            return agency
    return None


def dateline(first_paragraph: str) -> tuple[str | None, str | None]:
    """("SKOPJE, North Macedonia", "AP") from "SKOPJE, North Macedonia (AP) — ...", else (None, None)."""
    match = DATELINE.match(first_paragraph)
    if not match:
        return None, None
    return match.group("place").strip(" ,"), agency_named(match.group("agency"))


def byline(text: str) -> tuple[list[str], str | None]:
    """People and agency of a byline: "By Jane Doe, Associated Press" -> (["Jane Doe"], "AP")."""
    match = BYLINE.match(text)
    names = match.group("names") if match else text
    people, agency = [], None
    for part in _SEPARATORS.split(names):
        part = part.strip(" .")
        if not part:
            continue
        named = agency_named(part)
        if named:
            agency = agency or named
        elif not _ROLE.search(part) and 1 < len(part.split()) <= 4 and part[0].isupper():
            people.append(part)
    return people, agency


def is_byline(line: str) -> bool:
    """A short "By ..." line that names people or an agency, not a sentence starting with "By"."""
    match = BYLINE.match(line) if len(line) <= 160 else None
    if match is None or line.rstrip().endswith((".", "!", "?", "”", '"')):
        return False
    words = [word for word in _SEPARATORS.sub(" ", match.group("names")).split() if word.isalpha()]
    return bool(words) and sum(word[0].isupper() for word in words) >= len(words) / 2
