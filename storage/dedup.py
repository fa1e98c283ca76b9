"""Which stored articles a text is a copy of: exact copies by text hash, near copies by MinHash LSH.

The LSH index lives in the database (`minhash_bands`), so it survives restarts, is the same on
SQLite and PostgreSQL, and is shared by every crawler process writing the corpus. Finding the
candidates of a new text is one bounded indexed probe per band (made for a whole batch at once,
`NearIndex`; its SQL is storage/bandindex.py); each candidate is then checked against its stored
signature, and against its text where the signature cannot tell. Two texts are *linked* when they
are copies of one story by the rule of storage/linkrule.py; a story is a connected group of
linked texts (storage/stories.py merges stories a text links). The rule depends on the two texts
only, never on what else is stored or in which order it came, so the stories do not depend on the
order of arrival. docs/dedup.md gives the arithmetic and the measurements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property

import numpy as np
from sqlalchemy import Connection

from cleaner.fingerprint import (
    anchors,
    band_keys,
    minhash_of,
    shingles,
    signature_bytes,
    similarity,
    text_hash,
)
from storage import containment
from storage.bandindex import (
    BandRows,
    Candidate,
    lock_band_keys,
    lock_texts,
    member_of,
    pg_array,
    probe,
    read_candidates,
    read_texts,
    write_bands,
)
from storage.linkrule import (
    SAME_STORY_WINDOW,
    SIMILAR,
    SURE_MARGIN,
    VERY_SIMILAR,
    jaccard,
    linked,
    needs_text,
    within_window,
)

__all__ = [
    "CANDIDATE_LIMIT",
    "PER_BAND",
    "PER_STORY",
    "SAME_STORY_WINDOW",
    "SIMILAR",
    "SURE_MARGIN",
    "VERY_SIMILAR",
    "Fingerprint",
    "Link",
    "NearIndex",
    "jaccard",
    "lock_bands",
    "lock_texts",
    "member_of",
    "pg_array",
    "stored_signature",
]

PER_BAND = 32
"""Band index entries read per band of a probe, newest first: a bucket holding more is a text
copied by more sites than this (texts share three signature values by chance with probability
J^3), and its newest copies stand for it. This bounds the probe, whatever the corpus."""
PER_STORY = 10
"""Candidates kept per story, those sharing the most bands first: one big story cannot crowd out
the others a text may link."""
CANDIDATE_LIMIT = 100
"""Candidates checked per text, those sharing the most bands first: bounds the verification."""


@dataclass(frozen=True)
class Fingerprint:
    """What dedup needs of a text: its hash at once, its MinHash signature and bands when first asked.

    Most pages a crawl stores that are not new are known by their hash alone (fetched again
    unchanged, or the same text under another URL of the site). The signature costs several times
    the hash on a long text, so it is only computed for texts that are inserted or revised.
    """

    text: str = field(repr=False)
    text_hash: str

    @classmethod
    def of(cls, text: str) -> Fingerprint:
        return cls(text, text_hash(text))

    @classmethod
    def carried(
        cls,
        text: str,
        digest: str,
        signature: tuple[int, ...] | None = None,
        anchors: tuple[int, ...] | None = None,
    ) -> Fingerprint:
        """The fingerprint of a text whose hash, and maybe signature and anchors, were computed where
        it was cleaned (`cleaner.fingerprint.text_print`): what is given is not computed again."""
        fingerprint = cls(text, digest)
        if signature is not None:
            fingerprint.take_signature(np.array(signature, dtype=np.uint32))
        if anchors is not None:
            fingerprint.__dict__["anchors"] = list(anchors)
        return fingerprint

    @cached_property
    def signature(self) -> np.ndarray:
        return minhash_of(self.shingles)

    def take_signature(self, signature: np.ndarray) -> None:
        """Use the signature of a stored text with the same hash instead of computing it.

        Both come from the normalised text alone (the hash is of it, the shingles are its words),
        so an exact copy's signature is the original's: a wire story on its tenth site costs a
        lookup, not a MinHash of a long text.
        """
        self.__dict__["signature"] = signature

    @cached_property
    def bands(self) -> list[int]:
        return band_keys(self.signature)

    @cached_property
    def shingles(self) -> set[str]:
        """The text's word 5-shingles, for the candidates whose estimate is near the threshold."""
        return shingles(self.text)

    @cached_property
    def anchors(self) -> list[int]:
        """Its smallest shingle hashes, by which containment candidates are found (storage/containment.py)."""
        return anchors(self.shingles)

    @cached_property
    def index_keys(self) -> list[tuple[int, int]]:
        """Its (band, bucket) keys in `minhash_bands`: the LSH bands, then the anchors (made once:
        the probe, the batch's own buckets and the rows written each read them)."""
        return [*enumerate(self.bands), *((containment.ANCHOR_BAND, anchor) for anchor in self.anchors)]


