"""Turn a news page into a clean article: pure functions, HTML in, CleanArticle out, no I/O.

`clean()` is the whole API (`furniture_key()` computes the keys of its site memory). It never
raises on bad input: a page without an article comes back with `error` set, so a crawl records
the reason instead of crashing.
"""

from cleaner.clean import DEFAULT_OPTIONS, clean
from cleaner.memory import furniture_key
from cleaner.model import CleanArticle, CleanOptions, RemovedBlock

__all__ = ["DEFAULT_OPTIONS", "CleanArticle", "CleanOptions", "RemovedBlock", "clean", "furniture_key"]
