"""The tree passes: page furniture dropped from the parsed page before extraction, with the reason
why (teasers, share bars, ads, menus, widgets; captions go to the captions list).

What the extracted text still holds is judged line by line afterwards (cleaner/lines.py:
`filter_lines`, re-exported here for the cleaner's pipeline).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxml import etree

from cleaner.authors import prune_author_boxes
from cleaner.cards import prune_link_cards
from cleaner.headlinks import prune_slug_headlines
from cleaner.lines import MAX_NOISE_LINE, filter_lines
from cleaner.names import in_tree, named_elements
from cleaner.patterns import (
    CHOICE_TAGS,
    NOISE_BLOCK_PATTERN,
    NOISE_TAGS,
    STANDFIRST_PATTERN,
    TEASER_BLOCK_PATTERN,
)
from cleaner.prose import TEXT_LENGTH, PageProse, link_chars
from cleaner.removal import Removed, drop_element
from cleaner.rules import SiteRule, compiled_xpath

__all__ = ["Removed", "displayed_standfirst", "filter_lines", "prune_tree"]


# A block holding this many paragraphs is the article (or its wrapper), whatever its class says.
_MAX_PARAGRAPHS_IN_NOISE = 4
_MAX_NOISE_BLOCK_CHARS = 1200
_MAX_CAPTION_CHARS = 400
# Captions: figcaption, caption-named blocks, and what a figure without either holds besides its image.
_CAPTIONS = etree.XPath(
    "//figcaption | //*[contains(@class, 'caption')][not(self::figure)]"
    " | //figure[not(.//figcaption) and not(.//*[contains(@class, 'caption')])]"
)
# Teaser-named blocks go when this share of their text is links (a story's lead has next to none).
_MIN_TEASER_LINK_DENSITY = 0.3
# Blocks that are the page or the story, never a widget or a furniture block.
_PAGE_BLOCKS = ("html", "body", "article", "main")
# "HEADLINE: summary" teaser lists: this many items of one parent, each at most this long,
# opening with a link of at least this many words; a link's label ("READ ALSO:") at most this long.
_MIN_TEASER_ITEMS = 3
_MAX_TEASER_ITEM_CHARS = 400
_MIN_HEADLINE_WORDS = 4
_MAX_LABEL_WORDS = 4
# A link's label ends on a colon or an arrow: "READ ALSO:", "À lire aussi »", "Mehr dazu ›".
_LABEL_ENDS = (":", "»", "›", ">", "→")
_SENTENCE_ENDS = (".", "!", "?", "…", '"', "”", "»", "。", "！", "？", "」")
_SEPARATORS = " :–—-|."
_HEADLINE_BLOCKS = ("h2", "h3", "h4", "h5", "h6", "div", "strong", "b", "span")
# A form control's widget: its largest ancestor of at most this many characters.
_MAX_WIDGET_CHARS = 600
# A list of at least this many items, nearly all link text, is a menu or a teaser list.
_MIN_LINK_LIST_ITEMS = 3
_MIN_LINK_LIST_DENSITY = 0.75
# A short paragraph or heading that is all link is a teaser ("Read more: ...", a related headline).
_MIN_LINK_PARAGRAPH_DENSITY = 0.9
# A cluster of links outside a list: at least this many links (children or grandchildren of one
# block), this share of its text, and at most this many characters (a share bar, a box of
# teasers, a tag cloud, a row of menu links in `div`s). A heading box it leaves with at most
# `_MAX_HEADING_LEFT` characters ("More photos") goes with it.
_MIN_CLUSTER_LINKS = 3
_MIN_CLUSTER_DENSITY = 0.9
_MAX_CLUSTER_CHARS = 600
_MAX_HEADING_LEFT = 80
# Blocks a cluster's emptied box may be: never an inline element, which is a sentence's part
# (a name in a paragraph whose hover card is the cluster), nor a table's part (a table's cells
# of links are its data: a download matrix, a list of results).
_BOX_TAGS = ("div", "section", "header", "p", "li", "ul", "ol", "dl")
# The XPath expressions below do in C what would otherwise visit every element in Python: they
# only find candidates, which the Python rules then judge.
# Controls a reader types into, and a form's tick boxes (not buttons, tabs or quantity selectors,
# which product pages and accordions put on content, nor a recipe's ingredient ticks).
_FORM_CONTROLS = etree.XPath(
    "//input[not(@type) or @type='text' or @type='email' or @type='password' or @type='search']"
    " | //form//input[@type='checkbox'] | //textarea"
)
# Items (list items, paragraphs) whose first words are a link's. `/descendant::*`, not `//*`:
# libxml2 gathers every node of the page (text nodes too) for the `//` step before filtering.
_ITEMS_OPENING_WITH_LINKS = etree.XPath(
    "/descendant::*[self::li or self::p or self::article]"
    "[(descendant::text()[normalize-space()])[1][ancestor::a]]"
)
# Each expression is compiled once, not on each page and each element it is asked of.
_LONG_PARAGRAPH_INSIDE = etree.XPath("boolean(.//p[string-length() > 200])")
_IN_LINK = etree.XPath("boolean(ancestor::a)")
_PARAGRAPHS_INSIDE = etree.XPath("count(.//p)")
_SUBMITS = etree.XPath(".//button | .//input[@type='submit' or @type='image']")
_LISTS_WITH_LINKS = etree.XPath(f"(//ul | //ol | //dl)[count(*) >= {_MIN_LINK_LIST_ITEMS}][.//a]")
# The link count first: it settles most elements in C before the costlier ancestor test.
_LINK_CLUSTERS = etree.XPath(
    f"//*[count(a) + count(*/a) >= {_MIN_CLUSTER_LINKS}]"
    "[not(self::ul or self::ol or self::dl or self::a)][not(ancestor-or-self::table)]"
)
_SHORT_PARAGRAPHS_WITH_LINKS = etree.XPath(
    f"//p[.//a][string-length(normalize-space(.)) <= {MAX_NOISE_LINE}]"
)
# The dek is one text node: comparing text nodes, not every block's whole string value, is cheap.
# A text node that reads as the dek holds its first word as it is (`$head`, no whitespace in it):
# `contains` settles most text nodes before libxml2 builds their whitespace-folded copies.
_BLOCKS_READING = etree.XPath(
    "/descendant::text()[contains(., $head)][normalize-space(.) = $wanted]"
    "/parent::*[self::h2 or self::h3 or self::p or self::div]"
)


def prune_tree(tree: Any, removed: Removed, rules: Sequence[SiteRule] = ()) -> None:
    """Drop furniture blocks from the parsed page before extraction; keep captions apart."""
    for rule in rules:
        if not removed.allows(f"site-rule:{rule.domain}"):
            continue
        for path in rule.drop:
            for element in compiled_xpath(path)(tree):
                removed.add_element(element, f"site-rule:{rule.domain}")
                drop_element(element)
    _prune_captions(tree, removed)
    prose = PageProse(tree)
    root = tree.getroottree().getroot()
    # Tags walked in C by lxml (here and below): cheaper than the XPath union, one walk per tag.
    for element in list(root.iter(*CHOICE_TAGS)) if removed.allows("choices") else ():
        removed.add_element(element, "choices")
        box = element.getparent()
        drop_element(element)
        _drop_emptied_box(box, removed, prose)
    marked, teaser_named = named_elements(root)
    _prune_marked_blocks(marked, removed, prose)
    prune_author_boxes(tree, removed, prose)
    _unmark_story_teasers([element for element in teaser_named if in_tree(element, root)], prose)
    _prune_link_blocks(tree, removed, prose)
    _prune_widgets(tree, removed, prose)
    for element in list(root.iter(*NOISE_TAGS)) if removed.allows("noise-tag") else ():
        if _small(element):
            drop_element(element)


def _prune_captions(tree: Any, removed: Removed) -> None:
    """Captions and credits out of the text, into `captions`; a teaser image's go with the teaser."""
    for caption in _CAPTIONS(tree):
        text = " ".join(" ".join(caption.itertext()).split())
        if len(text) < _MAX_CAPTION_CHARS and not _LONG_PARAGRAPH_INSIDE(caption):
            teaser = _IN_LINK(caption)
            if not removed.allows("teaser-caption" if teaser else "caption-markup"):
                continue
            if teaser:
                removed.add(text, "teaser-caption")
            elif text:
                removed.captions.append(text)
            drop_element(caption)


