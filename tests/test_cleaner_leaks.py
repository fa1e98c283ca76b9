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
