"""The trafilatura call and the options we give it; everything else about cleaning lives elsewhere."""

from __future__ import annotations

import re
from copy import copy
from typing import Any

import trafilatura
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction, fromstring
from trafilatura.settings import Extractor

from cleaner.bounds import encodable
from cleaner.limits import (
    MAX_CHILDREN,
    MAX_HEADINGS,
    MAX_TEXT_CHARS,
    fit_page,
    too_many_headings,
    trim_crowded,
    trim_headings,
    trim_text,
    within_cascade_cost,
)
from cleaner.model import RemovedBlock
from cleaner.prose import (
    distinct_chars,
    join_body_chunks,
    loose_text_chars,
    missing_prose_gathered,
    prose_chars,
)

_PAGE_END = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
# The end tags looked for before the page's last `_TAIL_AFTER_END` characters: one search in C
# instead of a `find` of each over the whole page.
_EARLY_END = re.compile("</(?:body|html|BODY|HTML)")
_END_TAG_CHARS = len("</body")
# Tags stop at the next "<" as well as at ">": each search scans a stretch once (linear time).
_NESTING_TAGS = re.compile(r"</?(?:div|span|section|font)\b[^<>]*>", re.IGNORECASE)
# libxml2 misreads a DOCTYPE with a slash (lxml bug 1955915), and a self-closing <html/> ends the
# document: trafilatura's repairs, as linear-time patterns applied to the page's head only.
_SLASHED_DOCTYPE = re.compile(r"^< ?! ?DOCTYPE(?=[^<>]*/)[^<>]*+>", re.IGNORECASE)
_SELF_CLOSING_HTML = re.compile(r"<html\b[^<>]*?/>", re.IGNORECASE)
_HEAD_CHARS = 4096
# Control characters XML forbids (tab, newline and carriage return are allowed).
_CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in (9, 10, 13))
# Characters below which trafilatura's fast result is checked against its full cascade.
_SHORT_RESULT = 500
# A fast result under this share of the page's prose paragraphs may have stopped at the first of
# several body blocks.
_MIN_PROSE_COVERED = 0.5
# What may follow the page's real </html>: a newline, a comment or a tracking pixel.
_TAIL_AFTER_END = 200


def _html_parser() -> etree.HTMLParser:
    """trafilatura's parser (its `HTML_PARSER` settings), with the classes of the tree's elements
    chosen in C. lxml.html's parser calls a Python method (`HtmlElementClassLookup.lookup`) each
    time Python touches an element it holds no proxy for: over a million calls on 450 pages, as
    pruning, extraction and trafilatura's copies walk the tree, about a tenth of the cleaner's
    time. The only difference is that form controls are plain `HtmlElement`s instead of
    lxml.html's `InputElement`, `FormElement` and the like, whose form properties (`.value`,
    `.fields`) nothing here or in trafilatura reads."""
    parser = etree.HTMLParser(
        collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
    )
    lookup = etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
    parser.set_element_class_lookup(lookup)
    return parser


_HTML_PARSER = _html_parser()


def parse_tree(text: str) -> tuple[Any | None, list[RemovedBlock]]:
    """Parse HTML text into an lxml tree once, so pruning and extraction share it, with what was
    left out of a page past the parse limits.

    trafilatura's loader copes with what lxml refuses alone (XML declarations in text, fragments,
    broken markup). Two things make libxml2 stop where a browser reads on, which would store the
    first paragraphs as the whole article: a stray `</html>` before the end (removed first; after a
    stray `</body>` it reads on, but outside the body, where no extractor looks), and
    nesting deeper than its limit of 256 (then the page is parsed again without its div and span
    tags: the text and its paragraphs survive, the wrapper soup does not).

    A page whose tree would cost more than the limits allow (cleaner/limits.py) is cut to fit
    first: after its MAX_ELEMENTS-th element, without the attributes of a tag that has more than
    MAX_TAG_ATTRIBUTES or, past MAX_ATTRIBUTES in all, those no pass reads (all counted before
    parsing, so a page of millions of tags costs no tree), and without the children of an element
    past its MAX_CHILDREN-th; and without the headings past its MAX_HEADINGS-th and the text past
    its MAX_TEXT_CHARS-th character.
    """
    # No pass below adds a "<": the page's count bounds its elements' children all along.
    tag_opens = text.count("<")
    text, losses = fit_page(text, tag_opens)
    text = _without_early_end(text)
    tree = _load(text)
    if tree is not None and _too_deep():
        tree = _load(_NESTING_TAGS.sub(" ", text))
    if tree is not None and tag_opens > MAX_CHILDREN:
        losses += trim_crowded(tree)
    if tree is not None and len(text) > MAX_TEXT_CHARS:
        losses += trim_text(tree)
    if tree is not None and tag_opens > MAX_HEADINGS and too_many_headings(tree):
        losses += trim_headings(tree)
    return tree, losses


