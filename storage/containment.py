"""Copies that carry extra text or lost part of theirs: containment, found by anchors.

Jaccard similarity measures two texts against their union, so a copy whose stored text kept a
page's furniture (teasers, "most read" lists, subscription prose) or lost the end of its body is
far from its original by Jaccard, though one text is nearly all inside the other, or most of each
is the other's (each kept different furniture, or one lost a part and kept furniture). Such a
pair is linked when

- the overlap is at least MIN_OVERLAP shingles, and either
- *one inside the other*: the smaller shingle set lies at least CONTAINED inside the larger
  (overlap ÷ smaller set) and the overlap is at least MIN_SHARE of the larger set, or
- *mostly shared*: the overlap is at least MOSTLY_SMALLER of the smaller set and MOSTLY_LARGER of
  the larger (Jaccard 0.32 at the least: most of both texts is the story, the rest is each side's own),
- the two texts are on different sites (registered domains: two pages of one site share its
  furniture, so a site's pages are linked by Jaccard only), and
- they were published within the same-story window (storage/linkrule.py),

all decided on the texts' exact shingle sets. Like the Jaccard rule it reads the two texts, their
sites and times, nothing else, so stories stay independent of the order of arrival.

Candidates: such a pair has Jaccard down to MIN_SHARE, where the LSH bands (tuned to 0.5) find it
one time in three. Each text is also indexed by ANCHORS *anchors*: the smallest 63-bit keyed hashes
of its shingles (one bottom-k sketch, `cleaner.fingerprint.anchors`: a crawl's cleaning workers
compute them with the text). When one text holds the other, the larger one's anchors that
fall in the overlap are among the smaller one's smallest too, so the two share about ANCHORS × J
anchors: ≥ MIN_SHARED_ANCHORS with probability 0.993 at J = 0.2, 0.963 at J = 0.15 (docs/dedup.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cleaner.fingerprint import ANCHORS, anchors
from storage.sitememory import registered_site

__all__ = [
    "ANCHORS",
    "ANCHOR_BAND",
    "CONTAINED",
    "CONTAIN_LIMIT",
    "MIN_OVERLAP",
    "MIN_SHARE",
    "MIN_SHARED_ANCHORS",
    "MOSTLY_LARGER",
    "MOSTLY_SMALLER",
    "Overlap",
    "anchors",
    "apart",
]
ANCHOR_BAND = 64
"""The `band` number of anchor rows in `minhash_bands` (LSH bands are 0 to BANDS - 1)."""
MIN_SHARED_ANCHORS = 2
"""Anchors two texts must share to be checked for containment: one shared shingle is common to any
two texts on one topic; two, at J = 0.2, are missed with probability 0.007."""
CONTAIN_LIMIT = 20
"""Containment candidates checked per text (those sharing the most anchors first): each costs a
read of the stored text, so this bounds the verification."""
CONTAINED = 0.8
"""Share of the smaller shingle set that must lie in the larger one."""
MIN_OVERLAP = 40
"""Shingles the two texts must share: a quotation or a stock paragraph is not a copy."""
MIN_SHARE = 0.15
"""Share of the larger shingle set the overlap must cover: a page holding one story among more
than six other texts' worth is a roundup, not a copy; and below it the anchors no longer find pairs."""
MOSTLY_SMALLER = 0.6
"""Share of the smaller set the overlap must cover when the larger holds less than CONTAINED of it."""
MOSTLY_LARGER = 0.4
"""Share of the larger set the overlap must then cover. Two different stories kept with one
template's furniture share it, but the larger also holds its own story: across sites on the
real-text benchmark's stored texts, different stories share at most 0.22 of the larger text (and
at most 0.56 of the smaller); on one site, where this rule does not apply, up to 0.62."""


def apart(site: str | None, other: str | None) -> bool:
    """Whether two articles' sites (hosts) are known and of different publishers: subdomains of one
    registered domain (news.example.com, sport.example.com) share a template, so they are one here."""
    return site is not None and other is not None and _publisher(site) != _publisher(other)


@lru_cache(maxsize=4096)
def _publisher(host: str) -> str:
    return registered_site(f"http://{host}/")


@dataclass(frozen=True)
class Overlap:
    """How much two shingle sets share, against the smaller and the larger."""

    shared: int
    smaller: int
    larger: int

    @classmethod
    def of(cls, first: set[str], second: set[str]) -> Overlap:
        sizes = sorted((len(first), len(second)))
        return cls(len(first & second), sizes[0], sizes[1])

    @property
    def containment(self) -> float:
        return self.shared / self.smaller if self.smaller else 0.0

    @property
    def jaccard(self) -> float:
        union = self.smaller + self.larger - self.shared
        return self.shared / union if union else 0.0

    def contained(self) -> bool:
        """Whether the rule above links the two texts (sites and times aside)."""
        inside = self.shared >= CONTAINED * self.smaller and self.shared >= MIN_SHARE * self.larger
        mostly = self.shared >= MOSTLY_SMALLER * self.smaller and self.shared >= MOSTLY_LARGER * self.larger
        return self.shared >= MIN_OVERLAP and (inside or mostly)
