"""The tree passes: page furniture dropped from the parsed page before extraction, with the reason
why (teasers, share bars, ads, menus, widgets; captions go to the captions list).

The passes are one table, `TREE_PASSES` (cleaner/removal.py `TreePass`): each entry names the
pass, the reasons it records (the names `CleanOptions.disabled_rules` and
benchmarks/rule_audit.py switch it off by), the function that judges and drops, and the
thresholds that function reads. A site's rule (cleaner/rules.py) runs as an entry of the same
shape (`site_pass`), before the built-in ones.

What the extracted text still holds is judged line by line afterwards (cleaner/lines.py:
`filter_lines`, re-exported here for the cleaner's pipeline).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxml import etree

from cleaner.authors import AUTHOR_BOXES
from cleaner.cards import LINK_CARDS
from cleaner.headlinks import SLUG_HEADLINES, TEASER_ITEMS
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
from cleaner.removal import Limits, Removed, TreePage, TreePass, drop_element
from cleaner.rules import SiteRule, compiled_xpath

__all__ = ["TREE_PASSES", "Removed", "displayed_standfirst", "filter_lines", "prune_tree", "site_pass"]


# Captions: figcaption, caption-named blocks, and what a figure without either holds besides its image.
_CAPTIONS = etree.XPath(
    "//figcaption | //*[contains(@class, 'caption')][not(self::figure)]"
    " | //figure[not(.//figcaption) and not(.//*[contains(@class, 'caption')])]"
)
# Blocks that are the page or the story, never a widget or a furniture block.
_PAGE_BLOCKS = ("html", "body", "article", "main")
# A link's label ends on a colon or an arrow: "READ ALSO:", "À lire aussi »", "Mehr dazu ›".
_LABEL_ENDS = (":", "»", "›", ">", "→")
# The box a dropped cluster or picker leaves (`box-heading`) holds at most this many characters
# ("More photos"), and is one of these blocks: never an inline element, which is a sentence's
# part (a name in a paragraph whose hover card is the cluster), nor a table's part (a table's
# cells of links are its data: a download matrix, a list of results).
_MAX_HEADING_LEFT = 80
_BOX_TAGS = ("div", "section", "header", "p", "li", "ul", "ol", "dl")
# The XPath expressions below do in C what would otherwise visit every element in Python: they
# only find candidates, which the Python rules then judge. Thresholds are their variables ($name),
# given from the pass's entry in `TREE_PASSES`.
# Controls a reader types into, and a form's tick boxes (not buttons, tabs or quantity selectors,
# which product pages and accordions put on content, nor a recipe's ingredient ticks).
_FORM_CONTROLS = etree.XPath(
    "//input[not(@type) or @type='text' or @type='email' or @type='password' or @type='search']"
    " | //form//input[@type='checkbox'] | //textarea"
)
# Each expression is compiled once, not on each page and each element it is asked of.
_LONG_PARAGRAPH_INSIDE = etree.XPath("boolean(.//p[string-length() > $long_paragraph_chars])")
_IN_LINK = etree.XPath("boolean(ancestor::a)")
_PARAGRAPHS_INSIDE = etree.XPath("count(.//p)")
_SUBMITS = etree.XPath(".//button | .//input[@type='submit' or @type='image']")
_LISTS_WITH_LINKS = etree.XPath("(//ul | //ol | //dl)[count(*) >= $min_items][.//a]")
# The link count first: it settles most elements in C before the costlier ancestor test.
_LINK_CLUSTERS = etree.XPath(
    "//*[count(a) + count(*/a) >= $min_links]"
    "[not(self::ul or self::ol or self::dl or self::a)][not(ancestor-or-self::table)]"
)
_SHORT_PARAGRAPHS_WITH_LINKS = etree.XPath("//p[.//a][string-length(normalize-space(.)) <= $max_chars]")
# The dek is one text node: comparing text nodes, not every block's whole string value, is cheap.
# A text node that reads as the dek holds its first word as it is (`$head`, no whitespace in it):
# `contains` settles most text nodes before libxml2 builds their whitespace-folded copies.
_BLOCKS_READING = etree.XPath(
    "/descendant::text()[contains(., $head)][normalize-space(.) = $wanted]"
    "/parent::*[self::h2 or self::h3 or self::p or self::div]"
)


def prune_tree(tree: Any, removed: Removed, rules: Sequence[SiteRule] = ()) -> None:
    """Drop furniture blocks from the parsed page before extraction; keep captions apart: the
    site's rules, then `TREE_PASSES`, in order."""
    page = TreePage(tree, removed)
    for tree_pass in (*map(site_pass, rules), *TREE_PASSES):
        tree_pass.apply(page)