def lock_bands(connection: Connection, fingerprints: list[Fingerprint]) -> None:
    """Lock the band keys of the texts about to be indexed (storage/bandindex.py says why).

    Not the anchors: the pages of one site share anchors of its furniture, so locking them would
    serialise every writer of a site. Two writers storing a containment pair at the same instant may
    each miss the other (a split story, never a false merge); the next copy of the story joins both.
    """
    lock_band_keys(connection, {band for fingerprint in fingerprints for band in fingerprint.bands})


@dataclass(frozen=True)
class Link:
    """A stored article a text is a copy of, in the story it is in now."""

    article_id: int
    story_id: int
    similarity: float


class NearIndex:
    """The band index as one store transaction sees it: probed once for all the batch's texts.

    Probing per text cost a query of 42 index probes each, most of a PostgreSQL insert's time;
    here the buckets of every text the batch indexes are read with one statement, the candidates
    found with a second, and the batch's own texts are added in memory as it writes them, so each
    text still sees the ones before it. The result is the per-text probe's: per bucket the
    PER_BAND newest entries (the batch's own are the newest), ranked by bands shared, PER_STORY
    per story, CANDIDATE_LIMIT in all. The batch's band rows are written together by `finish`.

    Read after `lock_bands`: a writer storing copies of the same story waits for this one's
    commit, then reads its rows.
    """

    def __init__(self, connection: Connection, fingerprints: list[Fingerprint], revisions: int) -> None:
        """`revisions`: how many stored articles the batch may index again (their stored entries are
        dropped from the buckets read, so each bucket is read that many entries deeper)."""
        self.connection = connection
        keys = sorted({key for fingerprint in fingerprints for key in fingerprint.index_keys})
        self._stored = probe(connection, keys, PER_BAND + revisions)
        self._candidates = read_candidates(connection, {a for ids in self._stored.values() for a in ids})
        self._own: dict[tuple[int, int], set[int]] = {}
        self._own_keys: dict[int, list[tuple[int, int]]] = {}
        self._written: dict[int, Fingerprint] = {}
        self._replaced: set[int] = set()
        self._texts: dict[int, set[str]] = {}

    def find_links(
        self,
        fingerprint: Fingerprint,
        published: datetime | None,
        story_of: Callable[[int], int],
        exclude: int | None = None,
        site: str | None = None,
    ) -> list[Link]:
        """The articles this text is linked to, among its candidates.

        `story_of`: the story a story id is now, merges of this transaction followed (the ranking
        keeps PER_STORY per story as it is when the text is stored). `exclude`: the article whose
        new text this is (a revision is not a copy of its old self). `site`: the text's site (without
        it, no containment link: storage/containment.py links texts of different sites only).
        """
        chosen = [
            (article_id, candidate)
            for article_id, candidate in self._ranked(fingerprint, story_of)
            if article_id != exclude
        ]
        windows = {article_id: within_window(published, c.published) for article_id, c in chosen}
        scores = {article_id: similarity(fingerprint.signature, c.signature) for article_id, c in chosen}
        unsure = [
            article_id for article_id, score in scores.items() if needs_text(score, windows[article_id])
        ]
        for article_id, theirs in self._shingles_of(unsure).items():
            scores[article_id] = jaccard(fingerprint.shingles, theirs)
        links = [
            Link(article_id, story_of(candidate.story_id), scores[article_id])
            for article_id, candidate in chosen
            if linked(scores[article_id], windows[article_id])
        ]
        if site is not None:
            links += self._containing(fingerprint, published, story_of, exclude, site, links)
        return links

    def _containing(
        self,
        fingerprint: Fingerprint,
        published: datetime | None,
        story_of: Callable[[int], int],
        exclude: int | None,
        site: str,
        linked_already: list[Link],
    ) -> list[Link]:
        """Links by containment, to candidates found by anchors in stories not linked already."""
        stories = {link.story_id for link in linked_already}
        shared = self._shared(fingerprint.index_keys[len(fingerprint.bands) :])
        chosen: list[tuple[int, Candidate]] = []
        for article_id in sorted(shared, key=lambda found: (-shared[found], found)):
            candidate = self._candidates.get(article_id)
            if (
                shared[article_id] < containment.MIN_SHARED_ANCHORS
                or candidate is None
                or article_id == exclude
                or not containment.apart(site, candidate.site)
                or story_of(candidate.story_id) in stories
                or not within_window(published, candidate.published)
            ):
                continue
            chosen.append((article_id, candidate))
            if len(chosen) == containment.CONTAIN_LIMIT:
                break
        texts = self._shingles_of([article_id for article_id, _ in chosen])
        links = []
        for article_id, candidate in chosen:
            overlap = containment.Overlap.of(fingerprint.shingles, texts.get(article_id, set()))
            if overlap.contained():
                links.append(Link(article_id, story_of(candidate.story_id), overlap.jaccard))
        return links

    def _shingles_of(self, ids: list[int]) -> dict[int, set[str]]:
        """The shingle sets of texts: the batch's own from their fingerprints, stored ones read once
        per batch."""
        wanted = [a for a in ids if a not in self._texts and a not in self._written]
        for article_id, body in read_texts(self.connection, wanted).items():
            self._texts[article_id] = shingles(body)
        found = {}
        for article_id in ids:
            written = self._written.get(article_id)
            if written is not None:
                found[article_id] = written.shingles
            elif article_id in self._texts:
                found[article_id] = self._texts[article_id]
        return found

    def _ranked(
        self, fingerprint: Fingerprint, story_of: Callable[[int], int]
    ) -> list[tuple[int, Candidate]]:
        shared = self._shared(fingerprint.index_keys[: len(fingerprint.bands)])
        chosen: list[tuple[int, Candidate]] = []
        per_story: Counter[int] = Counter()
        for article_id in sorted(shared, key=lambda found: (-shared[found], found)):
            candidate = self._candidates.get(article_id)
            if candidate is None:
                continue
            story = story_of(candidate.story_id)
            if per_story[story] < PER_STORY:
                per_story[story] += 1
                chosen.append((article_id, candidate))
                if len(chosen) == CANDIDATE_LIMIT:
                    break
        return chosen

    def _shared(self, keys: list[tuple[int, int]]) -> Counter[int]:
        """How many of these buckets each article is in now: one count over all of them (a
        Counter.update per bucket cost more than the counting; most buckets are empty)."""
        if self._replaced:
            return Counter(found for key in keys for found in self._bucket(key))
        stored, own, found = self._stored, self._own, []
        for key in keys:
            if key in own:
                found += self._bucket(key)
            elif key in stored:
                found += stored[key][:PER_BAND]
        return Counter(found)

    def _bucket(self, key: tuple[int, int]) -> list[int]:
        """The bucket's PER_BAND newest entries now: those stored (less the batch's re-indexed
        articles) and the batch's own."""
        stored = self._stored.get(key, [])
        own = self._own.get(key)
        if not own and not self._replaced:
            return stored[:PER_BAND]
        stored = [article_id for article_id in stored if article_id not in self._own_keys]
        return sorted([*stored, *(own or ())], reverse=True)[:PER_BAND]

    def add(
        self,
        article_id: int,
        fingerprint: Fingerprint,
        story_id: int,
        published: datetime | None,
        replace: bool,
        site: str | None = None,
    ) -> None:
        """Index the article's text (its rows are written by `finish`); `replace` its stored entries."""
        own = self._own
        for key in self._own_keys.pop(article_id, []):
            own[key].discard(article_id)
        keys = fingerprint.index_keys
        for key in keys:
            bucket = own.get(key)
            if bucket is None:
                own[key] = {article_id}
            else:
                bucket.add(article_id)
        self._own_keys[article_id] = keys
        self._candidates[article_id] = Candidate(story_id, fingerprint.signature, published, site)
        self._written[article_id] = fingerprint  # its shingles are made if a later text needs them
        if replace:
            self._replaced.add(article_id)

    def moved(self, article_id: int, story_id: int) -> None:
        """The article is now in this story (a revision moved it)."""
        candidate = self._candidates.get(article_id)
        if candidate is not None:
            self._candidates[article_id] = replace(candidate, story_id=story_id)

    def finish(self) -> None:
        """Write the batch's band rows: the re-indexed articles' old rows go first."""
        rows = BandRows()
        for article_id, fingerprint in self._written.items():
            rows.add(article_id, fingerprint.index_keys)
        write_bands(self.connection, sorted(self._replaced), rows)


def stored_signature(fingerprint: Fingerprint) -> bytes:
    """The signature as the `articles.minhash` column keeps it."""
    return signature_bytes(fingerprint.signature)
