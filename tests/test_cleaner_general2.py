"""Rules narrowed or removed because they fit one dataset (docs/cleaning.md, "Issue 19: general2").
Every page and line here was written for these tests."""

from __future__ import annotations

import pytest

import cleaner
from cleaner.lines import filter_lines
from cleaner.removal import Removed

STORY = "The theatre's winter season opens on Friday with a new staging of a palace tale."
CLOSING = "Tickets go on sale at the box office and online from Monday morning."


@pytest.mark.parametrize(
    "address",
    [
        "www.harbour-theatre.test",
        "https://pub.example/2013/02/the-source-this-story-cites.html",
        "http://short.example/2iJFhRj",
    ],
)
def test_a_bare_address_on_a_line_of_its_own_stays(address: str) -> None:
    """A site's own address under its story, a cited source, a shop link: the three datasets'
    annotators keep every such line, and none is in any set's furniture."""
    removed = Removed()
    assert filter_lines(f"{STORY}\n{address}\n{CLOSING}", None, removed) == [STORY, address, CLOSING]
    assert removed.blocks == []


FIRST = (
    "The council approved the new bus lanes on Tuesday after a debate that ran late into the evening, "
    "with residents of the old town speaking for and against the plan."
)
SECOND = (
    "Work on the first lane is due to start in March and to last six weeks, the council said, and "
    "the buses will keep their routes while the road is closed."
)
THIRD = (
    "Shopkeepers on the high street asked for the work to stop over the Easter weekend, when the "
    "town expects its first visitors of the year."
)


def _story(second: str, prompt: str) -> str:
    return (
        "<html><head><title>Bus lanes approved</title></head><body><article><h1>Bus lanes approved</h1>"
        f"<p>{FIRST}</p>{second}<p>{THIRD}</p>{prompt}</article></body></html>"
    )


PROMPT = "<div class='paywall-box'><p>Subscribe to read on.</p><a href='/subscribe'>Subscribe</a></div>"


@pytest.mark.parametrize(
    "second",
    [
        f"<p class='paywall'>{SECOND}</p>",
        f"<p><span class='paywall'>{SECOND}</span></p>",
    ],
)
def test_a_prose_paragraph_or_a_part_of_one_stays_whatever_its_name(second: str) -> None:
    """Running text is the story's, whatever its class says: a CMS marks a paragraph, or the span of
    a sentence, behind its paywall as `paywall`; the prompt box named so still goes."""
    article = cleaner.clean(_story(second, PROMPT), "https://www.valley-post.test/2025/03/bus-lanes")
    assert SECOND in article.text
    assert FIRST in article.text and THIRD in article.text
    assert "Subscribe to read on" not in article.text
