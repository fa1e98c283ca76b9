"""docs/api.md: its ```python examples run, in order, against a small corpus built in a tmp dir."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import cleaner
from crawler.newsroom import pages
from crawler.newsroom.stories import ROMAN_ROAD
from storage import Corpus, FetchedPage, Outcome, make_engine
from storage.schema import upgrade

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
URL = "https://publisher.example/news/roman-road/"


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.DOTALL | re.MULTILINE)


def build_corpus(directory: Path) -> bytes:
    """wiredesk.db holding the Roman road story from its publisher, and page.html, the same page."""
    html = pages.publisher_article(ROMAN_ROAD, URL, []).encode("utf-8")
    (directory / "page.html").write_bytes(html)
    engine = make_engine(f"sqlite:///{directory / 'wiredesk.db'}")
    upgrade(engine)
    page = FetchedPage(
        URL, URL, URL, "publisher", datetime(2024, 12, 3, 8, tzinfo=UTC), 200, html, "text/html"
    )
    assert Corpus(engine).store(page, cleaner.clean(html, URL)).outcome is Outcome.NEW
    engine.dispose()
    return html


def test_the_api_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    html = build_corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WIREDESK_DB", raising=False)
    blocks = python_blocks(API_DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(API_DOC), "exec"), namespace)
    assert namespace["article"].title == ROMAN_ROAD.headline  # type: ignore[attr-defined]
    assert len(namespace["hits"]) == 2  # type: ignore[arg-type]
    assert namespace["result"].rows[0][1] == 2  # type: ignore[attr-defined]  # the copy joined the story
    assert namespace["titles"] == [ROMAN_ROAD.headline] * 2
    assert namespace["raw"].body == html  # type: ignore[attr-defined]
    assert namespace["again"].text == namespace["article"].text  # type: ignore[attr-defined]
