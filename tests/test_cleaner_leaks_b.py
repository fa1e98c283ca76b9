"""Must-drop lines that leaked on pages the cleaner had not seen (issue 15, leaks-b): the furniture
cells of tables that lay out a page, captions known only by their place under an image, and
lines that are a credit, a figure's label, a listing's counter, an embed's consent placeholder,
a loading or gallery label. Every page and line here was written for these tests."""

from __future__ import annotations

import pytest

import cleaner
from cleaner.lines import filter_lines
from cleaner.removal import Removed

URL = "https://www.millbrook-gazette.test/2025/03/river-works"
PARAGRAPHS = (
    "Work on the river wall began on Monday, three months later than the council had planned, "
    "after a winter of floods that left the lower town under water twice.",
    "Engineers will raise the wall by forty centimetres along the quay and replace the old sluice "
    "gate, which has been stuck half open since the storm in November.",
    "Shop owners on the quay said they were relieved, though several asked why the work could not "
    "wait until the end of the tourist season in September.",
    "The council expects the quay to reopen to traffic in June, when the new gate has been tested "
    "against a spring tide.",
)


def _page(body: str) -> str:
    return f"<html><head><title>River wall works begin</title></head><body>{body}</body></html>"


def _story(between: str = "") -> str:
    """The story's paragraphs, with `between` after the first."""
    first, *rest = PARAGRAPHS
    return f"<article><p>{first}</p>{between}" + "".join(f"<p>{p}</p>" for p in rest) + "</article>"


def _reasons(article: cleaner.CleanArticle) -> dict[str, str]:
    return {block.text: block.reason for block in article.removed}


# Layout tables


LAYOUT_PAGE = _page(
    "<table width='760'><tr>"
    "<td width='150'><a href='/'>Front page</a><br><a href='/sport'>Sport</a><br>"
    "<a href='/letters'>Letters</a></td>"
    "<td><table class='entry'><tr><td class='stamp'>9:12 AM River works</td></tr>"
    f"<tr><td class='body'>{' '.join(PARAGRAPHS)}</td></tr></table></td>"
    "</tr><tr><td colspan='2'>Guests online: 4 Members: 0</td></tr></table>"
)


def test_the_furniture_cells_of_a_layout_table_leave_the_text() -> None:
    article = cleaner.clean(LAYOUT_PAGE, URL)
    assert PARAGRAPHS[1] in article.text
    for furniture in ("Front page", "9:12 AM River works", "Guests online"):
        assert furniture not in article.text
    assert _reasons(article)["Guests online: 4 Members: 0"] == "layout-cell"


def test_a_data_table_inside_the_story_keeps_its_cells() -> None:
    """Short cells, no prose cell, no nested table: the story's own data, whatever it reads like."""
    table = (
        "<table><tr><th>Section</th><th>Length</th></tr><tr><td>North quay</td><td>120 m</td></tr>"
        "<tr><td>Sluice gate</td><td>8 m</td></tr></table>"
    )
    article = cleaner.clean(_page(_story(table)), URL)
    for cell in ("North quay", "Sluice gate", "120 m"):
        assert cell in article.text


def test_a_sentence_in_a_layout_cell_stays() -> None:
    """A short cell that ends a sentence is the story's, not a label."""
    page = LAYOUT_PAGE.replace("Guests online: 4 Members: 0", "The quay reopens on Friday.")
    assert "The quay reopens on Friday." in cleaner.clean(page, URL).text


# Captions known by their place


def test_a_box_opened_by_an_image_is_a_caption() -> None:
    box = (
        "<div class='media-box'><a href='/img/quay-large.jpg'><img src='/img/quay.jpg'></a>"
        "<div class='credit'>Town archive</div>"
        "<p class='text'>The quay during the November storm, seen from the old bridge.</p></div>"
    )
    article = cleaner.clean(_page(_story(box)), URL)
    assert "seen from the old bridge" not in article.text
    assert "Town archive" not in article.text
    assert PARAGRAPHS[2] in article.text
    caption = "Town archive The quay during the November storm, seen from the old bridge."
    assert caption in article.captions
    assert _reasons(article)[caption] == "image-caption"


