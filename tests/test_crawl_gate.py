"""The corpus gate (crawler/corpusgate.py) asks about the article requests that wait together at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawler.corpusgate import ARTICLE_META, CorpusGate, NotFetched, Wanted
from storage import open_corpus


def _gate(db_url: str, max_articles: int) -> tuple[CorpusGate, list[list[str]]]:
    """A gate on a fresh corpus that answers in this thread, and the URLs of each question it asks."""
    settings = {"WIREDESK_CLEAN_FAILURES": 3, "WIREDESK_MAX_ARTICLES": max_articles}
    corpus = open_corpus(db_url, migrate=True)
    gate = CorpusGate(get_crawler(settings_dict=settings), corpus)
    questions: list[list[str]] = []
    known_urls = corpus.known_urls

    def counted(urls: list[str]) -> Any:
        questions.append(list(urls))
        return known_urls(urls)

    async def here(question: Callable[[], Any], unknown: Any) -> Any:
        await asyncio.sleep(0)  # as a thread would: the requests sent meanwhile wait together
        return question()

    corpus.known_urls = counted  # type: ignore[method-assign]
    gate._in_thread = here  # type: ignore[method-assign]
    return gate, questions


def test_requests_that_wait_together_are_judged_in_one_question_and_in_order(sqlite_url: str) -> None:
    gate, questions = _gate(sqlite_url, max_articles=2)
    urls = ["http://127.0.0.2/a/1", "http://127.0.0.2/a/2", "http://127.0.0.2/a/1", "http://127.0.0.2/a/3"]

    async def scenario() -> list[object]:
        requests = [Request(url, meta={ARTICLE_META: Wanted()}) for url in urls]
        return await asyncio.gather(*map(gate.process_request, requests), return_exceptions=True)

    first, second, again, third = asyncio.run(scenario())
    assert first is None and second is None
    assert isinstance(again, NotFetched) and str(again) == f"already requested: {urls[0]}"
    assert isinstance(third, NotFetched) and str(third) == f"max_articles: {urls[3]}"
    assert questions == [[urls[0], urls[1], urls[3]]]
    assert gate.stats.get_value("wiredesk/skip/max_articles") == 1


@pytest.mark.parametrize("later", [1, 2])
def test_a_request_after_the_batch_is_asked_about_on_its_own(sqlite_url: str, later: int) -> None:
    gate, questions = _gate(sqlite_url, max_articles=10)

    async def scenario() -> None:
        await gate.process_request(Request("http://127.0.0.2/a/1", meta={ARTICLE_META: Wanted()}))
        for number in range(later):
            await gate.process_request(Request(f"http://127.0.0.2/b/{number}", meta={ARTICLE_META: Wanted()}))

    asyncio.run(scenario())
    assert questions == [["http://127.0.0.2/a/1"], *[[f"http://127.0.0.2/b/{n}"] for n in range(later)]]
