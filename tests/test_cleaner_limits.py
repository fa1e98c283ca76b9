"""The cleaner's cost per page is bounded (issue #21): pages past the element, attribute, depth and
size limits keep their story and count what was cut. Time and memory are measured by
benchmarks/hostile_pages.py; this is behaviour only."""

from __future__ import annotations

import pytest
from cleanerpages import BODY, assert_storable, page

import cleaner
from benchmarks.hostile_input import cleaner_limits, hostile_pages
from cleaner import limits
from cleaner.rules import MAX_RULE_LINE, parse_site_rules

LIMITS = cleaner_limits()


HOSTILE = hostile_pages(LIMITS)


@pytest.mark.parametrize(
    ("kind", "reasons"),
    [
        ("1M <br> (4 MB)", {"too many elements"}),
        ("7.7 MB of <br>", {"too many elements"}),
        ("100k attributes on one tag", {"too many attributes on one tag"}),
        ("99 attributes on every tag, 8 MB", {"too many attributes"}),
        ("a row of cells past the child limit", {"too many children in one element"}),
        ("12 MB of comments after the story", {"body too large"}),
    ],
)
def test_pages_past_the_limits_keep_their_story_and_count_what_was_cut(kind: str, reasons: set[str]) -> None:
    """Past a limit the page is cut to fit, not refused: the story at its start is kept, and each
    cut is recorded with its reason."""
    article = cleaner.clean(HOSTILE[kind]())
    assert article.found, article.error
    assert "Ports along the Adriatic coast were closed on Friday" in article.text
    assert reasons <= {block.reason for block in article.removed}
    assert_storable(article)


def test_a_page_cut_to_the_element_limit_keeps_its_metadata_and_its_scripts_whole() -> None:
    """The cut comes at a start tag, never inside a script: JSON-LD after many tags is read, and a
    script's `<` are not counted as elements."""
    json_ld = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Storm <b>"}</script>'
    script = "<script>" + "if (i<n) { i++ }" * limits.MAX_ELEMENTS + "</script>"
    rows = "<ul>" + "<li>reply</li>" * limits.MAX_ELEMENTS + "</ul>"
    article = cleaner.clean(page(json_ld, body=script + BODY + rows))
    assert article.found and article.title == "Storm <b>"
    assert "Ports along the Adriatic coast" in article.text
    cut = [block for block in article.removed if block.reason == "too many elements"]
    assert len(cut) == 1 and "after the first 20,000 elements" in cut[0].text


def test_attributes_are_dropped_only_where_they_are_too_many() -> None:
    """Past the total, the attributes some pass reads stay: a share bar is still found by its class."""
    junk = " ".join(f"data-x{n}=y" for n in range(60))
    spans = "<div>" + f"<span {junk}>x</span>" * (limits.MAX_ATTRIBUTES // 50) + "</div>"
    share = '<div class="share-bar"><p>Share this story on every network you have an account on.</p></div>'
    article = cleaner.clean(page(body=BODY + share + spans))
    assert article.found and "Share this story" not in article.text
    assert "too many attributes" in {block.reason for block in article.removed}


@pytest.mark.parametrize(
    "kind",
    [
        "attributes under the limit",
        "tags of attributes under the tag limit",
        "elements under the limit (<p>)",
        "elements under the limit (<td>)",
        "nesting deeper than libxml2's limit",
        "JSON-LD nested 100k deep",
        "a 2M-character title",
        "a DOCTYPE of 1M slashes",
        "8 MB contributor line",
    ],
)
def test_pages_within_the_limits_are_cleaned(kind: str) -> None:
    article = cleaner.clean(HOSTILE[kind]())
    assert article.found, article.error
    assert "Ports along the Adriatic coast were closed on Friday" in article.text
    assert_storable(article)


def test_element_count_ignores_what_is_not_a_start_tag() -> None:
    """End tags, comments and `<` in text do not count: a page of many of them is cleaned."""
    noise = "</span><!-- c --> a < b " * (limits.MAX_ELEMENTS // 2)
    assert cleaner.clean(page(body=BODY + f"<p>{noise}</p>")).found


def test_a_slashed_doctype_and_a_self_closing_html_tag_are_repaired() -> None:
    """libxml2 misreads both (the whole page would be lost): the head repairs still apply."""
    doctype = (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/x.dtd">'
    )
    assert cleaner.clean(doctype + "\n" + page()).found
    self_closing = page().replace("<html>", '<html lang="en" />\n', 1)
    article = cleaner.clean(self_closing)
    assert article.found and "Ports along the Adriatic coast" in article.text


def test_more_attributes_than_a_tag_should_have_are_counted_on_the_tag() -> None:
    many = " ".join(f"a{n}" for n in range(limits.MAX_TAG_ATTRIBUTES + 1))
    article = cleaner.clean(page(body=f"<div {many}>{BODY}</div>"))
    assert article.found and "Ports along the Adriatic coast" in article.text
    assert [block.reason for block in article.removed if block.reason.startswith("too many")] == [
        "too many attributes on one tag"
    ]
    few = " ".join(f"a{n}" for n in range(limits.MAX_TAG_ATTRIBUTES - 10))
    article = cleaner.clean(page(body=f"<div {few}>{BODY}</div>"))
    assert article.found and not any(block.reason.startswith("too many") for block in article.removed)


def test_site_rule_patterns_see_short_lines_only() -> None:
    """A user's pattern is not ours to make linear: lines over MAX_RULE_LINE are not tried."""
    rules = parse_site_rules('[sites."pub.example"]\ndrop_lines = ["^Sign up.*news"]')
    short = "Sign up for our free news"
    long = "Sign up " + "and read the story of the week " * 40 + "in the news"
    options = cleaner.CleanOptions(site_rules=rules)
    article = cleaner.clean(page(body=f"{BODY}<p>{short}</p><p>{long}</p>"), "https://pub.example/a", options)
    assert len(long) > MAX_RULE_LINE and long in article.text and short not in article.text
