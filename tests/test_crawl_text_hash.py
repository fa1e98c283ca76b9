"""The text's hash computed where the page is cleaned (`clean_and_hash`, in a cleaning worker) and
taken by storage (`FetchedPage.text_hash`) instead of hashing the text again in its writer thread."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from cleaner import CleanArticle
from cleaner.fingerprint import text_hash
from crawler.cleaning import clean_and_hash
from storage import Corpus, FetchedPage, Outcome
from storage.models import Article

T0 = datetime(2024, 12, 5, 12, tzinfo=UTC)
TEXT = "Story one. " + " ".join(f"harbour{i} reopens" for i in range(60))
# A hash no text of these tests has: storage storing it is storage taking the page's hash.
MARK = "f" * 64


def _page(url: str, digest: str | None) -> FetchedPage:
    return FetchedPage(url, url, url, "wire", T0, 200, b"<html/>", text_hash=digest)


def _stored_hashes(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return {url: digest for url, digest in connection.execute(select(Article.url, Article.text_hash))}


def test_clean_and_hash_gives_the_hash_of_the_article_it_found() -> None:
    paragraphs = "".join(f"<p>{TEXT} Paragraph {n} of the story goes on at length.</p>" for n in range(6))
    page = f'<html lang="en"><body><article><h1>Harbour reopens</h1>{paragraphs}</article></body></html>'
    article, prints = clean_and_hash(page.encode(), "http://127.0.0.7/news/harbour", "utf-8", 20.0)
    assert article.found and prints is not None and prints.text_hash == text_hash(article.text)
    empty, none = clean_and_hash(
        b'<html lang="en"><body><nav>Home</nav></body></html>', "http://127.0.0.7/", None, 20.0
    )
    assert not empty.found and none is None


def test_storage_takes_the_hash_the_page_carries(engine: Engine) -> None:
    corpus = Corpus(engine)
    assert corpus.store(_page("https://wire.example/a", MARK), CleanArticle(text=TEXT)).outcome is Outcome.NEW
    assert corpus.store(
        _page("https://wire.example/b", None), CleanArticle(text=TEXT + " More.")
    ).outcome in (
        Outcome.NEW,
        Outcome.COPY,
    )
    assert _stored_hashes(engine) == {
        "https://wire.example/a": MARK,
        "https://wire.example/b": text_hash(TEXT + " More."),
    }


def test_a_text_the_bounds_change_is_hashed_again(engine: Engine) -> None:
    """The hash was of the text as cleaned; what is stored is the text within bounds (a NUL dropped)."""
    page = _page("https://wire.example/c", text_hash(TEXT + "\x00"))
    assert Corpus(engine).store(page, CleanArticle(text=TEXT + "\x00")).outcome is Outcome.NEW
    assert _stored_hashes(engine) == {"https://wire.example/c": text_hash(TEXT)}
    # The same page without a hash of its own: the same row.
    again = replace(page, url="https://wire.example/d", final_url="https://wire.example/d", text_hash=None)
    assert Corpus(engine).store(again, CleanArticle(text=TEXT)).outcome is Outcome.DUPLICATE
