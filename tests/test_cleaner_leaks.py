"""Must-drop lines that leaked into the text on pages the cleaner had not seen (issue 15, sixth
round): the site naming itself in a promotion, and teaser cards wrapped in one link. Fixtures
are pages and lines written for these tests (tests/pages/site-named-promotion.html,
tests/pages/link-card-teasers.html)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cleaner
from cleaner.lines import filter_lines
from cleaner.removal import Removed
from cleaner.sitename import names_itself, self_names, site_names

PAGE = Path(__file__).parent / "pages" / "site-named-promotion"
URL = "https://www.harbourlight.net/2024/05/night-ferry"
STORY = (
    "The council met on Tuesday evening and agreed to repair the old pier before the summer season, "
    "after a long debate about the cost."
)


def _page() -> tuple[str, list[str]]:
    return PAGE.with_suffix(".html").read_text(encoding="utf-8"), (
        PAGE.with_suffix(".expected.txt").read_text(encoding="utf-8").splitlines()
    )


def test_the_sites_own_promotion_leaves_the_text() -> None:
    html, expected = _page()
    article = cleaner.clean(html, URL)
    assert article.text.splitlines() == expected
    reasons = {block.text[:16]: block.reason for block in article.removed}
    assert reasons["The Harbourlight"] == "promo"


def test_without_the_sites_name_the_promotion_is_two_words_and_stays() -> None:
    """Two promotion words and no address to the reader are not enough: the name makes three."""
    html, _ = _page()
    unnamed = html.replace('<meta property="og:site_name" content="The Harbourlight">', "")
    article = cleaner.clean(
        unnamed.replace("The Harbourlight's", "The weekly"), "https://www.example.org/ferry"
    )
    assert "The weekly weekend edition is on sale" in article.text


@pytest.mark.parametrize(
    ("url", "site_name", "names"),
    [
        ("https://news.harbourlight.co.uk/a", None, {"harbourlight"}),
        ("https://www.harbour-light.de/a", "HARBOUR light", {"harbourlight"}),
        ("https://www.welt.example/a", None, set()),
        (None, "Ex", set()),
    ],
)
def test_site_names_come_from_the_address_and_the_declared_name(
    url: str | None, site_name: str | None, names: set[str]
) -> None:
    assert site_names(site_name, url) == names


def test_a_name_is_whole_words_of_the_line_not_part_of_one() -> None:
    names = site_names(None, "https://www.hafen-mag.example/")
    assert names == {"hafenmag"}
    assert names_itself("Die aktuelle Ausgabe des HAFEN-MAG jetzt im Abo.", names)
    assert not names_itself("Der Hafen magaziniert nichts.", names)
    assert not names_itself("A small harbour magazine about sailing.", names)


def test_a_name_the_text_is_about_is_no_signature() -> None:
    """On a site named for its subject (a language's blog), the name is the story's word."""
    names = site_names(None, "https://blog.harbourlight.example/")
    lines = [f"Harbourlight {version} is out, with a new pier planner." for version in ("4.1", "4.2", "4.3")]
    assert self_names(lines[:2], names) == names
    assert self_names(lines, names) == frozenset()
    line = "You can download Harbourlight 4.3 here, and the app for iOS and Android soon."
    text = "\n".join([lines[0], line, *lines[1:]])
    assert filter_lines(text, None, Removed(), names=names) == text.splitlines()
    assert filter_lines(f"{STORY}\n{line}\n{STORY}", None, Removed(), names=names) == [STORY, STORY]
    assert filter_lines(f"{STORY}\n{line}\n{STORY}", None, Removed()) == [STORY, line, STORY]


def test_link_cards_leave_the_page_wherever_they_stand() -> None:
    """A teaser card in one `<a>` between the story's paragraphs, and one in a side column."""
    html = (PAGE.parent / "link-card-teasers.html").read_text(encoding="utf-8")
    expected = (PAGE.parent / "link-card-teasers.expected.txt").read_text(encoding="utf-8").splitlines()
    article = cleaner.clean(html, "https://www.example.org/deich")
    assert article.text.splitlines() == expected
    assert [block.reason for block in article.removed].count("link-card") == 2


def test_a_link_around_the_story_is_no_card() -> None:
    """A link holding the page's prose (an `<a>` left open before the story) keeps it."""
    paragraphs = [f"{STORY} Paragraph {number} goes on about the pier and its repair." for number in range(5)]
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    article = cleaner.clean(
        f"<html><body><a href='/top'>{body}</a></body></html>", "https://www.example.org/a"
    )
    assert article.text.splitlines() == paragraphs


# Seventh round: author boxes, paid-content disclosures, captions closing on a © credit.
_PARAGRAPHS = "".join(
    f"<p>{STORY} The ferry company said paragraph {n} of its plan would be published in June, "
    "and the harbour master welcomed the news.</p>"
    for n in range(6)
)
_BIO = (
    "Mara Quillon has reported on the harbour towns of the north coast since 2009 and writes a "
    "weekly column on ferries, fishing and the weather."
)


def _story_page(box: str, before: str = "") -> str:
    return (
        "<html><head><title>Night ferry returns</title></head><body><article>"
        f"<h1>Night ferry returns</h1>{before}{_PARAGRAPHS}{box}</article></body></html>"
    )


@pytest.mark.parametrize(
    "box",
    [
        f'<section itemprop="author" itemscope><img src="/m.jpg"><b>Quillon</b><p>{_BIO}</p></section>',
        f'<div class="c-Writer-Card__Author"><span>About the writer</span><p>{_BIO}</p></div>',
        f'<aside id="autorenbox"><strong>Mara Quillon</strong> {_BIO}</aside>',
        f'<div itemtype="https://schema.org/Person" itemscope><div><p>{_BIO}</p></div></div>',
    ],
)
def test_an_author_box_after_the_story_leaves_the_text(box: str) -> None:
    article = cleaner.clean(_story_page(box), URL)
    assert "weekly column" not in article.text
    assert article.text.count("harbour master welcomed") == 6
    assert any(block.reason == "author-box" and "weekly column" in block.text for block in article.removed)


def test_a_byline_alone_is_no_author_box() -> None:
    """Too short to be a biography: it stays for the byline rule, which reads the author from it."""
    byline = '<div class="author-line">By Mara Quillon</div>'
    article = cleaner.clean(_story_page("", before=byline), URL)
    assert not any(block.reason == "author-box" for block in article.removed)


def test_a_story_wrapped_in_an_author_named_block_stays() -> None:
    """A CMS that names the story's wrapper after its author: the block holds the page's prose."""
    html = (
        _story_page("")
        .replace("<article>", '<article><div class="post-author-entry">')
        .replace("</article>", "</div></article>")
    )
    article = cleaner.clean(html, URL)
    assert article.text.count("harbour master welcomed") == 6


@pytest.mark.parametrize(
    "line",
    [
        "Some links in this guide are affiliate links: if you buy through them, the site is paid.",
        "We may earn a commission when you book through the offers on this page.",
        "Dieser Artikel enthält Werbung für eine Reederei.",
        "Werbung | enthält Affiliate-Links",
    ],
)
def test_a_paid_content_disclosure_leaves_the_text(line: str) -> None:
    removed = Removed()
    assert filter_lines(f"{STORY}\n{line}\n{STORY}", None, removed) == [STORY, STORY]
    assert [block.reason for block in removed.blocks] == ["disclosure"]


def test_a_quoted_disclosure_is_story() -> None:
    """A story about advertising rules quotes what the sites print: the quotation keeps it."""
    line = 'The regulator wants every review to say "this post contains affiliate links" in its first lines.'
    assert filter_lines(f"{STORY}\n{line}\n{STORY}", None, Removed()) == [STORY, line, STORY]


def test_a_caption_closing_on_a_copyright_credit_is_a_caption() -> None:
    removed = Removed()
    line = "The night ferry leaves the harbour at dusk. © Coastline Pictures / R. Vale"
    assert filter_lines(f"{STORY}\n{line}\n{STORY}", None, removed) == [STORY, STORY]
    assert removed.captions == [line]


def test_a_year_after_the_sign_is_a_notice_not_a_credit() -> None:
    """ "© 2024 ..." after story text is the copyright rule's (it keeps the story before it)."""
    removed = Removed()
    line = "The harbour master said the pier would reopen in June, weather permitting. © 2024"
    filter_lines(f"{STORY}\n{line}\n{STORY}", None, removed)
    assert removed.captions == []


def test_a_contact_block_after_the_story_leaves_with_its_names_and_numbers() -> None:
    removed = Removed()
    text = f"{STORY}\n{STORY}\nMedia contact:\nR. Vale, harbour office\nTel. +44 1632 960 018"
    assert filter_lines(text, None, removed) == [STORY, STORY]
    assert {block.reason for block in removed.blocks} == {"contact-block"}


def test_the_contact_block_ends_at_the_next_sentence() -> None:
    """Only the lines under the heading that are no sentence go: a paragraph after them stays."""
    text = f"{STORY}\n{STORY}\nKontakt:\nHafenamt Nord\n{STORY}"
    assert filter_lines(text, None, Removed()) == [STORY, STORY, STORY]


def test_a_contact_heading_before_the_story_is_left_to_the_story() -> None:
    """Above the story ("Contact" as the first line of a page about a contact form) it stays."""
    text = f"Contact\n{STORY}"
    assert filter_lines(text, None, Removed()) == ["Contact", STORY]
