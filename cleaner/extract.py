"""The trafilatura call and the options we give it; everything else about cleaning lives elsewhere."""

from __future__ import annotations

import re
from typing import Any

import trafilatura
from lxml import etree
from lxml.html import fromstring
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, HTML_PARSER, load_html

from cleaner.prose import join_body_chunks, missing_prose_gathered, prose_chars

_PAGE_END = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
_NESTING_TAGS = re.compile(r"</?(?:div|span|section|font)\b[^>]*>", re.IGNORECASE)
# Control characters XML forbids (tab, newline and carriage return are allowed).
_CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in (9, 10, 13))
# Characters below which trafilatura's fast result is checked against its full cascade.
_SHORT_RESULT = 500
# A fast result under this share of the page's prose paragraphs may have stopped at the first of
# several body blocks.
_MIN_PROSE_COVERED = 0.5
# What may follow the page's real </html>: a newline, a comment or a tracking pixel.
_TAIL_AFTER_END = 200


def parse_tree(text: str) -> Any | None:
    """Parse HTML text into an lxml tree once, so pruning and extraction share it.

    trafilatura's loader copes with what lxml refuses alone (XML declarations in text, fragments,
    broken markup). Two things make libxml2 stop where a browser reads on, which would store the
    first paragraphs as the whole article: a stray `</html>` before the end (removed first; after a
stray `</body>` it reads on, but outside the body, where no extractor looks), and
    nesting deeper than its limit of 256 (then the page is parsed again without its div and span
    tags: the text and its paragraphs survive, the wrapper soup does not).
    """
    text = _without_early_end(text)
    tree = _load(text)
    if tree is not None and _too_deep():
        tree = _load(_NESTING_TAGS.sub(" ", text))
    return tree


def _load(text: str) -> Any | None:
    """trafilatura's `load_html`, a millisecond a page cheaper: the characters XML forbids are
    deleted from the UTF-8 bytes (`bytes.translate`, in C) instead of by a regular expression over
    the text, and lxml reads the bytes it would otherwise encode itself. Anything unusual (the
    non-characters U+FFFE/U+FFFF, a parse that fails or comes back empty) goes to `load_html`."""
    if "\ufffe" in text or "\uffff" in text:
        return load_html(text)
    beginning = text[:50].lower()
    if "doctype" in beginning:  # libxml2 misreads a DOCTYPE with a slash (lxml bug 1955915)
        first_line, newline, rest = text.partition("\n")
        text = DOCTYPE_TAG.sub("", first_line, count=1) + newline + rest
    if any("<html" in line and line.endswith("/>") for line in text[:4096].splitlines()[:4]):
        text = FAULTY_HTML.sub(r"\1>", text, count=1)  # a self-closing <html/> ends the document
    data = text.encode("utf-8", "surrogatepass").translate(None, _CONTROL_BYTES)
    try:
        tree = fromstring(data, parser=HTML_PARSER)
    except (ValueError, TypeError, etree.ParserError):
        return load_html(text)
    if tree is None or len(tree) < 1:
        return load_html(text)
    # trafilatura's own test: no <html> near the start and a single block is not a page.
    return None if "html" not in beginning and len(tree) < 2 else tree


def _without_early_end(text: str) -> str:
    """The page without a `</body>` or `</html>` that comes before its end (content follows it)."""
    ends = [text.find(tag) for tag in ("</body", "</html", "</BODY", "</HTML")]
    early = min((end for end in ends if end != -1), default=len(text))
    if len(text) - early <= _TAIL_AFTER_END:
        return text
    return _PAGE_END.sub("", text)


def _too_deep() -> bool:
    """Whether the last parse hit libxml2's depth limit (the parser keeps its own error log)."""
    return any(error.type_name == "ERR_RESOURCE_LIMIT" for error in HTML_PARSER.error_log)


def extract_document(tree: Any, url: str | None) -> Any | None:
    """Run trafilatura on a parsed tree: the main text, or None when it finds none.

    Metadata comes from cleaner/metadata.py: trafilatura's own pass costs a quarter of its time.
    Its fast path skips the fallback extractors (its readability and jusText runs, compared with
    its own result on every page), which cost a third of its time and, once our pruning has taken
    the furniture out, lose on news pages more often than they win. But the fast path stops at
    the first block that holds text. When its result is not short but covers less than
    `_MIN_PROSE_COVERED` of the page's prose paragraphs, the story may be cut into several
    same-named containers: they are joined and the fast path runs again. When the result is
    still short (`_SHORT_RESULT`), or partial with the missing prose in one block (not spread
    over other stories' excerpts or comments), the full cascade runs too, and its result is
    taken when it holds at least twice as much text (docs/cleaning.md).
    """
    document = _extract(tree, url, fast=True)
    size = _size(document)
    prose = prose_chars(tree)
    partial = document is not None and _SHORT_RESULT <= size < prose * _MIN_PROSE_COVERED
    if partial and join_body_chunks(tree, document.text):
        joined = _extract(tree, url, fast=True)
        if _size(joined) > size:
            document, size = joined, _size(joined)
        partial = size < prose * _MIN_PROSE_COVERED
    if size < _SHORT_RESULT or (partial and missing_prose_gathered(tree, document.text)):
        fuller = _extract(tree, url, fast=False)
        if _size(fuller) > 2 * size:
            return fuller
    return document


def _size(document: Any | None) -> int:
    return len(document.text or "") if document is not None else 0


def _extract(tree: Any, url: str | None, fast: bool) -> Any | None:
    return trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        deduplicate=False,
        fast=fast,
    )
