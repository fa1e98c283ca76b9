"""Bad pages: the cleaner never raises on broken or mutated pages, and a page that takes too long to
clean is given up within the time limit, in a cleaning worker or in the crawl's own thread."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import run_wiredesk
from faultsite import (
    CLEAN_TIME_LIMIT,
    GOOD,
    SLOW_LISTING,
    SLOW_RULES,
    SLOW_TO_CLEAN,
    FaultSite,
    malformed,
    slow_to_clean,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cleaner
from crawler.cleaning import clean_in_time, site_rules
from crawler.newsroom import bulk, pages
from crawler.newsroom.stories import ADRIATIC_STORM, FERRY_TALKS, RAIL_STRIKE, RATES_HOLD, ROMAN_ROAD
from crawler.run import EXIT_ARTICLES_LOST

STORY = RAIL_STRIKE.paragraphs
URL = "https://pub.example/news/rail-strike"
# The newsroom's pages, as the crawler would fetch them: every template, and pages with no article.
REAL_PAGES = [
    pages.wire_article(FERRY_TALKS, "https://wire.example/a", [("/b", RATES_HOLD.headline)]).encode(),
    pages.portal_article(ADRIATIC_STORM, "https://portal.example/n").encode(),
    pages.publisher_article(ROMAN_ROAD, "https://pub.example/r/", [("/x", "Storm closes ports")]).encode(),
    bulk.bulk_article(7, "https://bulk.example/story/7", None),
    pages.listing_page("World", [("/a", "A story"), ("/b", "Another")], "/world/?page=2").encode(),
    pages.video_page("Storm footage").encode(),
    malformed(URL),
]
CHARSETS = ("utf-8", "windows-1251", "shift_jis", "latin-1", "utf-16", "gb18030", "no-such-charset", "")


def _story_page(markup: str) -> str:
    """RAIL_STRIKE's publisher page with `markup` in place of its second paragraph's end."""
    page = pages.publisher_article(RAIL_STRIKE, URL, [])
    second = page.index("</p>", page.index("</p>") + 1)
    return page[:second] + "</p>" + markup + page[second + 4 :]


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(malformed(URL).decode(), id="unclosed tags, 10000 nested divs after the text"),
        pytest.param(_story_page("</div></span></b></td></tr></table>"), id="stray end tags"),
        pytest.param(_story_page("<html><body><head><title>x</title></head>"), id="html and body again"),
        pytest.param(_story_page("<span>" * 250), id="250 unclosed spans in the middle"),
        pytest.param(_story_page("<div>" * 200 + "</div>" * 200), id="a 200-deep widget in the middle"),
        pytest.param(_story_page("<p><p><li></td>"), id="unclosed and unopened"),
        pytest.param(_story_page("<!DOCTYPE html><![CDATA[ stray "), id="doctype and CDATA in the body"),
        pytest.param(_story_page("\x00\x01\x02\x7f\ufffd"), id="NUL and control characters"),
    ],
)
def test_malformed_pages_keep_the_whole_article(page: str) -> None:
    article = cleaner.clean(page, URL)
    assert article.found, article.error
    assert all(paragraph in article.text for paragraph in STORY)


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param("<!-- never closed", id="unclosed comment"),
        pytest.param("<script>var late = '</p>", id="unclosed script"),
        pytest.param("<a href='x>link</a>", id="unterminated attribute"),
    ],
)
def test_markup_that_swallows_the_rest_ends_the_text_there_as_in_a_browser(markup: str) -> None:
    """A browser shows nothing after these either: the text is the two paragraphs before, nothing else."""
    article = cleaner.clean(_story_page(markup), URL)
    assert article.text == "\n".join(STORY[:2])


def test_text_below_ten_thousand_divs_is_read_whole() -> None:
    article = cleaner.clean("<html><body>" + "<div>" * 10_000 + _story_page(""), URL)
    assert article.found, article.error
    assert all(paragraph in article.text for paragraph in STORY)


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param("</body></html>", id="stray </html> in the middle"),
        pytest.param("<div>" * 300 + "</div>" * 300, id="a 300-deep widget in the middle"),
        pytest.param("<div>" * 10_000, id="10000 unclosed divs in the middle"),
    ],
)
def test_markup_that_stops_the_parser_early_does_not_cut_the_article_short(markup: str) -> None:
    """libxml2 stops at a stray </html> and past depth 255, where a browser reads on: so do we."""
    article = cleaner.clean(_story_page(markup), URL)
    assert article.found, article.error
    assert all(paragraph in article.text for paragraph in STORY)


@st.composite
def mutated_pages(draw: st.DrawFn) -> bytes:
    """A newsroom page after one to four edits of the kinds real breakage makes."""
    page = draw(st.sampled_from(REAL_PAGES))
    for _ in range(draw(st.integers(1, 4))):
        page = draw(st.sampled_from(MUTATIONS))(draw, page)
    return page


def _truncate(draw: st.DrawFn, page: bytes) -> bytes:
    return page[: draw(st.integers(0, len(page)))]


def _splice(draw: st.DrawFn, page: bytes) -> bytes:
    at = draw(st.integers(0, len(page)))
    return page[:at] + draw(st.binary(min_size=1, max_size=64)) + page[at:]


def _tag_range(draw: st.DrawFn, page: bytes) -> tuple[int, int]:
    """From one tag's `<` to a later one's: a run of whole and half elements."""
    starts = [i for i, byte in enumerate(page) if byte == ord("<")] or [0]
    first, second = sorted(draw(st.lists(st.sampled_from(starts), min_size=2, max_size=2)))
    return first, second


def _delete_tags(draw: st.DrawFn, page: bytes) -> bytes:
    start, end = _tag_range(draw, page)
    return page[:start] + page[end:]


def _duplicate_tags(draw: st.DrawFn, page: bytes) -> bytes:
    start, end = _tag_range(draw, page)
    return page[:end] + page[start:end] * draw(st.integers(1, 3)) + page[end:]


def _recharset(draw: st.DrawFn, page: bytes) -> bytes:
    """Declare another charset, and maybe re-encode the page in another: label and bytes may disagree."""
    declared = draw(st.sampled_from(CHARSETS)).encode()
    page = page.replace(b"charset='utf-8'", b"charset='" + declared + b"'")
    encoding = draw(st.sampled_from([c for c in CHARSETS if c not in ("no-such-charset", "")]))
    if draw(st.booleans()):
        page = page.decode("utf-8", errors="replace").encode(encoding, errors="replace")
    return page


MUTATIONS = (_truncate, _splice, _delete_tags, _duplicate_tags, _recharset)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_pages(), st.sampled_from((None, *CHARSETS)))
def test_mutated_real_pages_never_raise(page: bytes, http_charset: str | None) -> None:
    article = cleaner.clean(page, URL, declared_charset=http_charset)
    assert isinstance(article, cleaner.CleanArticle)
    assert article.found or article.error
    json.dumps(article.to_dict())  # what the spool and the store write must serialise


def test_time_limit_gives_up_a_slow_page_and_leaves_no_alarm_behind() -> None:
    before = signal.getsignal(signal.SIGALRM)
    options = cleaner.CleanOptions(site_rules=site_rules(str(SLOW_RULES)))
    slow = clean_in_time(slow_to_clean(), "http://127.0.0.6/slow", None, CLEAN_TIME_LIMIT, options)
    assert not slow.found and slow.error == f"time limit (still cleaning after {CLEAN_TIME_LIMIT:g} s)"
    assert signal.getsignal(signal.SIGALRM) is before and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert clean_in_time(malformed(URL), URL, "utf-8", CLEAN_TIME_LIMIT).found


def _crawl(db: Path, urls: list[str], *settings: str) -> subprocess.CompletedProcess[str]:
    """A verbose crawl of the fault site with the tests' time limit, and these settings on top."""
    options = [f"WIREDESK_CLEAN_TIME_LIMIT={CLEAN_TIME_LIMIT}", f"WIREDESK_CLEAN_RULES={SLOW_RULES}"]
    options += ["AUTOTHROTTLE_ENABLED=False", *settings]
    return run_wiredesk(
        "crawl",
        *(arg for url in urls for arg in ("--url", url)),
        "--db",
        f"sqlite:///{db}",
        "-v",
        *(arg for option in options for arg in ("-s", option)),
        check=False,
    )


