"""The failure classes of issue 15, each on a page written for the tests (tests/pages/).

Each page is built the way a class of sites builds it, in markup unlike the seed pages: the story
cut into several containers, paragraphs marked "paywall", the lead wrapped in a teaser-named
block, furniture made only of interface phrases, newsletter and consent prose, "HEADLINE:
summary" teaser lists. The `.expected.txt` next to each page is its story, one paragraph a line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml.html import fromstring

import cleaner
from cleaner.lines import BUILT_IN_LINE_RULES, filter_lines, line_rules
from cleaner.memory import furniture_key
from cleaner.prose import distinct_chars, loose_text_chars
from cleaner.removal import Removed
from cleaner.rules import SiteRule

PAGES = Path(__file__).parent / "pages"


def _clean(name: str) -> tuple[cleaner.CleanArticle, list[str]]:
    html = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    expected = (PAGES / f"{name}.expected.txt").read_text(encoding="utf-8").splitlines()
    return cleaner.clean(html, f"https://www.example.org/{name}"), expected


def test_a_story_cut_into_several_containers_comes_out_whole() -> None:
    """trafilatura's fast path reads the first of the three `article-body` chunks only."""
    article, expected = _clean("magazine-split-body")
    assert article.text.splitlines() == expected
    assert "Most popular" not in article.text and "Advertisement" not in article.text


def test_a_story_of_br_broken_div_text_after_a_short_lead_comes_out_whole() -> None:
    """The fast path stops at the two-paragraph lead in `article`; the story's text is a `div`
    broken by `<br>`, which the `p` count of the page's prose does not see."""
    article, expected = _clean("br-broken-story")
    assert article.text.splitlines() == expected
    assert len(expected) == 10 and "About us" not in article.text


def test_a_result_that_repeats_the_story_counts_it_once() -> None:
    """How much the cascade's result holds is measured on its distinct lines: a container with
    the story twice, or padded with blank lines, is not twice the text."""
    story = "First line of the story.\n  Second   line of the story.\n"
    assert distinct_chars(story) == len("First line of the story.") + len("Second line of the story.")
    assert distinct_chars(story + "\n\n   \n" + story) == distinct_chars(story)


def test_long_text_outside_paragraphs_is_counted_as_loose_prose() -> None:
    sentence = "A sentence long enough to count as running text on any page, written without a p tag."
    html = f"<html><body><div>{sentence}<br>{sentence}</div><p>{sentence}</p><script>{sentence}</script>"
    assert loose_text_chars(fromstring(html + "<ul><li>short</li></ul></body></html>")) == 2 * len(sentence)


def test_paragraphs_marked_paywall_are_the_article_and_the_prompt_is_not() -> None:
    article, expected = _clean("paywall-marked-paragraphs")
    assert article.text.splitlines() == expected
    assert [block.reason for block in article.removed if "free articles" in block.text] == ["block:paywall"]


def test_a_lead_wrapped_in_a_teaser_named_block_stays_and_the_teaser_list_goes() -> None:
    article, expected = _clean("teaser-wrapped-lead")
    assert article.text.splitlines() == expected
    assert "Beekeepers" not in article.text and "More from the valley" not in article.text


@pytest.mark.parametrize("name", ["magazine-split-body", "paywall-marked-paragraphs", "teaser-wrapped-lead"])
def test_a_furniture_name_never_takes_the_main_run_of_prose(name: str) -> None:
    """Whatever the names say, no paragraph of the story is among the removed blocks."""
    article, expected = _clean(name)
    removed = " ".join(block.text for block in article.removed)
    for paragraph in expected:
        assert paragraph[:60] not in removed, paragraph


def test_interface_phrases_in_one_block_go_and_the_dateline_is_found() -> None:
    """Three `<p>` in one list item come out as one line of phrases, each a UI string."""
    article, expected = _clean("ui-phrases-in-one-item")
    assert article.text.splitlines() == expected
    assert (article.dateline, article.agency) == ("SKOPJE, North Macedonia", "AP")
    assert [block.reason for block in article.removed] == ["ui-string"]


def test_newsletter_box_consent_and_promotion_prose_go() -> None:
    article, expected = _clean("newsletter-consent-prose")
    assert article.text.splitlines() == expected
    reasons = {block.reason for block in article.removed}
    assert {"widget", "promo"} <= reasons


def test_headline_summary_teasers_go() -> None:
    article, expected = _clean("headline-summary-teasers")
    assert article.text.splitlines() == expected
    assert [block.reason for block in article.removed].count("teaser-list") == 4


