"""The cleaner's cheaper gates (issue 22, the cleaner's CPU, eighth session) decide as the plain
formulas they replaced: the site's names found in the text without folding it, the early end tag
found by one search, the headings counted on the tree, trafilatura's options built once."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml.html import fromstring
from trafilatura.settings import Extractor

import cleaner
from cleaner.extract import _options, _without_early_end, parse_tree
from cleaner.limits import MAX_HEADINGS, too_many_headings
from cleaner.sitename import _printed, folded, self_names

_PIECES = ["Example", "news", "-", "_", " ", "’s", "L-MAG", "ß", "SS", "e\u0301", "日本", "\u00a0", "0", "!"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=12),
    st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4),
)
def test_a_name_is_printed_as_in_the_folded_text(pieces: list[str], name_pieces: list[str]) -> None:
    text, name = "".join(pieces), folded("".join(name_pieces))
    assert _printed(name, text.casefold()) == (name in folded(text))


def test_self_names_finds_a_name_split_by_spaces_and_case() -> None:
    names = frozenset({"basicthinking", "examplenews"})
    assert self_names(["Read more on BASIC thinking."], names) == {"basicthinking"}
    assert self_names(["Nothing here names the site."], names) == frozenset()


def _early_end_before(text: str) -> bool:
    """The formula replaced: the first of the four end tags more than 200 characters from the end."""
    ends = [text.find(tag) for tag in ("</body", "</html", "</BODY", "</HTML")]
    early = min((end for end in ends if end != -1), default=len(text))
    return len(text) - early > 200


@pytest.mark.parametrize("tag", ["</body>", "</html>", "</BODY>", "</HTML>", "</Body>", "</bod>"])
@pytest.mark.parametrize("after", [0, 150, 193, 194, 195, 199, 200, 201, 202, 260])
def test_an_early_end_tag_is_found_where_the_four_searches_found_it(tag: str, after: int) -> None:
    text = "<html><body><p>story</p>" + tag + "x" * after
    removed = _without_early_end(text) != text
    assert removed == (_early_end_before(text) and tag.lower() in ("</body>", "</html>"))


def test_short_pages_keep_their_end_tags() -> None:
    assert _without_early_end("</body>") == "</body>"
    assert _without_early_end("") == ""


def _page(headings: int, tag: str = "h2") -> str:
    return "<html><body>" + f"<{tag}>t</{tag}>" * headings + "<p>" + "words " * 40 + "</p></body></html>"


def test_headings_are_counted_on_the_tree() -> None:
    assert not too_many_headings(fromstring(_page(MAX_HEADINGS)))
    assert too_many_headings(fromstring(_page(MAX_HEADINGS + 1)))
    assert too_many_headings(fromstring(_page(MAX_HEADINGS + 1, "H3")))


def test_headings_past_the_limit_are_cut_and_other_h_tags_are_not() -> None:
    tree, losses = parse_tree(_page(MAX_HEADINGS + 5))
    assert [loss.reason for loss in losses] == ["too many headings"]
    assert len(list(tree.iter("h2"))) == MAX_HEADINGS
    tree, losses = parse_tree("<html><body>" + "<hr>" * (MAX_HEADINGS + 5) + "<p>text</p></body></html>")
    assert losses == []
    assert len(list(tree.iter("hr"))) == MAX_HEADINGS + 5


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("url", [None, "https://example.com/news/1", "https://exa\udcffmple.com/a"])
def test_the_options_copied_are_those_bare_extraction_built(fast: bool, url: str | None) -> None:
    built = Extractor(
        output_format="python",
        fast=fast,
        comments=False,
        tables=True,
        dedup=False,
        url=url,
        with_metadata=False,
    )
    copied = _options(url, fast)
    for slot in Extractor.__slots__:
        assert getattr(copied, slot) == getattr(built, slot), slot


def test_no_extractor_is_built_per_page(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    original = Extractor.__init__

    def counting(self: Extractor, **kwargs: object) -> None:
        built.append(self)
        original(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Extractor, "__init__", counting)
    page = _page(1).replace("words ", "The council approved the budget on Tuesday evening. ")
    article = cleaner.clean(page, "https://example.com/news/2")
    assert article.text and article.error is None
    assert built == []