def _load(text: str) -> Any | None:
    """trafilatura's `load_html`, a millisecond a page cheaper and without its regular expressions
    over the whole page (they backtrack on a hostile first line): the characters XML forbids are
    deleted from the UTF-8 bytes (`bytes.translate`, in C), and lxml reads the bytes it would
    otherwise encode itself. A parse that fails or comes back empty is tried again on the text,
    as `load_html` does first."""
    if "\ufffe" in text or "\uffff" in text:
        text = text.replace("\ufffe", "").replace("\uffff", "")
    beginning = text[:50].lower()
    if "doctype" in beginning:
        first_line = text[:_HEAD_CHARS].partition("\n")[0]
        repaired = _SLASHED_DOCTYPE.sub("", first_line, count=1)
        if repaired != first_line:  # most doctypes need no repair: the page is not copied
            text = repaired + text[len(first_line) :]
    if any("<html" in line and line.endswith("/>") for line in text[:_HEAD_CHARS].splitlines()[:4]):
        head = _SELF_CLOSING_HTML.sub(_opened, text[:_HEAD_CHARS], count=1)
        text = head + text[_HEAD_CHARS:]
    tree = _parse(text.encode("utf-8", "surrogatepass").translate(None, _CONTROL_BYTES))
    if tree is None or len(tree) < 1:
        retried = _parse(encodable(text))
        tree = retried if retried is not None and len(retried) else tree
    # trafilatura's own test: no <html> near the start and a single block is not a page.
    return None if tree is None or ("html" not in beginning and len(tree) < 2) else tree


def _opened(tag: re.Match[str]) -> str:
    """`<html lang="en" />` as `<html lang="en">`."""
    return tag.group()[:-2].rstrip() + ">"


def _parse(html: str | bytes) -> Any | None:
    try:
        return fromstring(html, parser=_HTML_PARSER)
    except (ValueError, TypeError, etree.ParserError):  # nothing to parse; an XML declaration in text
        return None


def _without_early_end(text: str) -> str:
    """The page without a `</body>` or `</html>` that comes before its end (content follows it):
    one that starts more than `_TAIL_AFTER_END` characters before the end, so ends by the bound."""
    before_tail = len(text) - _TAIL_AFTER_END - 1 + _END_TAG_CHARS
    if _EARLY_END.search(text, 0, before_tail) is None:
        return text
    return _PAGE_END.sub("", text)


def _too_deep() -> bool:
    """Whether the last parse hit libxml2's depth limit (the parser keeps its own error log)."""
    return any(error.type_name == "ERR_RESOURCE_LIMIT" for error in _HTML_PARSER.error_log)


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
    over other stories' excerpts or comments), or covers less than that share of the page's
    prose counted with its long runs of text outside any `p` (a story written as `<br>`-broken
    `div` text, which the paragraph count does not see), the full cascade runs too. Its result is
    taken when its distinct lines hold at least twice as much text (docs/cleaning.md), unless the
    page is larger than any real one (`MAX_CASCADE_ELEMENTS`): the cascade would double its cost.
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
    if partial:
        worth_a_cascade = missing_prose_gathered(tree, document.text)
    else:
        worth_a_cascade = size < _SHORT_RESULT or size < (prose + loose_text_chars(tree)) * _MIN_PROSE_COVERED
    if worth_a_cascade and within_cascade_cost(tree):
        fuller = _extract(tree, url, fast=False)
        if _distinct_size(fuller) > 2 * _distinct_size(document):
            return fuller
    return document


def _size(document: Any | None) -> int:
    return len(document.text or "") if document is not None else 0


def _distinct_size(document: Any | None) -> int:
    return distinct_chars(document.text or "") if document is not None else 0


def _extract(tree: Any, url: str | None, fast: bool) -> Any | None:
    return trafilatura.bare_extraction(tree, options=_options(url, fast))


def _settings(fast: bool) -> Extractor:
    return Extractor(
        output_format="python",
        fast=fast,
        comments=False,
        tables=True,
        dedup=False,
        with_metadata=False,
    )


# trafilatura's options for our calls, built once: `Extractor()` reads its settings from a
# ConfigParser and builds htmldate's parameters, about 0.6 % of the cleaner's time when built per
# call (as `bare_extraction` does from keyword arguments). Each call gets a copy naming its page.
_SETTINGS = {fast: _settings(fast) for fast in (True, False)}


def _options(url: str | None, fast: bool) -> Extractor:
    """The options of one call: the settings, with the page's address as `Extractor` records it."""
    options = copy(_SETTINGS[fast])
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    return options
