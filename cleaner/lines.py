"""The line pass: what the extracted text still holds of page furniture, line by line, taken out
with the reason why (interface strings, prompts, promotion prose, agency furniture, dates, teaser
lists after their heading).

The rules are one table (`line_rules`): the site's own rules, then its site memory, then
`BUILT_IN_LINE_RULES`, tried in order, the first match naming the reason. The tree passes that run
before extraction are in cleaner/noise.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cleaner.dates import date_only
from cleaner.memory import furniture_key, usable_furniture
from cleaner.patterns import (
    CONTACT_HEADING,
    CONTACT_LINES,
    CONTRIBUTOR_LINE,
    CONTRIBUTOR_TAIL,
    COPYRIGHT_LINES,
    COUNTER_LINE,
    CREDIT,
    CREDIT_WORDS,
    DISCLOSURE_LINES,
    EMBED_CONSENT,
    FIGURE_LABEL,
    LIVE_BLOG_POINTER,
    PICTURE_SOURCES,
    PROMO_TERMS,
    PROMPT_LINES,
    READER_ADDRESS,
    RELATED_HEADING,
    RELATED_LINE,
    SITE_TERMS,
    SOURCE_LINE,
    UI_LINES,
)
from cleaner.removal import Removed
from cleaner.rules import SiteRule
from cleaner.sitename import names_itself, self_names

# A line at most this long is short enough to be furniture: most rules look at no longer line.
MAX_NOISE_LINE = 220
_MAX_CAPTION_LINE = 160
# Closing punctuation, with the full-width marks of Chinese and Japanese text (a sentence there ends
# in "。", not "."; without them every line of such a story read as a heading or a headline).
_FULL_WIDTH_ENDS = ("。", "！", "？", "」", "』", "）")
_CLOSING = (".", "!", "?", "”", '"', ":", "…", "»", "“", "：", *_FULL_WIDTH_ENDS)
# Promotion lines: at most this long, with this many distinct promotion words (fewer when the
# line addresses the reader).
_MAX_PROMO_LINE = 500
_PROMO_WORDS_ALONE = 3
_PROMO_WORDS_ADDRESSED = 2
_PROMO_CHARS_PER_WORD = 100
# A quotation: a quoted span of four words or more. A quoted name ("Hier ist Bayern": the
# newsletter's) is not one.
# Where a copyright notice starts, and how long a notice closing a line of story is at most;
# the story before it is at least this long, or the whole line goes.
_NOTICE_START = re.compile(r"copyright|©|\(c\)", re.IGNORECASE)
_MAX_NOTICE = 200
_MIN_STORY_BEFORE_NOTICE = 150
_QUOTATION = re.compile(r"[\"“”„«»][^\"“”„«»]{0,300}?(?:\s[^\s\"“”„«»]++){3}[^\"“”„«»]{0,300}?[\"“”„«»]")
# Line rules' bounds: the title and the standfirst are looked for among the text's first lines
# only; a copyright notice is a line of at most this many characters; a photo credit line at most
# this many words; a related-stories heading needs this many lines of story before it.
_HEAD_LINES = 2
# The headline printed with more around it than the page's title has, or with less: a kicker before
# it ("Premier League Liverpool lose at Everton"), the site's name after a separator ("Headline |
# Site"), or a title whose site suffix the metadata kept ("Headline - Site" over a line "Headline").
# The headline is at least this long, and what is around it at most this long.
_MIN_HEADLINE_CHARS = 20
_MAX_AROUND_HEADLINE = 60
_HEADLINE_SEPARATORS = "|-–—:›»·•/：｜"
_MAX_COPYRIGHT_LINE = 400
_MAX_CREDIT_WORDS = 30
_MAX_COUNTER_WORDS = 14
_MIN_LINES_BEFORE_RELATED = 2
# Lines that are a caption whole, for the article's captions (a "caption" credit may close one).
_CAPTION_REASONS = ("picture-credit", "figure-caption")
_CREDITED = ("caption", *_CAPTION_REASONS)
# Headings whose block (the lines under them that are no sentence) goes with them.
_LIST_HEADINGS = ("related-list", "contact-block")
# A heading left at the end of the text: at most this long, not ending a statement; the text
# keeps at least this many lines.
_MAX_DANGLING_HEADING = 50
_MIN_LINES_BEFORE_DANGLING = 2
_STATEMENT_ENDS = (".", "!", "…", '"', "”", "“", "»", "«", ")", *_FULL_WIDTH_ENDS)
# A phrase: from its first visible character up to and with its closing punctuation. It starts on a
# visible character so that a long run of spaces is crossed once, not once per space (quadratic).
_PHRASE = re.compile(r"[^\s.!?…](?:[^.!?…]*[^\s.!?…])?\s*[.!?…]*")


@dataclass(slots=True)
class Line:
    """A line of extracted text with what the line rules judge it by (a plain slotted class: one
    is made for every line of every page)."""

    text: str
    title: str | None
    kept: int
    """Lines of story kept before it."""
    standfirst: str | None
    names: frozenset[str]
    """The site's own names (cleaner/sitename.py)."""
    short: bool = field(init=False)
    """Short enough to be furniture: most rules look at no longer line."""

    def __post_init__(self) -> None:
        self.short = len(self.text) <= MAX_NOISE_LINE


