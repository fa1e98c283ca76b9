"""The corpus in SQL: models, engines, the writer (`Corpus`) and read-only queries.

Both the crawler's pipeline and the CLI use this package; nothing else touches the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storage.engine import DatabaseUnavailable, database_url, make_engine, shared_engine
from storage.records import FetchedPage, Outcome, StoreResult

__all__ = [
    "Corpus",
    "DatabaseUnavailable",
    "Due",
    "FetchedPage",
    "Outcome",
    "StoreResult",
    "database_url",
    "make_engine",
    "note_done",
    "note_failed",
    "note_listed",
    "open_corpus",
    "take_due",
]
# The pending articles' API (storage/pending.py), imported when first used, as `Corpus` is.
_PENDING_NAMES = frozenset({"Due", "note_done", "note_failed", "note_listed", "take_due"})

if TYPE_CHECKING:
    from storage.pending import Due, note_done, note_failed, note_listed, take_due
    from storage.repository import Corpus


def open_corpus(url: str | None = None, *, migrate: bool = False) -> Corpus:
    """The corpus at `url` through the process's one engine for it (`storage.engine.shared_engine`);
    `migrate`: its schema brought up to date first, once per process."""
    from storage.repository import Corpus

    return Corpus(shared_engine(url, migrate=migrate))


def __getattr__(name: str) -> Any:
    """`storage.Corpus`, imported when first used: the writer loads the cleaner and the dedup index,
    which commands that only read the corpus (`wiredesk sql`, `search`...) should not pay for."""
    if name in _PENDING_NAMES:
        from storage import pending

        return getattr(pending, name)
    if name != "Corpus":
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    from storage.repository import Corpus

    return Corpus
