"""Must-drop lines that leaked on pages the cleaner had not seen (issue 15, sixth session,
leaks-a): the site's own plug closing the text, found by where its links point. Pages written for
these tests."""

from __future__ import annotations

import cleaner
from cleaner.closing import drop_signatures, drop_site_plug
from cleaner.extract import parse_tree
from cleaner.removal import Removed

URL = "https://news.lakeside-courier.org/2025/03/ferry-timetable-changes-for-spring"
STORY = [
    "The lake ferry will run every half hour from the first of April, the operator said on Monday.",
    "Boats will call at the three northern piers, which were closed last summer for repairs.",
    "Season tickets bought before the change stay valid until the end of their term.",
    "The operator expects the new timetable to carry about a fifth more passengers than last year.",
]


def _page(closing: str, middle: str = "") -> str:
    """The story's paragraphs, `middle` after the second, and `closing` after the last."""
    paragraphs = "".join(f"<p>{line}</p>" for line in STORY[:2]) + middle
    paragraphs += "".join(f"<p>{line}</p>" for line in STORY[2:])
    return (
        "<html><head><title>Ferry timetable changes for spring</title></head><body>"
        '<div class="story"><h1>Ferry timetable changes for spring</h1>'
        f'<div class="story-text">{paragraphs}{closing}</div></div>'
        "<div class='foot'><p>Lakeside Courier, 12 Harbour Road</p></div></body></html>"
    )


def test_a_closing_box_linking_to_the_sites_own_service_page_leaves_the_text() -> None:
    closing = (
        '<section class="box"><h3>Never miss a crossing</h3>'
        '<p>Get the timetable on your phone with <a href="/mobile">our free tool</a>.</p></section>'
    )
    article = cleaner.clean(_page(closing), URL)
    assert article.text.splitlines() == STORY
    assert {block.text: block.reason for block in article.removed if block.reason == "site-plug"} == {
        "Never miss a crossing": "site-plug",
        "Get the timetable on your phone with our free tool.": "site-plug",
    }


def test_a_closing_line_linking_to_another_story_or_another_site_stays() -> None:
    """A story's last paragraph may link to an article of its site (a long slug, an id) or to
    another site: no plug."""
    to_article = (
        '<p>The operator announced the change in <a href="/2024/11/ferry-operator-plans-new-boats">'
        "its winter report</a>.</p>"
    )
    elsewhere = '<p>The full timetable is on <a href="https://ferries.example.net/times">their site</a>.</p>'
    for closing in (to_article, elsewhere):
        article = cleaner.clean(_page(closing), URL)
        assert article.text.splitlines()[-1].startswith("The "), closing
        assert not [block for block in article.removed if block.reason == "site-plug"]


def test_a_plug_needs_a_story_before_it() -> None:
    lines = ["Short note.", "Read it in our app."]
    removed = Removed()
    tree = parse_tree(
        '<html><body><p>Short note.</p><p>Read it in <a href="/app">our app</a>.</p></body></html>'
    )[0]
    assert drop_site_plug(lines, tree, removed, URL) == lines
    assert not removed.blocks


def test_a_signature_among_the_closing_lines_leaves_the_text() -> None:
    for signature in ("kw/ANP", "(tlb)", "NTB"):
        closing = f"<p>{signature}</p><p>Printed from the Lakeside Courier archive.</p>"
        article = cleaner.clean(_page(closing), URL)
        assert signature not in article.text.splitlines(), signature
        assert [block.text for block in article.removed if block.reason == "signature"] == [signature]


def test_a_closing_list_item_of_words_is_no_signature() -> None:
    lines = [*STORY, "Ingredients", "Salt", "Pepper"]
    assert drop_signatures(lines, Removed()) == lines


def test_a_short_block_printing_the_headline_its_link_spells_leaves_the_page() -> None:
    """A kicker and a linked headline of another story between the paragraphs: its link's
    address spells the line; a line linking a page whose address it does not spell stays."""
    teaser = (
        '<h4>Harbour works: <a href="/2025/01/north-landing-closed-for-weeks-of-repairs">'
        "north landing closed for weeks</a></h4>"
    )
    mention = '<p>Tickets: <a href="/2025/01/pier-repairs-north-landing">spring season fares</a></p>'
    article = cleaner.clean(_page("", middle=teaser + mention), URL)
    assert "north landing closed" not in article.text
    assert "Tickets: spring season fares" in article.text.splitlines()
    assert [block.reason for block in article.removed if "Harbour works" in block.text] == ["slug-headline"]


def test_a_headline_link_after_an_arrow_label_leaves_the_page() -> None:
    teaser = '<p>Lire aussi › <a href="/2025/02/42817">Les quais du nord rouvrent enfin au public</a></p>'
    article = cleaner.clean(_page("", middle=teaser), URL)
    assert article.text.splitlines() == STORY
    assert [block.reason for block in article.removed if "Lire aussi" in block.text] == ["link"]