def test_link_clusters_and_pickers_go_whatever_their_markup() -> None:
    """Links in `div`s and `span`s, not a list: a top bar, a name's hover card inside a sentence
    (the name stays), a share row, a gallery box with its heading; and a category picker."""
    article, expected = _clean("link-clusters-and-pickers")
    assert article.text.splitlines() == expected
    reasons = [block.reason for block in article.removed]
    assert reasons.count("link-cluster") == 4
    assert {"choices", "box-heading"} <= set(reasons)
    assert "Photo galleries" in [block.text for block in article.removed if block.reason == "box-heading"]


def test_a_name_whose_hover_card_is_links_keeps_its_sentence() -> None:
    """A span in a paragraph is never taken as the box a cluster emptied."""
    html = (
        "<html><body><article><p>" + "The council met on Tuesday evening to vote on the plan. " * 3 + "</p>"
        '<p>It was put forward by <span class="who">Ada Quill<span class="card"><a href="/a">Ada Quill</a> '
        '<a href="/b">Latest</a> <a href="/c">Follow</a></span></span>, who chairs the harbour committee.</p>'
        "<p>" + "The vote was carried without dissent after a short debate. " * 3 + "</p>"
        "</article></body></html>"
    )
    article = cleaner.clean(html, "https://www.example.org/council")
    assert "put forward by Ada Quill, who chairs the harbour committee." in article.text


def test_site_rules_memory_and_built_in_rules_are_one_table_tried_in_order() -> None:
    """A line that a site rule, the memory and a built-in rule all match is removed once, for the
    first of them: the site's own rule, then its memory, then the built-in rule."""
    site = SiteRule("example.org", drop_lines=(re.compile("Advertisement"),))
    memory = frozenset({furniture_key("Advertisement")})
    table = line_rules([site], memory)
    assert [rule.reason for rule in table[:2]] == ["site-rule:example.org", "site-memory"]
    assert table[2:] == BUILT_IN_LINE_RULES
    story = [STORY, STORY.replace("Vienna", "Graz"), STORY.replace("Vienna", "Linz")]
    text = "\n".join([story[0], "Advertisement", *story[1:]])
    for rules, memory_keys, reason in (
        ([site], memory, "site-rule:example.org"),
        ([], memory, "site-memory"),
        ([], frozenset(), "ui-string"),
    ):
        removed = Removed()
        assert filter_lines(text, None, removed, rules, furniture=memory_keys) == story
        assert [block.reason for block in removed.blocks] == [reason]


STORY = "The ministers met in Vienna on Thursday to discuss the crisis."


@pytest.mark.parametrize(
    "line",
    [
        "Our reader panel receives special offers, promotions and adverts from us and our partners.",
        "Never miss a story: sign up to our newsletter and get it in your inbox.",
        "Lust auf mehr? Melde dich hier für unseren Newsletter an und erhalte die Storys in dein Postfach.",
        "¿Quieres más? Suscríbete a nuestro boletín y recibe las noticias gratis.",
        "This article contains affiliate links. We may earn a commission when you buy through them.",
        "Share. Print. Comments",
        "You are currently not signed in.",
        "Nächster Beitrag",
        "Previous story",
        "Audio verfügbar bis 3.4.2031",
        "4:05 Min. | Video verfügbar bis 01.01.2030",
        "Alle Entwicklungen zum Sturm lesen Sie in unserem Liveblog:",
        "Wie hat Ihnen dieser Beitrag gefallen?",
        "Durchschnittliche Bewertung: 4,5",
        "Quelle: dpa",
        "(Source: Example Statistics Office)",
        "Guter Journalismus braucht Ihre Unterstützung. Jetzt spenden!",
        '"Morgenlage": Unser Newsletter bringt Ihnen jeden Morgen die Nachrichten in Ihr Postfach.',
    ],
)
def test_promotion_and_interface_lines_go(line: str) -> None:
    removed = Removed()
    assert filter_lines(f"{STORY}\n{line}\n{STORY}", None, removed) == [STORY, STORY]
    reasons = [block.reason for block in removed.blocks]
    assert reasons in (["promo"], ["ui-string"], ["related-link"], ["source"])


@pytest.mark.parametrize(
    "line",
    [
        # A story about subscriptions says so at length, and quotes people.
        "The streaming service said paid subscriptions rose to 240 million, helped by offers in Asia.",
        '"We want our subscribers to get the newsletter in their inbox every morning," the editor said.',
        "If you're maxing out your retirement accounts, move on to a brokerage account.",
        "Share prices fell. The index closed lower.",
        "Der nächste Artikel der Serie erscheint am Montag.",
        "The next story in the series is about the ferry.",
        "Die Stiftung will den Journalismus mit Spenden unterstützen, sagte die Ministerin.",
        "Die Software unterstützt Entwickler beim Bau von Apps und Webseiten für ihre Kunden.",
        "The live blog team worked through the night:",
        "Source: a senior official said the talks with the unions had broken down again after midnight.",
    ],
)
def test_story_lines_about_subscriptions_stay(line: str) -> None:
    assert filter_lines(line, None, Removed()) == [line]