def test_time_limit_in_the_crawl_thread(tmp_path: Path) -> None:
    """WIREDESK_CLEAN_WORKERS=0 cleans in the reactor's thread; the alarm gives up the page there too."""
    db = tmp_path / "c.db"
    with FaultSite() as site:
        result = _crawl(db, [site.url + SLOW_TO_CLEAN, site.url + GOOD], "WIREDESK_CLEAN_WORKERS=0")
    with sqlite3.connect(db) as connection:
        assert [url for (url,) in connection.execute("SELECT url FROM articles")] == [site.url + GOOD]
    assert "'wiredesk/lost/time_limit': 1" in result.stderr, result.stderr[-3000:]
    assert result.returncode == EXIT_ARTICLES_LOST, result.stderr[-3000:]


@pytest.mark.slow
def test_a_page_given_up_is_kept_raw_and_not_fetched_again_past_the_bound(tmp_path: Path) -> None:
    """The failed page is kept in `pages` (nothing is lost) and counted, and the crawl exits non-zero;
    with WIREDESK_CLEAN_FAILURES=1 the next crawl of its listing skips it instead of timing it out
    again, and exits 0: a page given up for good is no news."""
    db = tmp_path / "f.db"
    with FaultSite() as site:
        runs = [_crawl(db, [site.url + SLOW_LISTING], "WIREDESK_CLEAN_FAILURES=1") for _ in range(2)]
    assert "'wiredesk/lost/time_limit': 1" in runs[0].stderr, runs[0].stderr[-3000:]
    assert "'wiredesk/skip/failed_before': 1" in runs[1].stderr, runs[1].stderr[-3000:]
    assert "time_limit" not in runs[1].stderr
    assert [run.returncode for run in runs] == [EXIT_ARTICLES_LOST, 0]
    with sqlite3.connect(db) as connection:
        failed = connection.execute(
            "SELECT url, error, article_id, length(body_zlib) > 0 FROM pages WHERE outcome = 'failed'"
        )
        assert failed.fetchall() == [
            (site.url + SLOW_TO_CLEAN, "time limit (still cleaning after 1 s)", None, 1)
        ]
        assert [url for (url,) in connection.execute("SELECT url FROM articles")] == [site.url + GOOD]
