"""Turn a news page into a clean article: pure functions, HTML in, CleanArticle out, no I/O.

`clean()` is the whole API (`furniture_key()` computes the keys of its site memory). It never
raises: a page without an article, a page past the limits and a page on which a pass fails come
back with `error` set, so a crawl records the reason instead of crashing; every field of the
result can be stored (docs/cleaning.md).
"""

from cleaner.clean import DEFAULT_OPTIONS, clean
from cleaner.memory import furniture_key
from cleaner.model import CleanArticle, CleanOptions, RemovedBlock

__all__ = ["DEFAULT_OPTIONS", "CleanArticle", "CleanOptions", "RemovedBlock", "clean", "furniture_key"]