def site_pass(rule: SiteRule) -> TreePass:
    """A site's rule as a tree pass: its blocks (`SiteRule.drop`) dropped, recorded as its reason."""

    def drop_blocks(page: TreePage, _limits: Limits) -> None:
        for path in rule.drop:
            for element in compiled_xpath(path)(page.tree):
                page.removed.add_element(element, rule.reason)
                drop_element(element)

    return TreePass(rule.reason, drop_blocks, (rule.reason,))


def _prune_captions(page: TreePage, limits: Limits) -> None:
    """Captions and credits out of the text, into `captions`; a teaser image's go with the teaser."""
    removed = page.removed
    for caption in _CAPTIONS(page.tree):
        text = " ".join(" ".join(caption.itertext()).split())
        long_inside = _LONG_PARAGRAPH_INSIDE(caption, long_paragraph_chars=limits["long_paragraph_chars"])
        if len(text) < limits["max_chars"] and not long_inside:
            teaser = _IN_LINK(caption)
            if not removed.allows("teaser-caption" if teaser else "caption-markup"):
                continue
            if teaser:
                removed.add(text, "teaser-caption")
            elif text:
                removed.captions.append(text)
            drop_element(caption)


def _read_prose(page: TreePage, _limits: Limits) -> None:
    """The page's prose, read before the passes that must not take it drop anything."""
    page.prose = PageProse(page.tree)


def _prune_choices(page: TreePage, _limits: Limits) -> None:
    """Pickers (`CHOICE_TAGS`: a `select`, a date picker), and the box they leave with a heading.
    Tags walked in C by lxml: cheaper than an XPath union, one walk per tag."""
    for element in list(page.root.iter(*CHOICE_TAGS)):
        page.removed.add_element(element, "choices")
        box = element.getparent()
        drop_element(element)
        _drop_emptied_box(box, page)


def _read_names(page: TreePage, _limits: Limits) -> None:
    """The blocks named as furniture or "teaser", read in one walk once the pickers are gone."""
    page.marked, page.teaser_named = named_elements(page.root)


def _prune_marked_blocks(page: TreePage, limits: Limits) -> None:
    """Blocks whose class or id names furniture (`page.marked`, `cleaner.names.named_elements`);
    teaser-like names only when the block is links.

    A name never drops the page's main run of prose (cleaner/prose.py): not when the blocks one
    token marks hold most of the page's prose (a CMS that marks every paragraph "paywall" marks
    the article, not a prompt), not a teaser-named block made of the story's own paragraphs, and
    not a prose paragraph or a part of one (a `p.paywall` of the story, a `span.paywall` in its
    sentence): running text is the story's whatever its name says.
    """
    removed, prose = page.removed, page.prose
    candidates = []
    for element in page.marked:
        if element.getparent() is None or element.tag in _PAGE_BLOCKS:
            continue
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        teaser = False
        found = NOISE_BLOCK_PATTERN.search(marker)
        if found is None:
            found, teaser = TEASER_BLOCK_PATTERN.search(marker), True
            if found is None or _link_density(element) < limits["min_teaser_link_density"]:
                continue
        token = found.group(2).lower()
        if _PARAGRAPHS_INSIDE(element) <= limits["max_paragraphs"] and removed.allows("block:" + token):
            candidates.append((element, token, teaser))
    article_tokens = prose.marking_most([(element, token) for element, token, _ in candidates])
    for element, token, teaser in candidates:
        if prose.held_by(element) and (token in article_tokens or (teaser and prose.is_main_run(element))):
            continue
        if prose.in_paragraph(element):
            continue
        removed.add_element(element, "block:" + token)
        drop_element(element)


