"""The trafilatura call and the options we give it; everything else about cleaning lives elsewhere."""

from __future__ import annotations

from typing import Any

import trafilatura
from trafilatura.utils import load_html


def parse_tree(text: str) -> Any | None:
    """Parse HTML text into an lxml tree once, so pruning and extraction share it.

    trafilatura's loader copes with what lxml refuses alone (XML declarations in text, fragments,
    broken markup).
    """
    return load_html(text)


def extract_document(tree: Any, url: str | None) -> Any | None:
    """Run trafilatura on a parsed tree: the main text, or None when it finds none.

    Metadata comes from cleaner/metadata.py: trafilatura's own pass costs a quarter of its time.
    """
    return trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        deduplicate=False,
    )
