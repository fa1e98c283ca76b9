"""The cleaner on hostile input (issue #21): it never raises, and every field it returns can be
stored, capped where it is read. How it decodes is tests/test_cleaner_decoding.py's, its bounded
cost per page tests/test_cleaner_limits.py's, its linear-time patterns tests/test_patterns.py's.

Behaviour only: time and memory are measured by benchmarks/patterns.py and
benchmarks/hostile_pages.py.
"""

from __future__ import annotations

import sys

import pytest
from cleanerpages import BODY, assert_storable, json_ld, page
from hypothesis import given, settings
from hypothesis import strategies as st

import cleaner
from cleaner import bounds, extract, metadata

# --- clean() never raises -------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        pytest.param("[" * 1_000 + "]" * 1_000, id="lists 1,000 deep"),
        pytest.param('{"a":' * 1_000 + "1" + "}" * 1_000, id="objects 1,000 deep"),
        pytest.param('{"@graph":' * 1_000 + "[]" + "}" * 1_000, id="@graph 1,000 deep"),
        pytest.param('{"@graph":' * 900 + "[]" + "}" * 900, id="@graph 900 deep, readable"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="lists 100,000 deep"),
    ],
)
def test_json_ld_nested_deep_is_skipped_and_the_article_kept(document: str) -> None:
    article = cleaner.clean(page(json_ld(document) + "<title>Storm closes ports</title>"))
    assert article.found and article.title == "Storm closes ports"


@pytest.mark.parametrize("field", ["headline", "description", "author", "@type"])
@pytest.mark.parametrize("escape", ["\\ud800", "\\udc00", "\\ud83d", "\\u0000", "\\u0001", "\\uffff"])
def test_unencodable_characters_in_json_ld_never_reach_the_result(field: str, escape: str) -> None:
    value = f"Storm {escape} closes ports"
    article = cleaner.clean(page(json_ld(f'{{"@type": "NewsArticle", "{field}": "{value}"}}')))
    assert article.found, article.error
    assert_storable(article)
    if field == "headline":
        assert (
            article.title is not None
            and article.title.startswith("Storm")
            and article.title.endswith("ports")
        )


def test_a_lone_surrogate_becomes_a_replacement_character_and_a_pair_its_character() -> None:
    article = cleaner.clean(page(json_ld('{"@type": "NewsArticle", "description": "A \\ud800 b"}')))
    assert article.summary == "A \ufffd b"
    assert bounds.encodable("smile \ud83d\ude00 and \udc00") == "smile \U0001f600 and \ufffd"


def test_surrogates_in_a_page_given_as_text_never_reach_the_result() -> None:
    article = cleaner.clean(page(body=BODY.replace("Friday", "Fri\udc80day")))
    assert article.found and "Fri\ufffdday" in article.text
    assert_storable(article)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "2024-13-45"])
def test_a_date_with_no_utc_time_is_left_out(when: str) -> None:
    article = cleaner.clean(page(f'<meta property="article:published_time" content="{when}">'))
    assert article.found and article.published is None


@pytest.mark.parametrize(
    ("failure", "kind"),
    [(RecursionError("maximum recursion depth exceeded"), "RecursionError"), (KeyError("x"), "KeyError")],
)
def test_any_exception_of_a_pass_becomes_the_pages_error(
    monkeypatch: pytest.MonkeyPatch, failure: Exception, kind: str
) -> None:
    """A failure nobody foresaw (here injected into the metadata pass) is the page's error, named,
    so the crawl records a failed page instead of losing it."""

    def fail(*args: object) -> None:
        raise failure

    monkeypatch.setattr(sys.modules["cleaner.clean"], "read_metadata", fail)
    article = cleaner.clean(page())
    assert not article.found and article.error is not None
    assert article.error.startswith(f"cleaner failed: {kind}")
    assert len(article.error) <= bounds.MAX_ERROR_CHARS


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=0xFFFF), max_size=40),
    st.sampled_from(["headline", "description", "author", "inLanguage", "@type"]),
)
def test_any_json_ld_string_gives_a_storable_result(code_points: list[int], field: str) -> None:
    value = "".join(f"\\u{point:04x}" for point in code_points)
    article = cleaner.clean(page(json_ld(f'{{"@type": "NewsArticle", "{field}": "{value}"}}')))
    assert article.found or article.error
    assert_storable(article)


# --- metadata caps --------------------------------------------------------------------------


def test_a_two_million_character_title_is_cut() -> None:
    article = cleaner.clean(page(f'<meta property="og:title" content="{"T" * 2_000_000}">'))
    assert article.found and article.title == "T" * bounds.MAX_TITLE_CHARS


def test_summary_authors_and_captions_are_capped() -> None:
    authors = ", ".join(f'{{"@type": "Person", "name": "Ana Ruiz{n}"}}' for n in range(200))
    head = json_ld(f'{{"@type": "NewsArticle", "author": [{authors}]}}')
    head += f'<meta name="description" content="{"word " * 5_000}">'
    figures = "".join(
        f"<figure><img src='/{n}.jpg'><figcaption>Photo {n}</figcaption></figure>" for n in range(300)
    )
    article = cleaner.clean(page(head, BODY + figures))
    assert article.found
    assert article.summary is not None and len(article.summary) <= bounds.MAX_SUMMARY_CHARS
    assert article.authors == [f"Ana Ruiz{n}" for n in range(bounds.MAX_AUTHORS)]
    assert len(article.captions) == bounds.MAX_CAPTIONS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("en-GB", "en"),
        ("de_AT", "de"),
        ("gsw", "gsw"),
        ("x" * 30, None),
        ("e", None),
        ("12", None),
        ("", None),
    ],
)
def test_the_language_is_a_primary_language_subtag_or_nothing(value: str, expected: str | None) -> None:
    """A declared tag that is not one counts as no declaration: the language is then the text's."""
    article = cleaner.clean(page(html_attributes=f' lang="{value}"'))
    if expected is None:
        assert article.language_detected and article.language != value
    else:
        assert (article.language, article.language_detected) == (expected, False)


def test_names_and_urls_too_long_are_dropped_not_cut() -> None:
    canonical = "https://pub.example/" + "a" * bounds.MAX_URL_BYTES
    head = f'<link rel="canonical" href="{canonical}">'
    head += json_ld(f'{{"@type": "NewsArticle", "author": ["{"Jane Doe " * 30}", "Ana Ruiz"]}}')
    article = cleaner.clean(page(head))
    assert article.canonical_url is None
    assert article.authors == ["Ana Ruiz"]


@pytest.mark.parametrize(
    ("declared", "expected"),
    [('"x" * 1', None), ('{"name": "NewsArticle"}', None), ('["NewsArticle"]', "newsarticle")],
)
def test_the_page_type_is_a_type_name_or_nothing(declared: str, expected: str | None) -> None:
    document = f'{{"@type": {declared}, "headline": "Storm"}}'.replace('"x" * 1', '"' + "x" * 100 + '"')
    assert cleaner.clean(page(json_ld(document))).page_type == expected


def test_metadata_is_capped_where_it_is_read() -> None:
    """The standfirst search compares the description with text nodes: it gets the capped one."""
    tree, _ = extract.parse_tree(page(f'<meta name="description" content="{"d" * 100_000}">'))
    assert len(metadata.read_metadata(tree).description or "") == bounds.MAX_SUMMARY_CHARS
