"""What closes a text, judged by signals that hold on any site: a line above a photo credit heads
nothing, and a page that speaks to its reader throughout has no closing plug. Every page and line
here was written for these tests."""

from __future__ import annotations

import cleaner
from cleaner.lines import filter_lines
from cleaner.removal import Removed

STORY = (
    "The council voted on Tuesday to keep the old library open for another two years, after a "
    "petition signed by more than four thousand residents.",
    "The building needs a new roof and a lift, and the council will ask the county for half of "
    "the cost, about two million in all.",
    "Library staff said the number of visitors had risen every month since the reading room "
    "reopened in the spring, most of them schoolchildren.",
)


def test_a_closing_line_above_a_photo_credit_is_no_dangling_heading() -> None:
    slogan = "Without a free library, a town has no memory"
    credit = "Illustrative picture, the reading room by J. Doe, licence CC BY 2.0"
    removed = Removed()
    kept = filter_lines("\n".join((*STORY, slogan, credit)), None, removed)
    assert kept[-1] == slogan
    assert [block.reason for block in removed.blocks] == ["picture-credit"]


def test_a_heading_left_alone_at_the_end_still_dangles() -> None:
    removed = Removed()
    kept = filter_lines("\n".join((*STORY, "From our archive")), None, removed)
    assert kept == list(STORY)
    assert [block.reason for block in removed.blocks] == ["dangling-heading"]


SERVICE_URL = "https://www.studio-north.test/design/"
SERVICE = (
    "You want your brand to be remembered? Then your design has to tell your story at a glance, "
    "on your website as much as on your letterhead.",
    "We listen to you first: what you sell, whom you sell it to, and what your customers should "
    "feel when they see your name for the first time.",
    "Your logo, your colours and your type then become one system that you can use everywhere, "
    "from the shop window to your social media profiles.",
    "Responsive layouts are part of it: your pages look right on every screen your customers use, "
    "and you can change them yourself without calling us.",
)
CLOSING = (
    "Design goes beyond the screen, and we also draw <a href='/illustration/'>illustrations</a> "
    "for your brochures and packaging, so that you can show your products at their best."
)


def _page(paragraphs: tuple[str, ...], closing: str) -> str:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        "<html><head><title>Design</title></head><body><main><article>"
        f"{body}<div class='outro'><p>{closing}</p></div></article></main></body></html>"
    )


def test_a_page_that_speaks_to_its_reader_throughout_keeps_its_closing_paragraph() -> None:
    article = cleaner.clean(_page(SERVICE, CLOSING), SERVICE_URL)
    assert "we also draw illustrations" in article.text
    assert "site-plug" not in {block.reason for block in article.removed}


def test_a_story_told_in_the_third_person_still_loses_its_closing_plug() -> None:
    story = (*STORY, STORY[0].replace("Tuesday", "Monday"))
    plug = (
        "Did you like this story? You can read all of our reporting with a <a href='/abo/'>subscription</a>."
    )
    article = cleaner.clean(_page(story, plug), "https://www.town-herald.test/2025/05/library-stays-open")
    assert "Did you like this story" not in article.text
    assert "site-plug" in {block.reason for block in article.removed}
