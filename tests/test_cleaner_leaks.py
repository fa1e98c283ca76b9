"""Must-drop lines that leaked into the text on pages the cleaner had not seen (issue 15, sixth
round): the site naming itself in a promotion, and an appeal to the reader closing a story that
does not address the reader. Fixtures are pages and lines written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import cleaner
from cleaner.lines import filter_lines
from cleaner.removal import Removed
from cleaner.sitename import names_itself, site_names

PAGE = Path(__file__).parent / "pages" / "closing-appeal-and-self-promotion"
URL = "https://www.harbourlight.net/2024/05/night-ferry"
STORY = (
    "The council met on Tuesday evening and agreed to repair the old pier before the summer season, "
    "after a long debate about the cost."
)


def _page() -> tuple[str, list[str]]:
    return PAGE.with_suffix(".html").read_text(encoding="utf-8"), (
        PAGE.with_suffix(".expected.txt").read_text(encoding="utf-8").splitlines()
    )


def test_the_sites_own_promotion_and_its_closing_appeal_leave_the_text() -> None:
    html, expected = _page()
    article = cleaner.clean(html, URL)
    assert article.text.splitlines() == expected
    reasons = {block.text[:16]: block.reason for block in article.removed}
    assert reasons["The Harbourlight"] == "promo"
    assert reasons["Liked this story"] == "appeal"


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
        ("https://www.abc.com/a", None, set()),
        (None, "Ex", set()),
    ],
)
def test_site_names_come_from_the_address_and_the_declared_name(
    url: str | None, site_name: str | None, names: set[str]
) -> None:
    assert site_names(site_name, url) == names


def test_a_name_is_whole_words_of_the_line_not_part_of_one() -> None:
    names = site_names(None, "https://www.l-mag.example/")
    assert names == {"lmag"}
    assert names_itself("Die aktuelle Ausgabe der L-MAG jetzt im Abo.", names)
    assert not names_itself("A small magazine about sailing.", names)


def test_a_closing_appeal_goes_when_the_story_does_not_address_the_reader() -> None:
    appeal = "Alles über die Fähren der Region findest du hier."
    removed = Removed()
    assert filter_lines("\n".join([STORY] * 4 + [appeal]), None, removed) == [STORY] * 4
    assert [block.reason for block in removed.blocks] == ["appeal"]


@pytest.mark.parametrize(
    "lines",
    [
        # A guide talks to its reader all along: its last line is its own.
        ["Wenn Sie eine Fähre buchen, prüfen Sie zuerst den Fahrplan."] * 4
        + ["Am Ende wissen Sie, welche Verbindung für Sie passt."],
        # "Sie" opening a sentence is "she" or "they" as often.
        [STORY] * 4 + ["Sie wollen im Herbst über den Neubau des Hafens entscheiden."],
        # A quoted "you" is the story's.
        [STORY] * 4 + ['"You will see the pier open again by June", the mayor told the meeting on Tuesday.'],
        # Too short a story to tell its closing from its body.
        [STORY, "Alles über die Fähren der Region findest du hier."],
    ],
)
def test_closing_lines_that_are_no_appeal_stay(lines: list[str]) -> None:
    assert filter_lines("\n".join(lines), None, Removed()) == lines