@dataclass(frozen=True)
class LineRule:
    """One line rule: the reason a line it matches is removed with, and the test. Per-site rules,
    the site memory and the built-in rules are all rules of this kind, tried in one table."""

    reason: str
    matches: Callable[[Line], bool]


def _pattern_rule(reason: str, pattern: re.Pattern[str]) -> LineRule:
    """A short line that the pattern matches from its start."""
    return LineRule(reason, lambda line: line.short and pattern.match(line.text) is not None)


def _is_title(line: Line) -> bool:
    if line.kept > _HEAD_LINES or not line.title:
        return False
    text, title = " ".join(line.text.casefold().split()), " ".join(line.title.casefold().split())
    return text == title or _headline_variant(text, title) or _headline_variant(title, text)


def _headline_variant(longer: str, headline: str) -> bool:
    """`longer` is `headline` with a kicker before it, or with a site's name after a separator (or
    before one): "kicker headline", "headline | site", "site | headline". A kicker needs no
    separator (pages print it in its own span, glued to the headline in the text); a trailing
    name does, so that a headline run into its first sentence is not taken for one."""
    if len(headline) < _MIN_HEADLINE_CHARS or not 0 < len(longer) - len(headline) <= _MAX_AROUND_HEADLINE:
        return False
    if longer.startswith(headline):
        return longer[len(headline) :].lstrip()[:1] in _HEADLINE_SEPARATORS
    return longer.endswith(headline)


def _is_standfirst(line: Line) -> bool:
    standfirst = line.standfirst
    return line.kept <= _HEAD_LINES and bool(standfirst) and " ".join(line.text.split()) == standfirst


def _is_copyright(line: Line) -> bool:
    return len(line.text) <= _MAX_COPYRIGHT_LINE and COPYRIGHT_LINES.search(line.text) is not None


def _is_related_heading(line: Line) -> bool:
    after_story = line.kept >= _MIN_LINES_BEFORE_RELATED
    return line.short and after_story and RELATED_HEADING.match(line.text) is not None


def _is_disclosure(line: Line) -> bool:
    """A line declaring paid content or affiliate links (`DISCLOSURE_LINES`), not quoting anyone."""
    text = line.text
    return (
        len(text) <= _MAX_PROMO_LINE
        and DISCLOSURE_LINES.search(text) is not None
        and not _QUOTATION.search(text)
    )


def _is_contact_heading(line: Line) -> bool:
    """The heading of a contact block after the story ("Kontakt:", "Media contact")."""
    after_story = line.kept >= _MIN_LINES_BEFORE_RELATED
    return line.short and after_story and CONTACT_HEADING.match(line.text) is not None


def _is_credit(line: Line) -> bool:
    return line.short and CREDIT.search(line.text) is not None and len(line.text.split()) <= _MAX_CREDIT_WORDS


def _is_picture_credit(line: Line) -> bool:
    """A short line naming a picture library or a free licence ("Beitragsbild via Unsplash", "Lego
    figures by J. Doe, licence CC BY 2.0"), worded as a credit besides the name or ending no
    sentence: a story's line about such a company ("Getty Images said on Tuesday it would ...")
    is neither."""
    text = line.text
    if len(text) > _MAX_CAPTION_LINE or PICTURE_SOURCES.search(text) is None:
        return False
    worded = CREDIT_WORDS.search(PICTURE_SOURCES.sub(" ", text)) is not None
    return worded or not text.rstrip().endswith(_CLOSING)


def _is_figure_caption(line: Line) -> bool:
    """A caption opened by its figure's label and number: "Abbildung 4: ...", "Fig. 2 - ..."."""
    return line.short and FIGURE_LABEL.match(line.text) is not None