def test_italics_under_an_image_are_a_caption() -> None:
    inline = (
        f"<div class='text'>{PARAGRAPHS[0]}<br><br><img src='/img/gate.jpg' alt=''><br>"
        "<em>The sluice gate, stuck half open since the storm.</em><br><br>"
        f"{PARAGRAPHS[1]}<br><br>{PARAGRAPHS[2]}</div>"
    )
    article = cleaner.clean(_page(inline), URL)
    assert "stuck half open since the storm." not in article.text
    assert PARAGRAPHS[1] in article.text
    assert "The sluice gate, stuck half open since the storm." in article.captions


@pytest.mark.parametrize(
    "paragraph",
    [
        # A review under its writer's avatar: a heading of its own, no caption.
        "<section class='review'><div class='avatar'><a href='/people/jr'><img src='/img/jr.jpg'></a>"
        "</div><div class='review-text'><h3>Jane's verdict</h3><p>The council voted to pay for the "
        "work from its reserves, and rightly so.</p></div></section>",
        # An image beside the words, on the same line: part of the sentence.
        "<p><img src='/img/flag.png'> The council voted to pay for the work from its reserves.</p>",
        # An icon declared small, then emphasis: no picture, no caption.
        "<p><img src='/img/icon.png' width='16'><br><em>The council voted to pay from reserves.</em></p>",
    ],
)
def test_images_inside_sentences_leave_the_words_alone(paragraph: str) -> None:
    article = cleaner.clean(_page(_story(paragraph)), URL)
    assert "voted to pay" in article.text


# Lines


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Lego figures on a desk by Jane Roe, licence CC BY 2.0", "picture-credit"),
        ("Header image via Pixabay.", "picture-credit"),
        ("Figure 2: water levels at the quay since 1990", "figure-caption"),
        ("Abb. 3 – Der Pegel am Kai seit 1990", "figure-caption"),
        ("Showing 11-20 of 57 results", "counter"),
        ("Es werden die Artikel 1 bis 10 von insgesamt 23 angezeigt", "counter"),
        ("Click the button below to load the map from the provider.", "embed-consent"),
        ("Klicke auf den Button, um das Video zu laden", "embed-consent"),
        ("Loading…", "ui-string"),
        ("Bild 4 von 12", "ui-string"),
        ("2 / 9", "ui-string"),
        ("Fotogalerie", "ui-string"),
    ],
)
def test_furniture_lines_leave_with_their_reason(line: str, reason: str) -> None:
    removed = Removed()
    kept = filter_lines("\n".join([PARAGRAPHS[0], line, PARAGRAPHS[1]]), None, removed)
    assert kept == [PARAGRAPHS[0], PARAGRAPHS[1]]
    assert [block.reason for block in removed.blocks] == [reason]


@pytest.mark.parametrize(
    "line",
    [
        "Getty Images said on Tuesday it would close its archive in the town.",
        "Figure 3 shows how the water rose over the winter.",
        "Between 2010 and 2014 the town spent 3 to 4 of every 10 pounds on flood defences.",
        "The workers had to load the content of the lorries by hand.",
    ],
)
def test_story_lines_like_them_stay(line: str) -> None:
    removed = Removed()
    text = "\n".join([PARAGRAPHS[0], line, PARAGRAPHS[1]])
    assert filter_lines(text, None, removed) == [PARAGRAPHS[0], line, PARAGRAPHS[1]]


def test_a_more_information_heading_goes_with_its_links() -> None:
    removed = Removed()
    text = "\n".join(
        [*PARAGRAPHS[:2], "Further information:", "- Flood maps of the lower town", "- The council's plan"]
    )
    assert filter_lines(text, None, removed) == list(PARAGRAPHS[:2])
    assert {block.reason for block in removed.blocks} == {"related-list"}


def test_a_box_labelled_as_the_authors_is_an_author_box() -> None:
    """No class or schema.org mark: the box says what it is in its first words."""
    box = (
        "<div class='box wide'><div class='label'>About the author</div><h3>Jane Roe</h3>"
        "<p>has covered the lower town's floods for the gazette since 2009 and writes a weekly "
        "column on local government.</p></div>"
    )
    more = "".join(f"<p>{sentence} {sentence.lower()}</p>" for sentence in PARAGRAPHS)
    article = cleaner.clean(_page(_story(box).replace("</article>", more + "</article>")), URL)
    assert "weekly column" not in article.text
    assert PARAGRAPHS[-1] in article.text
    assert "author-box" in _reasons(article).values()
