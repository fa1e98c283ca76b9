"""Layout tables: tables that lay out the page (the story in one cell, menus, counters, dates
and promotions in the cells around it), as opposed to the data tables a story prints.

trafilatura keeps a table whole, one line a row, so a page built of tables brings its furniture
along: "| Menu |", "| Visitors online: 3 |", "| 3:59 PM Letters |". A table lays out the page
when it holds another table, or when one of its own cells holds a run of prose no data table
has (`MIN_STORY_CELL_CHARS`). In such a table, a cell of its own that is short and reads as no
sentence (no closing punctuation), or is mostly links, is furniture (`layout-cell`); a row left
without text goes with it. A data table (short cells only, none nested) is never touched.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from cleaner.prose import TEXT_LENGTH, link_chars
from cleaner.removal import Removed, drop_element

# A cell of its own this long holds running text: its table lays out the page.
MIN_STORY_CELL_CHARS = 500
# A layout table's cell this short is furniture when it ends no sentence or is mostly links.
MAX_FURNITURE_CELL_CHARS = 200
_MIN_LINK_SHARE = 0.5
_SENTENCE_ENDS = (".", "!", "?", "…", '"', "”", "»", "。", "！", "？", ")")
# Candidates found in C: tables nesting a table or holding a long cell of their own.
_TABLES = etree.XPath(
    "//body//table[.//table or (./tr | ./*/tr)/*[self::td or self::th]"
    f"[string-length(normalize-space()) >= {MIN_STORY_CELL_CHARS}]]"
)
# A table's own cells (not those of a table nested in them), and whether a cell nests a table.
_OWN_CELLS = etree.XPath("./tr/td | ./tr/th | ./*/tr/td | ./*/tr/th")
_NESTS_TABLE = etree.XPath("boolean(.//table)")


def prune_layout_tables(tree: Any, removed: Removed) -> None:
    """Drop the furniture cells of the tables that lay out the page, then the rows they empty."""
    for table in _TABLES(tree) if removed.allows("layout-cell") else ():
        if table.getparent() is None:
            continue
        cells = [(cell, _NESTS_TABLE(cell)) for cell in _OWN_CELLS(table)]
        leaves = [(cell, int(TEXT_LENGTH(cell))) for cell, nests in cells if not nests]
        nested = len(leaves) < len(cells)
        if not (nested or any(size >= MIN_STORY_CELL_CHARS for _, size in leaves)):
            continue
        emptied = set()
        for cell, size in leaves:
            if 0 < size <= MAX_FURNITURE_CELL_CHARS and _furniture(cell, size):
                removed.add_element(cell, "layout-cell")
                emptied.add(cell.getparent())
                drop_element(cell)
        for row in emptied:
            if row.getparent() is not None and TEXT_LENGTH(row) == 0:
                drop_element(row)


def _furniture(cell: Any, size: int) -> bool:
    """A short cell that is no sentence ("Menu", "3:59 PM Letters") or mostly links."""
    text = " ".join(cell.text_content().split())
    return not text.endswith(_SENTENCE_ENDS) or link_chars(cell) >= size * _MIN_LINK_SHARE
