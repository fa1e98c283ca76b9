"""Pages that make trafilatura itself spend (issue 21, "no page costs more than 2 s or 300 MB to
clean"): a run of headings at the end of its result (quadratic), a fallback cascade on a page of
links, a page of megabytes of text. Each is bounded in cleaner/limits.py; the cost is measured by
benchmarks/hostile_pages.py, these tests hold the behaviour.
"""

from __future__ import annotations

from typing import Any

import pytest

import cleaner
from benchmarks.hostile_input import grouped, html_page
from cleaner import extract, limits

STORY = "Ports along the Adriatic coast were closed on Friday"
JSON_LD = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Storm warning"}</script>'


def _removed_reasons(article: cleaner.CleanArticle) -> set[str]:
    return {block.reason for block in article.removed}


def test_headings_past_the_limit_are_dropped_and_counted() -> None:
    """19,400 trailing <h2> cost trafilatura 2.9 s (each dropped after counting the rest)."""
    article = cleaner.clean(html_page(grouped("<h2>x</h2>", 3 * limits.MAX_HEADINGS)))
    assert article.found and STORY in article.text
    assert "too many headings" in _removed_reasons(article)


def test_headings_within_the_limit_are_all_kept() -> None:
    headings = "".join(f"<h2>Section {number} of the report</h2><p>Text.</p>" for number in range(300))
    article = cleaner.clean(html_page(headings))
    assert "too many headings" not in _removed_reasons(article)


def test_text_past_the_limit_is_cut_and_json_ld_after_it_is_read() -> None:
    """8 MB of text took 190 MB to clean; past MAX_TEXT_CHARS it is cut, scripts left whole."""
    words = "<p>" + "word " * (limits.MAX_TEXT_CHARS // 4) + "</p>"
    article = cleaner.clean(html_page(words + JSON_LD))
    assert article.found and STORY in article.text
    assert len(article.text) <= limits.MAX_TEXT_CHARS
    assert article.title == "Storm warning"
    cut = [block for block in article.removed if block.reason == "too much text"]
    assert len(cut) == 1 and f"after the first {limits.MAX_TEXT_CHARS:,}" in cut[0].text


def test_a_long_article_within_the_text_limit_is_whole() -> None:
    paragraphs = "".join(
        f"<p>Paragraph {number} of a long report on the storm.</p>" for number in range(5_000)
    )
    article = cleaner.clean(html_page(paragraphs))
    assert "Paragraph 4990 of a long report" in article.text
    assert "too much text" not in _removed_reasons(article)


@pytest.fixture
def cascades(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records each run of trafilatura's full cascade (an extraction that is not fast)."""
    runs: list[bool] = []
    extract_as_before = extract._extract

    def recorded(tree: Any, url: str | None, fast: bool) -> Any:
        if not fast:
            runs.append(True)
        return extract_as_before(tree, url, fast)

    monkeypatch.setattr(extract, "_extract", recorded)
    return runs


def test_the_cascade_runs_on_a_short_result_of_a_page_of_real_size(cascades: list[bool]) -> None:
    cleaner.clean(html_page(grouped("<li><a href='/x'>a link</a> and words</li>", 500)))
    assert cascades


def test_the_cascade_does_not_run_past_the_size_of_any_real_page(cascades: list[bool]) -> None:
    """A link list of 19,400 elements: the cascade cost 1.4 s more for the same 443 characters."""
    links = grouped("<li><a href='/x'>a link</a> and words</li>", limits.MAX_CASCADE_ELEMENTS)
    article = cleaner.clean(html_page(links))
    assert article.found and STORY in article.text
    assert not cascades
