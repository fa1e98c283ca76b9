"""Many generated articles for crawls that must be long: throughput benchmarks and kill/resume tests.

Each article has its own text (so none is a duplicate of another), built deterministically from its
number; or, with real pages given, the pages are served in turn under many URLs.
"""

from __future__ import annotations

import random

from crawler.newsroom import pages
from crawler.newsroom.stories import Story

SITEMAP_SIZE = 1000
_PLACES = ("Lisbon", "Warsaw", "Nairobi", "Lima", "Hanoi", "Oslo", "Quito", "Accra", "Tbilisi", "Perth")
_SUBJECTS = (
    "The city council",
    "Health officials",
    "A regional court",
    "Farmers",
    "The coast guard",
    "Teachers' unions",
    "The central bank",
    "Rescue teams",
    "Museum curators",
    "Energy regulators",
)
_VERBS = ("announced", "rejected", "postponed", "approved", "questioned", "welcomed", "extended", "reviewed")
_OBJECTS = (
    "a plan to expand the harbour",
    "new limits on river fishing",
    "a budget for school repairs",
    "the closure of two rural clinics",
    "a bid to host the regional games",
    "rules for night trains",
    "a survey of flood defences",
    "emergency funding for the airport",
    "a ban on short-term rentals",
)
_TAILS = (
    "after weeks of debate",
    "despite protests outside the building",
    "on Tuesday evening",
    "in a vote of 31 to 12",
    "citing rising costs",
    "following an independent review",
    "ahead of the winter season",
    "after a request from residents",
)


def bulk_story(number: int) -> Story:
    """Article `number`: five to eight generated paragraphs, distinct from every other number's."""
    rng = random.Random(number)
    place = rng.choice(_PLACES)
    paragraphs = tuple(_paragraph(rng, place, f"{number}-{index}") for index in range(rng.randint(5, 8)))
    return Story(
        slug=f"story-{number}-{place.lower()}-{rng.choice(_VERBS)}-plan",
        headline=f"{place}: report {number} on local decisions",
        byline="By Press Association",
        agency="PA",
        dateline="",
        published=f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z",
        paragraphs=paragraphs,
    )


def _paragraph(rng: random.Random, place: str, label: str) -> str:
    return (
        f"{rng.choice(_SUBJECTS)} in {place} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
        f"{rng.choice(_TAILS)}, "
        f"according to report {label}, which said {rng.randint(2, 950)} people would be affected and that "
        f"{rng.choice(_SUBJECTS).lower()} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}."
    )


def bulk_path(number: int) -> str:
    return f"/story/{bulk_story(number).slug}"


def bulk_article(number: int, canonical: str, real_pages: list[bytes] | None) -> bytes:
    """The page of article `number`: generated, or the next real page in turn."""
    if real_pages:
        return real_pages[number % len(real_pages)]
    return pages.publisher_article(bulk_story(number), canonical, []).encode("utf-8")


def sitemap_index(base: str, count: int) -> str:
    children = "".join(
        f"<sitemap><loc>{base}/sitemap-{start // SITEMAP_SIZE}.xml</loc></sitemap>"
        for start in range(0, count, SITEMAP_SIZE)
    )
    namespace = "http://www.sitemaps.org/schemas/sitemap/0.9"
    return f"<?xml version='1.0'?><sitemapindex xmlns='{namespace}'>{children}</sitemapindex>"


def sitemap(base: str, part: int, count: int) -> str:
    numbers = range(part * SITEMAP_SIZE, min(count, (part + 1) * SITEMAP_SIZE))
    urls = "".join(f"<url><loc>{base}{bulk_path(n)}</loc></url>" for n in numbers)
    return f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"
