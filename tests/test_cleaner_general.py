"""Switching a removal rule off by name (`CleanOptions.disabled_rules`), as benchmarks/rule_audit.py
does to measure what each rule is worth: a parameter of one call, never a global. Every page here
was written for these tests."""

from __future__ import annotations

import cleaner
from cleaner.lines import filter_lines
from cleaner.removal import Removed

URL = "https://www.harbour-chronicle.test/2025/04/ferry-timetable-changes"
PARAGRAPHS = (
    "The ferry company will cut its winter crossings from six a day to four, starting in November, "
    "after a year in which the early boat often left with fewer than ten passengers aboard.",
    "Islanders who work on the mainland said the change would leave them with a two-hour wait in "
    "the evening, and the parish council has asked for a meeting with the company next week.",
    "The company said the savings would pay for the repairs to the older of its two boats, which "
    "has been out of service for most of the summer with a fault in its steering gear.",
)
CARD = "<a href='/2025/04/new-harbour-master'><h3>New harbour master named</h3><p>She starts in May.</p></a>"
STOCK_BOX = (
    "<div class='stock-box'><p>Harbour Lines shares rose two per cent on the news this morning.</p></div>"
)
PAGE = (
    "<html><head><title>Ferry timetable changes</title></head><body><article>"
    + f"<p>{PARAGRAPHS[0]}</p>{STOCK_BOX}"
    + "".join(f"<p>{paragraph}</p>" for paragraph in PARAGRAPHS[1:])
    + CARD
    + "</article></body></html>"
)


def _reasons(article: cleaner.CleanArticle) -> set[str]:
    return {block.reason for block in article.removed}


def test_a_rule_switched_off_by_its_reason_keeps_what_it_took() -> None:
    default = cleaner.clean(PAGE, URL)
    assert "link-card" in _reasons(default)
    assert "New harbour master named" not in default.text
    off = cleaner.clean(PAGE, URL, cleaner.CleanOptions(disabled_rules=frozenset({"link-card"})))
    assert "New harbour master named" in off.text
    assert "link-card" not in _reasons(off)
    assert PARAGRAPHS[2] in off.text


def test_a_family_switches_off_every_rule_of_it() -> None:
    assert "block:stock-box" in _reasons(cleaner.clean(PAGE, URL))
    off = cleaner.clean(PAGE, URL, cleaner.CleanOptions(disabled_rules=frozenset({"block"})))
    assert "Harbour Lines shares rose" in off.text
    assert "link-card" in _reasons(off)


def test_switching_off_is_per_call_and_leaves_the_defaults_alone() -> None:
    cleaner.clean(PAGE, URL, cleaner.CleanOptions(disabled_rules=frozenset({"link-card", "block"})))
    assert cleaner.DEFAULT_OPTIONS.disabled_rules == frozenset()
    assert {"link-card", "block:stock-box"} <= _reasons(cleaner.clean(PAGE, URL))


def test_a_line_rule_and_a_closing_rule_switch_off_apart() -> None:
    story = "\n".join(PARAGRAPHS)
    text = f"{story}\nAdvertisement\n{PARAGRAPHS[0]}\nFrom the archive"
    kept = filter_lines(text, None, Removed())
    assert "Advertisement" not in kept and "From the archive" not in kept
    kept = filter_lines(text, None, Removed(disabled=frozenset({"ui-string"})))
    assert "Advertisement" in kept and "From the archive" not in kept
    kept = filter_lines(text, None, Removed(disabled=frozenset({"dangling-heading"})))
    assert "Advertisement" not in kept and kept[-1] == "From the archive"


def _with_box(box: str) -> str:
    return (
        "<html><head><title>Ferry timetable changes</title></head><body><article>"
        + f"<p>{PARAGRAPHS[0]}</p>{box}"
        + "".join(f"<p>{paragraph}</p>" for paragraph in PARAGRAPHS[1:])
        + "</article></body></html>"
    )


def test_a_block_named_comment_is_no_furniture_for_its_name() -> None:
    """trafilatura drops comment threads itself; the name alone took a photo story's captioned
    block with its gallery link."""
    box = (
        "<div class='photo-comment'><p><a href='/gallery/dry-dock'>The older boat in dry dock at "
        "Harbour Yard</a>, where its steering gear is being replaced.</p></div>"
    )
    article = cleaner.clean(_with_box(box), URL)
    assert "where its steering gear is being replaced" in article.text


def test_a_block_named_ticker_is_no_furniture_for_its_name() -> None:
    """A stock ticker's lines or a live ticker are the story as often as furniture."""
    box = (
        "<div class='ticker'><p>Shares of <a href='/quote/HLN'>Harbour Lines</a> fell two per cent "
        "after the announcement on Tuesday.</p></div>"
    )
    article = cleaner.clean(_with_box(box), URL)
    assert "fell two per cent after the announcement" in article.text


def test_the_rights_notice_goes_in_the_languages_of_news_sites() -> None:
    story = "\n".join(PARAGRAPHS)
    for notice in (
        "© 2025 Hafenbote. Alle Rechte vorbehalten.",
        "Tous droits réservés – Le Courrier du Port",
        "Todos los derechos reservados.",
        "Wszelkie prawa zastrzeżone.",
    ):
        removed = Removed()
        assert filter_lines(f"{story}\n{notice}", None, removed) == list(PARAGRAPHS)
        assert [block.reason for block in removed.blocks] == ["copyright"]
