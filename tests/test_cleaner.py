"""The cleaner on pages in the style of wire sites and republishers, and on hostile input."""

from __future__ import annotations

import pytest
from cleaner_noise import NOISE
from hypothesis import given, settings
from hypothesis import strategies as st

import cleaner
from cleaner.lines import filter_lines
from cleaner.removal import Removed
from cleaner.wire import byline, dateline
from crawler.newsroom import pages
from crawler.newsroom.stories import FERRY_TALKS, FERRY_TALKS_REPUBLISHED, ROMAN_ROAD


@pytest.mark.parametrize(
    ("html", "story"),
    [
        pytest.param(
            pages.wire_article(FERRY_TALKS, "https://wire.example/a", [("/b", "Another story")]),
            FERRY_TALKS,
            id="agency page",
        ),
        pytest.param(
            pages.portal_article(FERRY_TALKS_REPUBLISHED, "https://portal.example/n"),
            FERRY_TALKS_REPUBLISHED,
            id="portal",
        ),
        pytest.param(
            pages.publisher_article(ROMAN_ROAD, "https://pub.example/r/", [("/x", "Storm closes ports")]),
            ROMAN_ROAD,
            id="UK publisher with PA copy",
        ),
    ],
)
def test_story_complete_and_noise_gone(html: str, story: object) -> None:
    article = cleaner.clean(html)
    for paragraph in story.paragraphs:  # type: ignore[attr-defined]
        assert paragraph in article.text
    for noise in NOISE:
        assert noise not in article.text, noise
    assert len(article.text.splitlines()) == len(story.paragraphs)  # type: ignore[attr-defined]


def test_wire_metadata() -> None:
    article = cleaner.clean(pages.wire_article(FERRY_TALKS, "https://wire.example/a", []))
    assert (article.dateline, article.agency) == ("VALLETTA, Malta", "AP")
    assert article.authors == ["Maria Lindqvist"]
    assert article.contributors == ["Associated Press writer Jonas Berg in Stockholm contributed."]
    assert article.published is not None and article.published.tzinfo is not None
    assert {b.reason for b in article.removed} >= {"copyright", "contributor"}


def test_captions_and_credits_are_kept_apart() -> None:
    article = cleaner.clean(pages.publisher_article(ROMAN_ROAD, "https://pub.example/r/", []))
    assert "Officials met on Thursday (Alberto Rossi/Pool/AP)" in article.captions
    assert article.agency == "PA"


@pytest.mark.parametrize(
    ("text", "people", "agency"),
    [
        ("By Jane Doe, Associated Press", ["Jane Doe"], "AP"),
        ("By Press Association", [], "PA"),
        ("By Tom Smith and Ana Ruiz, Reuters", ["Tom Smith", "Ana Ruiz"], "Reuters"),
        ("By AFP", [], "AFP"),
        ("By Maria Lindqvist, Global Wire staff writer", ["Maria Lindqvist"], None),
    ],
)
def test_bylines_name_people_only(text: str, people: list[str], agency: str | None) -> None:
    assert byline(text) == (people, agency)


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("SKOPJE, North Macedonia (AP) — Russian Foreign Minister", ("SKOPJE, North Macedonia", "AP")),
        ("PRAGUE (Reuters) - The Czech National Bank", ("PRAGUE", "Reuters")),
        ("The Czech National Bank (CNB) said", (None, None)),
    ],
)
def test_datelines(paragraph: str, expected: tuple[str | None, str | None]) -> None:
    assert dateline(paragraph) == expected


@pytest.mark.parametrize(
    ("body", "charset"),
    [
        (
            "<html><head><meta charset='windows-1251'></head>"
            "<body><article><p>{}</p></article></body></html>",
            "cp1251",
        ),
        (
            "<html><head><meta charset='utf-8'></head><body><article><p>{}</p></article></body></html>",
            "latin-1",
        ),
        ("\ufeff<html><body><article><p>{}</p></article></body></html>", "utf-8"),
        (
            "<html><head><meta charset='shift_jis'></head><body><article><p>{}</p></article></body></html>",
            "shift_jis",
        ),
    ],
)
def test_charsets(body: str, charset: str) -> None:
    words = {
        "cp1251": "Москва заявила",
        "latin-1": "Zürich und Genève",
        "utf-8": "café",
        "shift_jis": "東京で会議",
    }
    sentence = " ".join([words[charset] + " is news about the meeting of the ministers."] * 12)
    article = cleaner.clean(body.format(sentence).encode(charset, errors="strict"))
    assert words[charset] in article.text


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", "empty body"),
        (b"%PDF-1.7 " + bytes(range(256)), "binary body"),
        (b"\x89PNG\r\n", "binary body"),
        (b"<html><body><nav>Home</nav></body></html>", "no article found"),
        (b"<" * 10000, "unparseable HTML"),
    ],
)
def test_bad_pages_are_results_not_exceptions(body: bytes, error: str) -> None:
    article = cleaner.clean(body)
    assert not article.found and article.error == error


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=3000) | st.text(max_size=3000).map(lambda t: f"<html><body><p>{t}</p></body></html>")
)
def test_never_raises(body: bytes | str) -> None:
    article = cleaner.clean(body)
    assert article.found or article.error


def test_metadata_from_json_ld_meta_tags_and_time() -> None:
    html = (
        """<html lang="en-GB"><head><title>Site | Storm</title>
    <link rel="canonical" href="https://pub.example/news/storm/">
    <meta property="og:title" content="Storm closes ports">
    <meta name="description" content="Ferries cancelled.">
    <script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [{"@type": "WebSite"},
      {"@type": ["NewsArticle"], "headline": "Storm closes ports",
       "datePublished": "2024-12-06T09:10:00+01:00",
       "dateModified": "2024-12-06T11:00:00Z", "author": [{"@type": "Person", "name": "Jane Doe"},
       {"@type": "Organization", "name": "Associated Press"}]}]}</script></head>
    <body><article><p>"""
        + "Ports along the Adriatic coast were closed on Friday. " * 10
        + """</p></article></body></html>"""
    )
    article = cleaner.clean(html)
    assert (article.title, article.summary, article.language) == (
        "Storm closes ports",
        "Ferries cancelled.",
        "en",
    )
    assert article.canonical_url == "https://pub.example/news/storm/" and article.page_type == "newsarticle"
    assert article.published is not None and article.published.isoformat() == "2024-12-06T09:10:00+01:00"
    assert article.modified is not None and article.modified.tzinfo is not None
    assert (article.authors, article.agency) == (["Jane Doe"], "AP")


def test_caption_description_goes_with_its_credit() -> None:
    removed = Removed()
    lines = filter_lines(
        "Mr Lavrov accused the West of reviving the Cold War.\n"
        "Antony Blinken reads sheafs of papers\n"
        "US secretary of state Antony Blinken put the blame back on Russia (Alberto Pizzoli/Pool/AP)\n"
        "The Russian war criminal at this table should know this, he said.",
        None,
        removed,
    )
    assert lines == [
        "Mr Lavrov accused the West of reviving the Cold War.",
        "The Russian war criminal at this table should know this, he said.",
    ]
    assert removed.captions == [
        "Antony Blinken reads sheafs of papers US secretary of state Antony Blinken put the blame back "
        "on Russia (Alberto Pizzoli/Pool/AP)"
    ]
