"""The text print (cleaner/fingerprint.py) made cheaper gives what the plain formulas give, bit for
bit: its hash, signature and anchors feed dedup bands and anchors already stored in corpora.

The reference below is the print as first written (words joined into shingles, one keyed BLAKE2b
made per shingle, an `int.from_bytes` each, `heapq.nsmallest`).
"""

from __future__ import annotations

import hashlib
import heapq

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import fingerprint
from cleaner.fingerprint import anchors, minhash_of, normalise_text, shingles, text_print

_TEXTS = [
    "",
    " ",
    "—",
    "one",
    "one two three four five",
    "one two three four five six",
    "Ünïcödé  ﬁne\u00a0spaces\u2003and_underscores, quotes “here” ‘there’ — dashes",
    "日本語の文章です。 中文句子。 한국어 문장",
    "The council approved the plan. " * 40,
]


def _reference(text: str) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    normalised = normalise_text(text)
    words = normalised.split()
    size = fingerprint.SHINGLE_WORDS
    if len(words) <= size:
        shingled = {" ".join(words)} if words else set()
    else:
        shingled = {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}
    values = np.fromiter(
        (
            int.from_bytes(
                hashlib.blake2b(s.encode(), digest_size=4, key=b"wiredesk-minhash").digest(), "little"
            )
            for s in shingled
        ),
        dtype=np.uint64,
        count=len(shingled),
    )
    prime = (1 << 31) - 1
    if values.size:
        permuted = (np.outer(fingerprint._A, values) + fingerprint._B[:, None]) % prime
        signature = permuted.min(axis=1).astype(np.uint32)
    else:
        signature = np.full(fingerprint.NUM_PERM, prime, dtype=np.uint32)
    hashed = (
        int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8, key=b"wiredesk-anchors").digest(), "little")
        >> 1
        for s in shingled
    )
    lowest = heapq.nsmallest(fingerprint.ANCHORS, hashed)
    digest = hashlib.sha256(normalised.encode()).hexdigest()
    return digest, tuple(signature.tolist()), tuple(lowest)


def _printed(text: str) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    made = text_print(text)
    return made.text_hash, made.signature, made.anchors


def test_the_print_of_chosen_texts_is_the_reference_print() -> None:
    for text in _TEXTS:
        assert _printed(text) == _reference(text), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab Cd,.'_-\t\n\u00a0\u2003éßİあ中\u0301ﬁ😀"), max_size=120))
def test_the_print_of_any_text_is_the_reference_print(text: str) -> None:
    assert _printed(text) == _reference(text)


def test_the_public_parts_agree_with_the_print() -> None:
    """Storage recomputes a signature and anchors from `shingles` when a text comes without its print."""
    for text in _TEXTS:
        made = text_print(text)
        assert tuple(minhash_of(shingles(text)).tolist()) == made.signature
        assert tuple(anchors(shingles(text))) == made.anchors