def _unmark_story_teasers(page: TreePage, _limits: Limits) -> None:
    """Take "teaser" off the names of blocks that hold the story's own paragraphs.

    trafilatura drops every block whose class or id contains "teaser", whatever it holds; a site
    that wraps its opening paragraphs in `teaser-content` would lose them.
    """
    root = page.root
    for element in page.teaser_named:
        if in_tree(element, root) and page.prose.is_main_run(element):
            for attribute in ("class", "id"):
                value = element.get(attribute)
                if value and "teaser" in value.lower():
                    element.set(attribute, " ".join(t for t in value.split() if "teaser" not in t.lower()))


def _prune_link_lists(page: TreePage, limits: Limits) -> None:
    """Menus and teaser lists whatever their class: lists of links."""
    for element in _LISTS_WITH_LINKS(page.tree, min_items=limits["min_items"]):
        if _link_density(element) >= limits["min_density"]:
            page.removed.add_element(element, "link-list")
            drop_element(element)


def _prune_link_paragraphs(page: TreePage, limits: Limits) -> None:
    """Short paragraphs that are one link, or a label and a headline link: teasers."""
    for element in _SHORT_PARAGRAPHS_WITH_LINKS(page.tree, max_chars=limits["max_chars"]):
        if _link_density(element) >= limits["min_density"] or _labelled_link(element, limits):
            page.removed.add_element(element, "link")
            drop_element(element)


def _prune_link_clusters(page: TreePage, limits: Limits) -> None:
    """Blocks of links that are no list: share bars, teaser boxes, tag clouds, menus built of
    `div`s. Three links or more among a block's children or grandchildren, nearly all its text,
    none of the page's prose; the box heading it leaves behind ("More photos") goes with it, or
    the heading stays in the text with nothing under it."""
    dropped: set[Any] = set()
    for element in _LINK_CLUSTERS(page.tree, min_links=limits["min_links"]):
        if element.tag in _PAGE_BLOCKS or element.getparent() is None:
            continue
        if any(ancestor in dropped for ancestor in element.iterancestors()):
            continue
        size = TEXT_LENGTH(element)
        if not 0 < size <= limits["max_chars"] or page.prose.held_by(element):
            continue
        if link_chars(element) >= size * limits["min_density"]:
            page.removed.add_element(element, "link-cluster")
            dropped.add(element)
            box = element.getparent()
            drop_element(element)
            _drop_emptied_box(box, page)


def _drop_emptied_box(box: Any, page: TreePage) -> None:
    """The largest block around a dropped cluster or picker that holds no more than a heading now
    ("More photos", "Sections")."""
    emptied = None
    while (
        box is not None
        and box.tag in _BOX_TAGS
        and box.getparent() is not None
        and TEXT_LENGTH(box) <= _MAX_HEADING_LEFT
        and not page.prose.held_by(box)
    ):
        emptied, box = box, box.getparent()
    if emptied is not None and page.removed.allows("box-heading"):
        page.removed.add_element(emptied, "box-heading")
        drop_element(emptied)


def _labelled_link(paragraph: Any, limits: Limits) -> bool:
    """A paragraph that is a label and a headline link: "READ ALSO: <a>headline</a>", "See also »
    <a>headline</a>"."""
    outside = " ".join(paragraph.text_content().split())
    linked = 0
    for link in paragraph.iter("a"):
        text = " ".join(link.text_content().split())
        outside = outside.replace(text, " ", 1)
        linked += len(text.split())
    label = outside.strip()
    short = len(label.split()) <= limits["max_label_words"]
    return label.endswith(_LABEL_ENDS) and short and linked >= limits["min_headline_words"]


