"""The corpus in SQL: models, engines, the writer (`Corpus`) and read-only queries.

Both the crawler's pipeline and the CLI use this package; nothing else touches the database.
"""

from typing import Any

from storage.engine import DatabaseUnavailable, database_url, make_engine
from storage.records import FetchedPage, Outcome, StoreResult

__all__ = [
    "Corpus",
    "DatabaseUnavailable",
    "FetchedPage",
    "Outcome",
    "StoreResult",
    "database_url",
    "make_engine",
]


def __getattr__(name: str) -> Any:
    """`storage.Corpus`, imported when first used: the writer loads the cleaner and the dedup index,
    which commands that only read the corpus (`wiredesk sql`, `search`...) should not pay for."""
    if name != "Corpus":
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    from storage.repository import Corpus

    return Corpus
