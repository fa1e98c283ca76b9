"""Fingerprints of clean text for duplicate detection: pure functions, the same in every process.

- `text_hash`: exact copies, after folding what republishing changes without changing the story
  (Unicode form, case, punctuation, spacing).
- `minhash`: near copies. Word 5-shingles of the normalised text, hashed with a keyed BLAKE2b
  (stable across processes and runs, unlike Python's `hash`), then NUM_PERM universal hash
  permutations (a·x + b mod p); the signature is the minimum under each. The share of equal
  positions in two signatures estimates the Jaccard similarity of their shingle sets.
- `band_keys`: the first BANDS * ROWS values of the signature cut into BANDS bands of ROWS rows,
  each hashed to a 63-bit key; two texts with Jaccard s share at least one band with probability
  1 - (1 - s^ROWS)^BANDS: 0.9963 at s = 0.5 with 42 bands of 3 rows.
- `anchors`: the ANCHORS smallest keyed hashes of the shingles, by which storage finds texts that
  hold one another (storage/containment.py says how).
- `text_print`: all of them at once, as a crawl's cleaning worker computes them for storage.
docs/dedup.md gives the measurements behind these numbers.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

SHINGLE_WORDS = 5
NUM_PERM = 128
BANDS = 42
ROWS = 3
_PRIME = (1 << 31) - 1
_SEED = np.random.default_rng(20241205)
_A = _SEED.integers(1, _PRIME, size=NUM_PERM, dtype=np.uint64)
_B = _SEED.integers(0, _PRIME, size=NUM_PERM, dtype=np.uint64)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_HASH_KEY = b"wiredesk-minhash"
ANCHORS = 32
"""Anchors per text: the bottom-k sketch that finds containment pairs (k × J shared on average)."""
_ANCHOR_KEY = b"wiredesk-anchors"
# Keyed hashers copied for each shingle (`_digests`): the minhash's 4-byte values, the anchors' 8.
_MINHASH_HASHER = hashlib.blake2b(digest_size=4, key=_HASH_KEY)
_ANCHOR_HASHER = hashlib.blake2b(digest_size=8, key=_ANCHOR_KEY)
_BAND_HASHER = hashlib.blake2b(digest_size=8, key=_HASH_KEY)


def normalise_text(text: str) -> str:
    """Fold what republishing changes without changing the story: Unicode form, case, punctuation, spacing."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", folded).strip()


def text_hash(text: str) -> str:
    """Hex SHA-256 of the normalised text: equal for exact copies whatever their quotes and whitespace."""
    return _hash_normalised(normalise_text(text))


def _hash_normalised(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The distinct runs of `size` consecutive words (the whole text when it is shorter)."""
    return _shingles_normalised(normalise_text(text), size)


def _shingles_normalised(normalised: str, size: int = SHINGLE_WORDS) -> set[str]:
    words = normalised.split()
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def minhash(text: str) -> np.ndarray:
    """The NUM_PERM-value MinHash signature (uint32) of the text's shingles."""
    return minhash_of(shingles(text))


def minhash_of(shingled: set[str]) -> np.ndarray:
    """The MinHash signature of a shingle set (`shingles`)."""
    return _minhash(_digests(_MINHASH_HASHER, (s.encode("utf-8") for s in shingled)))


def anchors(shingled: set[str]) -> list[int]:
    """The ANCHORS smallest 63-bit keyed hashes of the shingles (stable across processes), ascending."""
    return _anchors(_digests(_ANCHOR_HASHER, (s.encode("utf-8") for s in shingled)))


def _digests(hasher: Any, shingled: Iterable[bytes]) -> bytes:
    """Each shingle's keyed BLAKE2b digest, end to end. A copy of a keyed hasher is a third of the
    cost of a new one (which sets up its key each time), and numpy reads the digests as integers
    in one call instead of an `int.from_bytes` per shingle."""
    digests = []
    for shingle in shingled:
        copy = hasher.copy()
        copy.update(shingle)
        digests.append(copy.digest())
    return b"".join(digests)


def _minhash(digests: bytes) -> np.ndarray:
    """The signature of the shingles whose 4-byte little-endian digests these are."""
    values = np.frombuffer(digests, dtype="<u4").astype(np.uint64)
    if values.size == 0:
        return np.full(NUM_PERM, _PRIME, dtype=np.uint32)
    permuted = np.outer(_A, values)
    permuted += _B[:, None]
    permuted %= _PRIME
    return permuted.min(axis=1).astype(np.uint32)


def _anchors(digests: bytes) -> list[int]:
    """The ANCHORS smallest of these 8-byte little-endian digests, each halved to 63 bits, ascending."""
    hashed = np.frombuffer(digests, dtype="<u8") >> np.uint64(1)
    if hashed.size > ANCHORS:
        hashed = np.partition(hashed, ANCHORS - 1)[:ANCHORS]
    return np.sort(hashed).tolist()  # type: ignore[no-any-return]


def _shingle_bytes(normalised: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """`_shingles_normalised`, each shingle UTF-8 encoded, cut from the encoded text at its spaces.

    A normalised text is its words joined by one space (every space is a non-word character, so
    `normalise_text` turned each run of them into one), and UTF-8 never has the byte of a space
    inside another character: slicing the bytes gives what joining the words and encoding them
    gives, without a list and a join per shingle."""
    data = normalised.encode("utf-8")
    if not data:
        return set()
    spaces = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord(" "))
    if len(spaces) < size:
        return {data}
    starts = [0, *(spaces + 1).tolist()]
    ends = [*spaces.tolist(), len(data)]
    count = len(starts) - size + 1
    return {data[start:end] for start, end in zip(starts[:count], ends[size - 1 :], strict=True)}


@dataclass(frozen=True)
class TextPrint:
    """What dedup computes of a text alone: its hash, MinHash signature and containment anchors.

    A crawl's cleaning workers compute it where the text is made, in parallel: storing runs in one
    writer per crawl, where the signature and the anchors (a keyed hash of each of a text's few
    hundred shingles, twice) were most of the writer's CPU per new article. Plain tuples of ints,
    so that the page record carrying it pickles to the crawl's process and spools as JSON.
    """

    text_hash: str
    signature: tuple[int, ...]
    anchors: tuple[int, ...]


def text_print(text: str) -> TextPrint:
    """The text's hash, signature and anchors, its normalisation and shingles made once for all three."""
    normalised = normalise_text(text)
    shingled = _shingle_bytes(normalised)
    signature = _minhash(_digests(_MINHASH_HASHER, shingled))
    return TextPrint(
        _hash_normalised(normalised),
        tuple(signature.tolist()),
        tuple(_anchors(_digests(_ANCHOR_HASHER, shingled))),
    )


def signature_bytes(signature: np.ndarray) -> bytes:
    """The signature as stored in the database (NUM_PERM little-endian uint32)."""
    return signature.astype("<u4").tobytes()


def signature_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4")


def similarity(first: np.ndarray, second: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return float(np.count_nonzero(first == second)) / NUM_PERM


def band_keys(signature: np.ndarray) -> list[int]:
    """One key per band: a 63-bit hash of the band's rows (fits a signed BIGINT on every backend)."""
    data = signature[: BANDS * ROWS].astype("<u4").tobytes()
    width = 4 * ROWS
    digests = _digests(_BAND_HASHER, (data[start : start + width] for start in range(0, len(data), width)))
    return (np.frombuffer(digests, dtype="<u8") >> np.uint64(1)).tolist()  # type: ignore[no-any-return]