def _is_counter(line: Line) -> bool:
    """A listing's counter ("Showing 1-10 of 19 results"), a line of a few words."""
    text = line.text
    return line.short and COUNTER_LINE.match(text) is not None and len(text.split()) <= _MAX_COUNTER_WORDS


# The built-in line rules, in the order they are tried (after the per-site rules and the site
# memory): the first that matches names the reason.
BUILT_IN_LINE_RULES = (
    LineRule("title", _is_title),
    LineRule("standfirst", _is_standfirst),
    _pattern_rule("ui-string", UI_LINES),
    _pattern_rule("prompt", PROMPT_LINES),
    _pattern_rule("contact", CONTACT_LINES),
    _pattern_rule("related-link", RELATED_LINE),
    _pattern_rule("related-link", LIVE_BLOG_POINTER),
    _pattern_rule("source", SOURCE_LINE),
    _pattern_rule("contributor", CONTRIBUTOR_LINE),
    LineRule("ui-string", lambda line: line.short and _only_ui_phrases(line.text)),
    LineRule("promo", lambda line: _promo(line.text, names=line.names)),
    LineRule("disclosure", _is_disclosure),
    LineRule("copyright", _is_copyright),
    LineRule("related-list", _is_related_heading),
    LineRule("contact-block", _is_contact_heading),
    LineRule("caption", _is_credit),
    LineRule("picture-credit", _is_picture_credit),
    LineRule("figure-caption", _is_figure_caption),
    LineRule("counter", _is_counter),
    _pattern_rule("embed-consent", EMBED_CONSENT),
    LineRule("date", lambda line: line.short and date_only(line.text)),
)


def line_rules(rules: Sequence[SiteRule], memory: frozenset[str]) -> tuple[LineRule, ...]:
    """The page's line rules: its site's rules first, then its site memory, then the built-in ones."""
    site = tuple(LineRule(rule.reason, _site_test(rule)) for rule in rules)
    remembered = (LineRule("site-memory", _memory_test(memory)),) if memory else ()
    return site + remembered + BUILT_IN_LINE_RULES


def _site_test(rule: SiteRule) -> Callable[[Line], bool]:
    return lambda line: rule.drops_line(line.text)


def _memory_test(memory: frozenset[str]) -> Callable[[Line], bool]:
    def remembered(line: Line) -> bool:
        key = furniture_key(line.text)
        return bool(key) and key in memory

    return remembered


def filter_lines(
    text: str,
    title: str | None,
    removed: Removed,
    rules: Sequence[SiteRule] = (),
    standfirst: str | None = None,
    furniture: frozenset[str] = frozenset(),
    min_chars: int = 0,
    names: frozenset[str] = frozenset(),
) -> list[str]:
    """The extracted text's lines that are story; every other line goes to `removed` with its reason.

    `furniture` is the site's memory (cleaner/memory.py): its lines go first, unless they would
    take the text under `min_chars` or more than half of it (then the memory is ignored here).
    `names` are the site's own names (cleaner/sitename.py): a promotion names its site.
    """
    kept: list[str] = []
    under = ""  # the reason of the list heading the lines now follow, if any
    credited = False  # a caption or a photo credit went after the last line kept
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    table = line_rules(rules, usable_furniture(lines, furniture, min_chars))
    if removed.disabled:
        table = tuple(rule for rule in table if removed.allows(rule.reason))
    names = self_names(lines, names)
    for line in lines:
        if under and _teaser_line(line):
            removed.add(line, under)
            continue
        under = ""
        judged = Line(line, title, len(kept), standfirst, names)
        reason = next((rule.reason for rule in table if rule.matches(judged)), None)
        if reason in _LIST_HEADINGS:
            under = reason
        if reason == "contributor":
            removed.contributors.append(line.strip("_ "))
        if reason == "caption":
            if kept and _caption_text(kept[-1]):
                removed.add(kept[-1], "caption")
                line = f"{kept.pop()} {line}"
            removed.captions.append(line)
        if reason in _CAPTION_REASONS:
            removed.captions.append(line)
        credited = credited or reason in _CREDITED
        story = _story_before_notice(line) if reason == "copyright" else ""
        if story:
            removed.add(line[len(story) :], reason)
            kept.append(story)
            credited = False
            continue
        if reason:
            removed.add(line, reason)
            continue
        kept.append(line)
        credited = False
    if kept and removed.allows("contributor-tail"):
        tail = CONTRIBUTOR_TAIL.search(kept[-1])
        if tail:
            removed.contributors.append(tail.group(1))
            removed.add(tail.group(0), "contributor")
            kept[-1] = kept[-1][: tail.start()].rstrip()
    _drop_closing(kept, removed, names, credited)
    return kept