def _prune_marked_blocks(marked: list[Any], removed: Removed, prose: PageProse) -> None:
    """Blocks whose class or id names furniture (`marked`, `cleaner.names.named_elements`); teaser-like names
    only when the block is links.

    A name never drops the page's main run of prose (cleaner/prose.py): not when the blocks one
    token marks hold most of the page's prose (a CMS that marks every paragraph "paywall" marks
    the article, not a prompt), and not a teaser-named block made of the story's own paragraphs.
    """
    candidates = []
    for element in marked:
        if element.getparent() is None or element.tag in _PAGE_BLOCKS:
            continue
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        teaser = False
        found = NOISE_BLOCK_PATTERN.search(marker)
        if found is None:
            found, teaser = TEASER_BLOCK_PATTERN.search(marker), True
            if found is None or _link_density(element) < _MIN_TEASER_LINK_DENSITY:
                continue
        token = found.group(2).lower()
        if _PARAGRAPHS_INSIDE(element) <= _MAX_PARAGRAPHS_IN_NOISE and removed.allows("block:" + token):
            candidates.append((element, token, teaser))
    article_tokens = prose.marking_most([(element, token) for element, token, _ in candidates])
    for element, token, teaser in candidates:
        if prose.held_by(element) and (token in article_tokens or (teaser and prose.is_main_run(element))):
            continue
        removed.add_element(element, "block:" + token)
        drop_element(element)


