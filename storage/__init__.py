"""The corpus in SQL: models, engines, the writer (`Corpus`) and read-only queries.

Both the crawler's pipeline and the CLI use this package; nothing else touches the database.
"""

from storage.engine import DatabaseUnavailable, database_url, make_engine
from storage.records import FetchedPage, Outcome, StoreResult
from storage.repository import Corpus

__all__ = [
    "Corpus",
    "DatabaseUnavailable",
    "FetchedPage",
    "Outcome",
    "StoreResult",
    "database_url",
    "make_engine",
]
