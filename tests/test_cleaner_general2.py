"""Rules narrowed or removed because they fit one dataset (docs/cleaning.md, "Issue 19: general2").
Every page and line here was written for these tests."""

from __future__ import annotations

import pytest

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