def _drop_closing(kept: list[str], removed: Removed, names: frozenset[str], credited: bool) -> None:
    """The text's last line when a heading is left dangling, then when it is a closing appeal.

    A line that a photo's caption or credit followed (`credited`) heads nothing the passes took
    out: it is the story's last line, printed above the closing picture, whatever its shape (a
    closing slogan, "We have no future without free research")."""
    long_enough = len(kept) > _MIN_LINES_BEFORE_DANGLING and removed.allows("dangling-heading")
    if long_enough and not credited and _dangling_heading(kept[-1], kept[-2]):
        removed.add(kept.pop(), "dangling-heading")
    long_enough = len(kept) > _MIN_LINES_BEFORE_DANGLING
    if long_enough and removed.allows("closing-promo") and _promo(kept[-1], closing=True, names=names):
        removed.add(kept.pop(), "promo")


def _only_ui_phrases(line: str) -> bool:
    """A line made of several interface phrases, each a UI string on its own: "Oops! Something
    went wrong. Please try again later." when a widget's three paragraphs came out as one line."""
    phrases = _PHRASE.findall(line)
    return len(phrases) > 1 and all(UI_LINES.match(phrase) for phrase in phrases)


def _story_before_notice(line: str) -> str:
    """The story before a copyright notice that closes its line ("... the last film of the series.
    Copyright © 2018. All Rights Reserved."), where the page's text came out as one line; "" when
    the line is the notice, or more of it is: then it all goes."""
    notice = COPYRIGHT_LINES.search(line)
    if notice is None:
        return ""
    nearby = _NOTICE_START.search(line, max(0, notice.start() - _MAX_NOTICE), notice.start() + 1)
    cut = nearby.start() if nearby else notice.start()
    story = line[:cut].rstrip()
    return story if len(story) >= _MIN_STORY_BEFORE_NOTICE and len(line) - cut <= _MAX_NOTICE else ""


def _promo(line: str, closing: bool = False, names: frozenset[str] = frozenset()) -> bool:
    """A line where the site talks to its reader about itself: newsletter and consent prose,
    subscription and app plugs, affiliate notes. A promotion word and another of its kind, in a
    line addressing the reader, or three such words, and dense with them (a paragraph of a story
    about streaming subscriptions is longer for its words); never a line that quotes someone (a
    story about a newsletter quotes the people it is about). The text's `closing` line, after the
    story, needs no promotion word: two words of its kind in a line addressing the reader ("Mit
    diesem Button kannst du dich einloggen."). The site's own name counts as a promotion word: a
    line where the site names itself to its reader ("download the Examplenews app") is about it."""
    if len(line) > _MAX_PROMO_LINE:
        return False
    promotions = {match.group(0).casefold() for match in PROMO_TERMS.finditer(line)}
    if names_itself(line, names):
        promotions.add("")
    if not (promotions or closing):  # most lines: one search, and done
        return False
    others = {match.group(0).casefold() for match in SITE_TERMS.finditer(line)}
    words = len(promotions) + len(others)
    addressed = READER_ADDRESS.search(line) is not None
    if closing:
        promotion = words >= _PROMO_WORDS_ADDRESSED and addressed
    else:
        dense = words >= len(line) / _PROMO_CHARS_PER_WORD
        promotion = dense and (words >= _PROMO_WORDS_ALONE or (words >= _PROMO_WORDS_ADDRESSED and addressed))
    return promotion and not _QUOTATION.search(line)


def _dangling_heading(line: str, before: str) -> bool:
    """The text's last line, when it is a heading with nothing under it: short and no sentence
    ("Read more:", "Related coverage", "Did you read this?") after a line that is one; what a
    teaser block leaves once its links are out. (A list's or a poem's last line follows a line
    like itself, or is a list item.)"""
    return (
        len(line) <= _MAX_DANGLING_HEADING
        and not line.startswith("- ")
        and not line.rstrip().endswith(_STATEMENT_ENDS)
        and before.rstrip().endswith(_STATEMENT_ENDS)
    )


def _caption_text(line: str) -> bool:
    """A short line without closing punctuation: the description half of a caption before its credit."""
    return len(line) <= _MAX_CAPTION_LINE and not line.rstrip().endswith(_CLOSING)


def _teaser_line(line: str) -> bool:
    """A line of a teaser list: a headline or an image description, not a sentence of the story."""
    return len(line) <= MAX_NOISE_LINE and not line.rstrip().endswith(_CLOSING)