def _unmark_story_teasers(teaser_named: list[Any], prose: PageProse) -> None:
    """Take "teaser" off the names of blocks that hold the story's own paragraphs.

    trafilatura drops every block whose class or id contains "teaser", whatever it holds; a site
    that wraps its opening paragraphs in `teaser-content` would lose them.
    """
    for element in teaser_named:
        if prose.is_main_run(element):
            for attribute in ("class", "id"):
                value = element.get(attribute)
                if value and "teaser" in value.lower():
                    element.set(attribute, " ".join(t for t in value.split() if "teaser" not in t.lower()))


def _prune_link_blocks(tree: Any, removed: Removed, prose: PageProse) -> None:
    """Menus and teaser lists whatever their class: lists of links, paragraphs that are one link,
    clusters of links, and links that hold a paragraph or a heading (cleaner/cards.py)."""
    for element in _LISTS_WITH_LINKS(tree) if removed.allows("link-list") else ():
        if _link_density(element) >= _MIN_LINK_LIST_DENSITY:
            removed.add_element(element, "link-list")
            drop_element(element)
    for element in _SHORT_PARAGRAPHS_WITH_LINKS(tree) if removed.allows("link") else ():
        if _link_density(element) >= _MIN_LINK_PARAGRAPH_DENSITY or _labelled_link(element):
            removed.add_element(element, "link")
            drop_element(element)
    _prune_teaser_items(tree, removed, prose)
    _prune_link_clusters(tree, removed, prose)
    prune_link_cards(tree, removed, prose)
    prune_slug_headlines(tree, removed)


def _prune_link_clusters(tree: Any, removed: Removed, prose: PageProse) -> None:
    """Blocks of links that are no list: share bars, teaser boxes, tag clouds, menus built of
    `div`s. Three links or more among a block's children or grandchildren, nearly all its text,
    none of the page's prose; the box heading it leaves behind ("More photos") goes with it, or
    the heading stays in the text with nothing under it."""
    dropped: set[Any] = set()
    for element in _LINK_CLUSTERS(tree) if removed.allows("link-cluster") else ():
        if element.tag in _PAGE_BLOCKS or element.getparent() is None:
            continue
        if any(ancestor in dropped for ancestor in element.iterancestors()):
            continue
        size = TEXT_LENGTH(element)
        if not 0 < size <= _MAX_CLUSTER_CHARS or prose.held_by(element):
            continue
        if link_chars(element) >= size * _MIN_CLUSTER_DENSITY:
            removed.add_element(element, "link-cluster")
            dropped.add(element)
            box = element.getparent()
            drop_element(element)
            _drop_emptied_box(box, removed, prose)


def _drop_emptied_box(box: Any, removed: Removed, prose: PageProse) -> None:
    """The largest block around a dropped cluster or picker that holds no more than a heading now
    ("More photos", "Sections")."""
    emptied = None
    while (
        box is not None
        and box.tag in _BOX_TAGS
        and box.getparent() is not None
        and TEXT_LENGTH(box) <= _MAX_HEADING_LEFT
        and not prose.held_by(box)
    ):
        emptied, box = box, box.getparent()
    if emptied is not None and removed.allows("box-heading"):
        removed.add_element(emptied, "box-heading")
        drop_element(emptied)


def _labelled_link(paragraph: Any) -> bool:
    """A paragraph that is a label and a headline link: "READ ALSO: <a>headline</a>", "See also »
    <a>headline</a>"."""
    outside = " ".join(paragraph.text_content().split())
    linked = 0
    for link in paragraph.iter("a"):
        text = " ".join(link.text_content().split())
        outside = outside.replace(text, " ", 1)
        linked += len(text.split())
    label = outside.strip()
    short = len(label.split()) <= _MAX_LABEL_WORDS
    return label.endswith(_LABEL_ENDS) and short and linked >= _MIN_HEADLINE_WORDS


