"""The cleaner on hostile input (issue #21): it never raises, every field it returns can be stored,
it decodes like a browser, and its cost per page is bounded. That its patterns run in linear time
is tests/test_patterns.py's.

Behaviour only: time and memory are measured by benchmarks/patterns.py and
benchmarks/hostile_pages.py.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cleaner
from benchmarks.hostile_input import cleaner_limits, hostile_pages
from cleaner import bounds, extract, limits, metadata
from cleaner.patterns import CONTACT_LINES, CONTRIBUTOR_LINE, CONTRIBUTOR_TAIL, CREDIT, UI_LINES, URL_LINE
from cleaner.rules import MAX_RULE_LINE, parse_site_rules
from cleaner.wire import byline

BODY = "<p>" + "Ports along the Adriatic coast were closed on Friday as a storm moved in. " * 6 + "</p>"
LIMITS = cleaner_limits()


def page(head: str = "", body: str = BODY, html_attributes: str = "") -> str:
    return f"<html{html_attributes}><head>{head}</head><body><article>{body}</article></body></html>"


def json_ld(document: str) -> str:
    return f'<script type="application/ld+json">{document}</script>'


def strings(article: cleaner.CleanArticle) -> Iterator[str]:
    """Every string the article holds, in lists and removed blocks too."""
    for value in article.to_dict().values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for item in value:
                yield from (item.values() if isinstance(item, dict) else [item])


def assert_storable(article: cleaner.CleanArticle) -> None:
    """What SQLite and PostgreSQL need of every text field: valid UTF-8, no NUL."""
    for value in strings(article):
        value.encode("utf-8")
        assert "\x00" not in value
    json.dumps(article.to_dict())


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


# --- decoding like a browser ----------------------------------------------------------------

ACCENTED = (
    "<p>In Zürich — so sagte sie — wurde über die Lage in Genève gesprochen, und „alle“ hörten zu.</p>\n"
)


def utf8_page(extra: bytes, charset: str | None = "utf-8", paragraphs: int = 400) -> bytes:
    """A 43 KB page of accented German in UTF-8 with `extra` bytes spliced in before its end."""
    head = f"<meta charset='{charset}'>" if charset else ""
    return page(head, ACCENTED * paragraphs).encode().replace(b"</article>", extra + b"</article>")


@pytest.mark.parametrize(
    ("extra", "replaced"),
    [
        pytest.param(b"<p>A CESU-8 emoji: \xed\xa0\xbd\xed\xb8\x80.</p>", 6, id="one CESU-8 emoji"),
        pytest.param(b"<p>Three latin-1 bytes: caf\xe9 na\xefve \xfc.</p>", 3, id="three latin-1 bytes"),
        pytest.param(b"<p>A character cut short: \xe2\x80.</p>", 1, id="a truncated character"),
    ],
)
@pytest.mark.parametrize("declared_in", ["meta", "http", "nowhere"])
def test_a_few_broken_bytes_leave_the_rest_of_a_utf8_page_intact(
    extra: bytes, replaced: int, declared_in: str
) -> None:
    body = utf8_page(extra, "utf-8" if declared_in == "meta" else None)
    assert len(body) > 43_000
    article = cleaner.clean(body, declared_charset="utf-8" if declared_in == "http" else None)
    assert "In Zürich — so sagte sie — wurde über die Lage in Genève gesprochen" in article.text
    assert "Ã" not in article.text and "â€" not in article.text
    assert article.text.count("\ufffd") == replaced


def test_a_latin1_page_labelled_utf8_is_read_as_windows_1252() -> None:
    """Mostly not valid UTF-8 (every accent a broken byte): the label is wrong, not the page."""
    html = page("<meta charset='utf-8'>", "<p>Zürich, “Genève” – São Paulo.</p>" * 40)
    article = cleaner.clean(html.encode("cp1252"))
    assert "Zürich, “Genève” – São Paulo." in article.text


def test_a_latin1_article_in_a_utf8_template_is_read_as_windows_1252() -> None:
    """Broken bytes outnumber valid characters: the article's legacy bytes decide."""
    template = "<nav>Startseite » Nachrichten © Verlag</nav>".encode()
    story = "<p>Die Straße nach Zürich war über Nacht gesperrt, sagte die Polizei.</p>".encode("cp1252")
    html = page("<meta charset='utf-8'>", "{}").encode().replace(b"{}", template + story * 20)
    assert "Die Straße nach Zürich war über Nacht gesperrt" in cleaner.clean(html).text


def test_latin1_labels_mean_windows_1252() -> None:
    html = page("<meta charset='iso-8859-1'>", "<p>“Curly quotes” and an en dash – in a story.</p>" * 12)
    assert "“Curly quotes” and an en dash – in a story." in cleaner.clean(html.encode("cp1252")).text


def test_a_meta_tag_naming_utf16_means_utf8() -> None:
    html = page("<meta charset='utf-16'>", "<p>Zürich und Genève are in the news today again.</p>" * 12)
    assert "Zürich und Genève" in cleaner.clean(html.encode("utf-8")).text


def test_the_http_charset_wins_over_the_meta_tag_and_a_bom_over_both() -> None:
    html = page("<meta charset='utf-8'>", "<p>Москва заявила о встрече министров на этой неделе.</p>" * 12)
    body = html.encode("cp1251")
    assert "Москва заявила" in cleaner.clean(body, declared_charset="windows-1251").text
    bom = b"\xef\xbb\xbf" + html.encode("utf-8")
    assert "Москва заявила" in cleaner.clean(bom, declared_charset="windows-1251").text


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
    assert URL_LINE.match("https://pub.example/news/storm ") and URL_LINE.match("(www.example.org/x).")
    assert not URL_LINE.match("https://pub.example/news/storm and more")
    assert UI_LINES.match("... Advertisement ...") and UI_LINES.match("12.5k comments")
    assert CONTACT_LINES.match("Write to Jane Doe at jane.doe@pub.example.")
    assert CREDIT.search("Officials met on Thursday (   Alberto Rossi/Pool/AP)")
    assert byline("By Tom Smith  and   Ana Ruiz ,Reuters") == (["Tom Smith", "Ana Ruiz"], "Reuters")


# --- bounded cost per page ------------------------------------------------------------------

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