def test_a_closing_line_addressing_the_reader_about_the_site_goes_only_at_the_end() -> None:
    closing = "Mit diesem Button kannst du die Folge in deine Liste laden, dazu musst du dich einloggen."
    removed = Removed()
    assert filter_lines(f"{STORY}\n{STORY}\n{closing}", None, removed) == [STORY, STORY]
    assert [block.reason for block in removed.blocks] == ["promo"]
    assert filter_lines(f"{STORY}\n{closing}\n{STORY}", None, Removed()) == [STORY, closing, STORY]


def test_inline_teasers_follow_prompts_and_teaser_headings_in_other_languages_go() -> None:
    """ "MIRA: <headline>" without a link, "Síguenos en ...", and the list under "Contenido
    relacionado", on a page whose story is plain paragraphs in one section."""
    article, expected = _clean("inline-teasers-and-prompts-es")
    assert article.text.splitlines() == expected
    reasons = [block.reason for block in article.removed]
    assert reasons.count("related-link") == 1 and reasons.count("prompt") == 1
    assert reasons.count("related-list") == 4


def test_text_is_in_unicode_nfc_whatever_form_the_page_uses() -> None:
    """A letter written as base and combining mark is stored as the one composed letter (and
    Bengali's U+09DF, excluded from composition, as its two parts), as trafilatura.extract gives it."""
    article, _ = _clean("inline-teasers-and-prompts-es")
    assert "canción" in article.text and "o\u0301" not in article.text
    story = "<p>" + "\u09df " * 120 + "and a story long enough to be one.</p>"
    bengali = cleaner.clean(f"<html><body><article>{story}</article></body></html>")
    assert "\u09af\u09bc" in bengali.text and "\u09df" not in bengali.text


def test_a_copyright_notice_closing_a_line_of_story_takes_only_itself() -> None:
    """A page whose text comes out as one line ends it with the notice: the story stays."""
    story = f"{STORY} The talks will go on in spring, the foreign ministry said after the meeting. " * 2
    removed = Removed()
    notice = "Copyright © 2031 Example Media. All Rights Reserved."
    assert filter_lines(f"{story}{notice}\n{STORY}", None, removed) == [story.strip(), STORY]
    assert [(block.text, block.reason) for block in removed.blocks] == [(notice, "copyright")]
    assert filter_lines(f"{STORY}\n{notice}", None, Removed()) == [STORY]


_HEADLINE = "Harbour pilots vote to strike over new rosters"
_STORY = "The pilots' union said 212 of its 240 members had voted to walk out on Monday."
_HEADLINE_JA = "港の水先人がストライキを決定、新しい勤務表に反対"


@pytest.mark.parametrize(
    ("title", "first_line"),
    [
        (_HEADLINE, f"{_HEADLINE} | Coast Daily"),
        (_HEADLINE, f"Port dispute {_HEADLINE}"),
        (f"{_HEADLINE} - Coast Daily", _HEADLINE),
        (f"Coast Daily | {_HEADLINE}", _HEADLINE),
        # A Japanese site's name after a full-width colon.
        (f"{_HEADLINE_JA}：海港新聞", _HEADLINE_JA),
    ],
)
def test_the_headline_with_a_kicker_or_a_site_name_goes_as_the_title(title: str, first_line: str) -> None:
    """The headline line at the top of the text, with a kicker glued before it or the site's name
    after a separator, or printed without the site suffix the page's title kept."""
    removed = Removed()
    assert filter_lines(f"{first_line}\n{_STORY}", title, removed) == [_STORY]
    assert [block.reason for block in removed.blocks] == ["title"]


@pytest.mark.parametrize(
    "first_line",
    [
        # The headline run into the story's first sentence: no separator after it.
        f"{_HEADLINE} after talks with the port authority failed",
        # Far more than a kicker or a name around it.
        f"{_HEADLINE} | the union says the new shifts break the agreement it signed",
    ],
)
def test_a_line_that_only_opens_with_the_headline_stays(first_line: str) -> None:
    removed = Removed()
    assert filter_lines(f"{first_line}\n{_STORY}", _HEADLINE, removed) == [first_line, _STORY]


def test_a_heading_left_after_a_japanese_story_goes() -> None:
    """A Japanese sentence ends in "。": the heading a teaser box leaves after it is dangling, as after
    a story whose sentences end in "."."""
    story = [
        "港の水先人が新しい勤務表に反対してストライキを決めた。",
        "組合によると、組合員240人のうち212人が賛成した。",
    ]
    removed = Removed()
    assert filter_lines("\n".join([*story, "【関連ニュース】"]), None, removed) == story
    assert [block.reason for block in removed.blocks] == ["dangling-heading"]