def _prune_teaser_items(tree: Any, removed: Removed, prose: PageProse) -> None:
    """Teaser lists whose items are a headline link and a one-sentence summary ("HEADLINE:
    summary"), too little of them links for the link-list rule: at least `_MIN_TEASER_ITEMS`
    items of one parent, each short, opening with a headline-long link and ending a sentence. A
    story's paragraphs open with a link rarely, and never one after another, unless the story
    is such a list (a news round-up: then the items hold more text than the page's prose
    paragraphs besides them)."""
    by_parent: dict[Any, list[Any]] = {}
    for item in _ITEMS_OPENING_WITH_LINKS(tree) if removed.allows("teaser-list") else ():
        if TEXT_LENGTH(item) <= _MAX_TEASER_ITEM_CHARS and _headline_and_summary(item):
            by_parent.setdefault(item.getparent(), []).append(item)
    for items in by_parent.values():
        if len(items) >= _MIN_TEASER_ITEMS and sum(map(TEXT_LENGTH, items)) < prose.total - sum(
            map(prose.held_by, items)
        ):
            for item in items:
                removed.add_element(item, "teaser-list")
                drop_element(item)


def _headline_and_summary(item: Any) -> bool:
    """The item's opening link is headline-long, set apart from what follows (by a colon, a dash,
    a full stop, or a block of its own), and what follows is a sentence. A paragraph of a story
    that opens with a linked phrase reads on from the link."""
    link = next(item.iter("a"), None)
    if link is None:
        return False
    headline = " ".join(link.text_content().split())
    text = " ".join(item.text_content().split())
    rest = text[text.find(headline) + len(headline) :]
    summary = rest.lstrip(_SEPARATORS).rstrip()
    apart = rest.lstrip()[:1] in _SEPARATORS.strip() or _block_link(link)
    return (
        apart
        and len(headline.split()) >= _MIN_HEADLINE_WORDS
        and len(summary.split()) >= _MIN_HEADLINE_WORDS
        and summary.endswith(_SENTENCE_ENDS)
    )


def _block_link(link: Any) -> bool:
    """A link alone in a heading or block of its own (an `h3` or `div` holding just the link)."""
    parent = link.getparent()
    if parent is None or parent.tag not in _HEADLINE_BLOCKS:
        return False
    return TEXT_LENGTH(parent) <= TEXT_LENGTH(link) + 2


def _prune_widgets(tree: Any, removed: Removed, prose: PageProse) -> None:
    """Interface widgets whatever their names: the small block around a text field or a tick box
    (a newsletter box with its consent text, a login prompt, a comment form).

    From each control's form (or the control, outside a form), the widget is the largest ancestor
    that stays under `_MAX_WIDGET_CHARS` and holds little of the page's prose, when it has a
    button to send what was typed. A form larger than that is content (a calculator), and so is a
    field with nothing to send (a recipe's servings field).
    """
    for control in _FORM_CONTROLS(tree) if removed.allows("widget") else ():
        widget = next(control.iterancestors("form"), control)
        if TEXT_LENGTH(widget) > _MAX_WIDGET_CHARS:
            continue
        for ancestor in widget.iterancestors():
            if ancestor.tag in _PAGE_BLOCKS or TEXT_LENGTH(ancestor) > _MAX_WIDGET_CHARS:
                break
            widget = ancestor
        if widget.getparent() is not None and _SUBMITS(widget) and prose.is_small_part(widget):
            removed.add_element(widget, "widget")
            drop_element(widget)


def displayed_standfirst(tree: Any, summary: str | None) -> str | None:
    """The page's summary when it is printed above the story as its dek (an h2/h3, or a block named
    standfirst, dek, summary...): then it is the summary field, not the text's first paragraph.

    Only found here; it is taken out of the extracted text (`filter_lines`), not out of the page,
    so that trafilatura still sees the story's lead where it is.
    """
    wanted = " ".join((summary or "").split())
    head = wanted.partition(" ")[0]
    for element in _BLOCKS_READING(tree, head=head, wanted=wanted) if wanted else ():
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        if element.tag in ("h2", "h3") or STANDFIRST_PATTERN.search(marker):
            return wanted
    return None


def _link_density(element: Any) -> float:
    """Share of the element's text that is link text: near 1 for menus and teaser lists."""
    total = TEXT_LENGTH(element)
    if total == 0:
        return 0.0
    return link_chars(element) / total


def _small(element: Any) -> bool:
    """Small enough to be furniture: a wrapper holding the story is never dropped for its class name."""
    if _PARAGRAPHS_INSIDE(element) > _MAX_PARAGRAPHS_IN_NOISE:
        return False
    return len(element.text_content()) <= _MAX_NOISE_BLOCK_CHARS
