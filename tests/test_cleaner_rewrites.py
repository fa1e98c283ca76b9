"""Rewrites made for speed keep their meaning: the contributor-line patterns rewritten for linear
time (issue #21) and the tree walks that replaced XPath queries (issue 22) select what they did."""

from __future__ import annotations

import pytest
from cleanerpages import BODY, page

from cleaner import extract, metadata
from cleaner.patterns import CONTACT_LINES, CONTRIBUTOR_LINE, CONTRIBUTOR_TAIL, CREDIT, UI_LINES
from cleaner.wire import byline


@pytest.mark.parametrize(
    "line",
    [
        "Associated Press writer Jonas Berg in Stockholm contributed.",
        "___ Gatopoulos reported from Athens. Florent Bajrami in Skopje contributed.",
        "Jane Doe contributed to this report",
        "Reporting by Jan Lopatka; Editing by Toby Chopra",
    ],
)
def test_contributor_lines_still_match(line: str) -> None:
    assert CONTRIBUTOR_LINE.match(line)


@pytest.mark.parametrize(
    "line",
    [
        "He contributed to the fund. Then he left. Nobody knew why. And then it rained.",
        "The ministry said it contributed.. nothing",
        "Contributions were made to the fund by many donors.",
    ],
)
def test_sentences_that_only_mention_contributing_do_not(line: str) -> None:
    assert not CONTRIBUTOR_LINE.match(line)


def test_rewritten_patterns_keep_their_meaning() -> None:
    tail = CONTRIBUTOR_TAIL.search("The talks end on Friday. ___ Jane Doe in Rome contributed.")
    assert tail is not None and tail.group(1) == "Jane Doe in Rome contributed."
    assert tail.group(0).startswith(" ___")
    assert CONTRIBUTOR_TAIL.search("___ Jane Doe contributed.") is not None
    assert CONTRIBUTOR_TAIL.search("The road was built by ___ who contributed nothing") is not None
    assert UI_LINES.match("... Advertisement ...") and UI_LINES.match("12.5k comments")
    assert CONTACT_LINES.match("Write to Jane Doe at jane.doe@pub.example.")
    assert CREDIT.search("Officials met on Thursday (   Alberto Rossi/Pool/AP)")
    assert byline("By Tom Smith  and   Ana Ruiz ,Reuters") == (["Tom Smith", "Ana Ruiz"], "Reuters")


# --- the speed-ups keep what the XPath they replaced selected (issue 22) ----------------------


def test_the_tree_is_plain_html_elements_whatever_the_tag() -> None:
    """The parser picks element classes in C: no lxml.html form classes (their Python lookup ran
    for every element Python touched)."""
    tree, _ = extract.parse_tree(page(body=f'<form><input name="q"><textarea></textarea></form>{BODY}'))
    assert tree is not None
    assert {type(element).__name__ for element in tree.iter()} == {"HtmlElement"}


def test_metadata_reads_the_first_of_each_element_in_page_order() -> None:
    head = (
        '<link rel="alternate" href="https://pub.example/amp"><link rel="canonical">'
        '<link rel="canonical" href="https://pub.example/story"><base href="https://cdn.example/a/">'
        '<meta property="article:tag" content="storms"><meta property="article:tag">'
        '<meta property="article:tag" content="ports">'
    )
    body = (
        '<time>Friday</time><time datetime=" 2024-03-01T10:00:00Z ">Friday</time>'
        '<time datetime="2020-01-01">old</time><h1>Ports   closed</h1><h1>Second</h1>'
        '<figure><a href="/x"><img src="linked.jpg"></a></figure>'
        '<a><figure><img src="teaser.jpg"></figure></a>'
        f'<img src="story.jpg"><a href="/y"><img src="link.jpg"></a>{BODY}'
    )
    tree, _ = extract.parse_tree(page(head, body, ' lang="de-AT"'))
    found = metadata.read_metadata(tree, "https://pub.example/story")
    assert found.canonical_url == "https://pub.example/story"
    assert found.published is not None and found.published.isoformat() == "2024-03-01T10:00:00+00:00"
    assert found.title == "Ports closed" and found.language == "de" and found.keywords == ["storms", "ports"]
    assert [image["url"] for image in found.images] == [
        "https://cdn.example/a/linked.jpg",
        "https://cdn.example/a/story.jpg",
    ]


@pytest.mark.parametrize(
    ("attributes", "is_byline"),
    [
        ('class="meta\tbyline"', True),
        ('class="story-byline__name"', True),
        ('class="post-author"', True),
        ('rel="author"', True),
        ('class="bylines"', False),
        ('class="meta\xa0byline"', False),  # normalize-space() splits at XML's white space only
    ],
)
def test_the_byline_block_is_the_first_element_named_so(attributes: str, is_byline: bool) -> None:
    tree, _ = extract.parse_tree(page(body=f"<div {attributes}>By Ana Ruiz</div>{BODY}"))
    assert metadata.read_metadata(tree).authors == (["By Ana Ruiz"] if is_byline else [])
