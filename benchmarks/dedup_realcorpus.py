"""The real-text corpus: every recorded article page is a story, carried by 1-3 other publishers.

Every article page of the shared datasets with enough text is a story, served on its publisher's
loopback site; each is also carried by 1-3 other publishers, in their own page templates
(crawler/newsroom/transplant.py), with the edits republishers make: headline rewrites, trimmed
endings, editor's notes, an added paragraph. Deterministic for a seed. Used by
benchmarks/dedup_real.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crawler.newsroom.transplant import (
    BodyNotFound,
    RecordedPage,
    ServedPage,
    article_path,
    dated,
    transplant,
)

MIN_STORY_CHARS = 400
"""A page whose truth text is shorter is not a story here (a teaser, or text the page loads by script)."""


@dataclass(frozen=True)
class RealCopy:
    """One served page of the real-text corpus: its true story, where it is, what it says."""

    story: str
    """The original's recorded URL (two recordings of one article are one story)."""
    publisher: str
    path: str
    headline: str
    paragraphs: tuple[str, ...]
    """The story's text as this page carries it, edits included: what a perfect cleaner would keep."""
    published: datetime
    original: RecordedPage
    carrier: RecordedPage | None
    """The page whose template carries the story; None for the original page itself."""
    edits: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def page(self) -> ServedPage:
        if self.carrier is None:
            return ServedPage(self.publisher, self.path, dated(self.original, self.published))
        html = transplant(self.carrier, self.headline, self.paragraphs, self.published)
        return ServedPage(self.publisher, self.path, html)


_NOTES = (
    "Editor's note: This story was first published by {publisher} and is republished with permission.",
    "Editor's note: This article has been updated with additional information.",
    "This article originally appeared on {publisher}.",
)
_ADDED = (
    "Update: Officials said further details would be released later in the day.",
    "This story has been updated to include additional reporting and reaction.",
    "Reporting by staff writers; additional reporting by our correspondents. Editing by the news desk.",
)


def real_copies(pages: list[RecordedPage], seed: int) -> list[RealCopy]:
    """Originals and their copies on 1-3 other publishers' templates, with republishers' edits."""
    rng = random.Random(seed)
    carriers = usable_carriers(pages)
    stories: dict[str, RecordedPage] = {}
    for page in pages:
        if len(page.text) >= MIN_STORY_CHARS:
            stories.setdefault(page.url, page)
    result: list[RealCopy] = []
    for number, page in enumerate(pages):
        if page.url not in stories:
            continue
        when = page.published or datetime(2019, 10, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(86_400))
        result.append(
            RealCopy(
                page.url,
                page.publisher,
                article_path(page.title, when, number),
                page.title,
                page.paragraphs,
                when,
                page,
                None,
            )
        )
        if stories[page.url] is not page:
            continue
        others = [carrier for carrier in carriers if carrier.publisher != page.publisher]
        wanted, chosen = rng.randint(1, 3), dict[str, RecordedPage]()
        for carrier in rng.sample(others, len(others)):
            chosen.setdefault(carrier.publisher, carrier)
            if len(chosen) == wanted:
                break
        for index, carrier in enumerate(chosen.values()):
            result.append(_republished(rng, page, carrier, when, f"{number}{index}"))
    return result


def usable_carriers(pages: list[RecordedPage]) -> list[RecordedPage]:
    """Pages whose own article can be located and removed: they can carry other stories."""
    usable = []
    for page in pages:
        try:
            transplant(page, "Headline", ["First paragraph.", "Second paragraph."], datetime.now(UTC))
        except BodyNotFound:
            continue
        usable.append(page)
    return usable


def _republished(
    rng: random.Random, page: RecordedPage, carrier: RecordedPage, when: datetime, number: str
) -> RealCopy:
    headline, paragraphs, edits = page.title, list(page.paragraphs), []
    if rng.random() < 0.7:
        headline, edit = _rewrite_headline(rng, headline, carrier.publisher)
        edits.append(edit)
    if rng.random() < 0.4 and len(paragraphs) >= 4:
        del paragraphs[-rng.randint(1, 2) :]
        edits.append("trimmed")
    if rng.random() < 0.3:
        note = rng.choice(_NOTES).format(publisher=page.publisher)
        paragraphs.insert(0 if rng.random() < 0.5 else len(paragraphs), note)
        edits.append("note")
    if rng.random() < 0.25:
        paragraphs.insert(rng.randint(1, len(paragraphs)), rng.choice(_ADDED))
        edits.append("added")
    published = when + timedelta(minutes=rng.randint(5, 12 * 60))
    return RealCopy(
        page.url,
        carrier.publisher,
        article_path(headline, published, int(number)),
        headline,
        tuple(paragraphs),
        published,
        page,
        carrier,
        tuple(edits),
    )


def _rewrite_headline(rng: random.Random, headline: str, publisher: str) -> tuple[str, str]:
    words = headline.split()
    choices = [
        (f"UPDATE: {headline}", "headline prefix"),
        (f"{headline} | {publisher}", "headline suffix"),
        (" ".join(words[: max(3, len(words) * 2 // 3)]), "headline cut"),
    ]
    if ":" in headline:
        choices.append((headline.split(":", 1)[1].strip(), "headline kicker dropped"))
    return rng.choice(choices)
