"""The crawl's report (crawler/report.py): typed counts that add up, read by the summary and --report."""

from __future__ import annotations

import io
import json
import re

from rich.console import Console
from scrapy.utils.test import get_crawler

from crawler.output import print_report
from crawler.report import CrawlReport, LossKind, Skip, crawl_report
from storage import Outcome

FIGURES = {
    "finish_reason",
    "fetched",
    "articles",
    "new",
    "copies",
    "duplicates",
    "revisions",
    "unchanged",
    "no_article",
    "spooled",
    "lost",
    "errors",
    "skipped",
    "listings",
    "older_feed_pages",
    "database_unavailable",
}
"""The keys of `--report` (docs/reliability.md): a daemon's runs and scripts read them."""


def a_crawl() -> CrawlReport:
    """Seven article pages, one of each end, and a listing, on two sources; one more source failed."""
    report = CrawlReport(finish_reason="finished")
    report.name_sources(["wire", "publisher", "gone"])
    report.error("gone", "dns")
    report.response("wire")  # the listing
    for source, outcome in [
        ("wire", Outcome.NEW),
        ("publisher", Outcome.COPY),
        ("publisher", Outcome.DUPLICATE),
        ("wire", Outcome.REVISION),
        ("wire", Outcome.SPOOLED),
    ]:
        report.response(source)
        report.article_page()
        report.store(source, outcome)
    report.response("wire")
    report.article_page()
    report.drop("no_text")
    report.response("publisher")
    report.article_page()
    report.lose("publisher", LossKind.TIME_LIMIT)
    report.skip(Skip.NOT_ARTICLE_SHAPED)
    report.skip(Skip.OFFSITE)
    report.skip(Skip.OFFSITE, -1)  # wanted by another listing after all
    report.skip("offsite_redirect", stats_key="drop")
    return report


def test_a_copy_is_counted_once_as_stored_never_as_a_duplicate() -> None:
    figures = a_crawl().figures()
    assert set(figures) == FIGURES
    assert (figures["new"], figures["copies"], figures["duplicates"]) == (2, 1, 1)


def test_every_article_page_ends_in_exactly_one_count() -> None:
    report = a_crawl()
    figures = report.figures()
    ends = ("new", "duplicates", "revisions", "unchanged", "no_article", "spooled", "lost")
    assert sum(figures[end] for end in ends) == figures["articles"] == 7
    assert report.in_progress == 0
    assert figures["fetched"] == 8 and figures["errors"] == {"dns": 1, "time_limit": 1}


def test_a_skip_taken_back_leaves_the_figures() -> None:
    assert a_crawl().figures()["skipped"] == {"not_article_shaped": 1, "offsite_redirect": 1}


def test_the_figures_are_json_and_the_summary_reads_the_same_report() -> None:
    report = a_crawl()
    assert json.loads(json.dumps(report.figures())) == report.figures()
    stream = io.StringIO()
    print_report(report, Console(file=stream, width=200))
    summary = stream.getvalue()
    assert "skipped: not article-shaped ×1, redirected off-site ×1" in summary
    assert "gone errors: dns ×1" in summary and "failed: gone" in summary
    assert re.search(r"articles lost to errors: 1\b.*time_limit ×1", summary)
    assert "fetched 8 = 7 articles + 1 other pages · articles: stored 2 (copies 1) · duplicates 1" in summary
    # The rows add up to that line: a source's `new` counts its copies, as `stored` does.
    assert re.search(r"publisher\W+3\W+1\W+1\W+1\W+0\W+0\W+1\W", summary)


def test_each_crawler_has_its_own_report_and_feeds_scrapys_stats() -> None:
    first, second = get_crawler(), get_crawler()
    assert crawl_report(first) is crawl_report(first) is not crawl_report(second)
    crawl_report(first).lose("wire", LossKind.STORE_FAILED)
    assert first.stats.get_value("wiredesk/lost/store_failed") == 1
    assert first.stats.get_value("wiredesk/source/wire/error/store_failed") == 1
    assert crawl_report(second).lost.total() == 0