def _prune_widgets(page: TreePage, limits: Limits) -> None:
    """Interface widgets whatever their names: the small block around a text field or a tick box
    (a newsletter box with its consent text, a login prompt, a comment form).

    From each control's form (or the control, outside a form), the widget is the largest ancestor
    that stays under `max_chars` and holds little of the page's prose, when it has a button to
    send what was typed. A form larger than that is content (a calculator), and so is a field
    with nothing to send (a recipe's servings field).
    """
    largest = limits["max_chars"]
    for control in _FORM_CONTROLS(page.tree):
        widget = next(control.iterancestors("form"), control)
        if TEXT_LENGTH(widget) > largest:
            continue
        for ancestor in widget.iterancestors():
            if ancestor.tag in _PAGE_BLOCKS or TEXT_LENGTH(ancestor) > largest:
                break
            widget = ancestor
        if widget.getparent() is not None and _SUBMITS(widget) and page.prose.is_small_part(widget):
            page.removed.add_element(widget, "widget")
            drop_element(widget)


def _prune_noise_tags(page: TreePage, limits: Limits) -> None:
    """Small `aside`, `nav`, `footer`, `form`, `button` blocks (`NOISE_TAGS`), recorded nowhere:
    a wrapper holding the story is never dropped for its tag."""
    for element in list(page.root.iter(*NOISE_TAGS)):
        small = _PARAGRAPHS_INSIDE(element) <= limits["max_paragraphs"]
        if small and len(element.text_content()) <= limits["max_chars"]:
            drop_element(element)


# A block holding more paragraphs than this is the article (or its wrapper), whatever its class
# or tag says.
_MAX_PARAGRAPHS_IN_NOISE = 4
# The built-in tree passes, in the order they run. Steps with no reason read the page for the
# passes after them.
TREE_PASSES: tuple[TreePass, ...] = (
    # A caption's text: under `max_chars`, no paragraph over `long_paragraph_chars` inside.
    TreePass(
        "captions",
        _prune_captions,
        ("caption-markup", "teaser-caption"),
        {"max_chars": 400, "long_paragraph_chars": 200},
    ),
    TreePass("prose", _read_prose),
    TreePass("choices", _prune_choices, ("choices",)),
    TreePass("names", _read_names),
    # A teaser-named block goes when this share of its text is links (a story's lead has next to none).
    TreePass(
        "block",
        _prune_marked_blocks,
        ("block",),
        {"max_paragraphs": _MAX_PARAGRAPHS_IN_NOISE, "min_teaser_link_density": 0.3},
    ),
    AUTHOR_BOXES,
    TreePass("story-teasers", _unmark_story_teasers),
    # A list of at least `min_items` items, nearly all link text, is a menu or a teaser list.
    TreePass("link-list", _prune_link_lists, ("link-list",), {"min_items": 3, "min_density": 0.75}),
    # A short paragraph that is all link is a teaser ("Read more: ...", a related headline); so is
    # a label ("READ ALSO:", at most `max_label_words`) before a headline link.
    TreePass(
        "link",
        _prune_link_paragraphs,
        ("link",),
        {"max_chars": MAX_NOISE_LINE, "min_density": 0.9, "max_label_words": 4, "min_headline_words": 4},
    ),
    TEASER_ITEMS,
    # At least `min_links` links (children or grandchildren of one block), this share of its text,
    # at most `max_chars` (a share bar, a box of teasers, a tag cloud, a row of menu links in `div`s).
    TreePass(
        "link-cluster",
        _prune_link_clusters,
        ("link-cluster",),
        {"min_links": 3, "min_density": 0.9, "max_chars": 600},
    ),
    LINK_CARDS,
    SLUG_HEADLINES,
    # A form control's widget: its largest ancestor of at most `max_chars` characters.
    TreePass("widget", _prune_widgets, ("widget",), {"max_chars": 600}),
    TreePass(
        "noise-tag",
        _prune_noise_tags,
        ("noise-tag",),
        {"max_paragraphs": _MAX_PARAGRAPHS_IN_NOISE, "max_chars": 1200},
    ),
)


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
