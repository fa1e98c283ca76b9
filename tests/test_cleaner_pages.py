"""The cleaner on whole pages written for the tests (tests/pages/), per-site rules, and line rules.

tests/pages/ holds the two seed stories (AP via Yahoo, PA via LBC) rebuilt as the pages they came
from, and a Reuters-style page; each `.expected.txt` is the story's text, one paragraph a line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cleaner_noise import NOISE
from conftest import run_wiredesk

import cleaner
from cleaner.lines import filter_lines
from cleaner.removal import Removed
from cleaner.rules import PACKAGED_RULES, RulesError, parse_site_rules
from crawler.cleaning import site_rules

PAGES = Path(__file__).parent / "pages"
SEEDS = ("ap-via-yahoo-lavrov-2023", "pa-via-lbc-blinken-lavrov-2024", "reuters-style-rates")
# What these pages carry besides their story; none of it may be left in the text.
PAGE_NOISE = (
    *NOISE,
    "Oops!",
    "Skip to main content",
    "Pool/AP",
    "REUTERS/",
    "Recommended Stories",
    "Read more",
    "Video player",
    "Reporting by",
    "Our Standards",
    "Write to",
    "More from",
    "Updated 2 hours ago",
    "December 18, 2024",
    "Story continues",
    "Follow AP",
    "Continue reading",
)


def _page(name: str) -> tuple[str, list[str]]:
    html = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    return html, (PAGES / f"{name}.expected.txt").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("name", SEEDS)
def test_the_story_comes_out_complete_and_nothing_else(name: str) -> None:
    html, paragraphs = _page(name)
    article = cleaner.clean(html, f"https://www.example.org/{name}")
    assert article.text.splitlines() == paragraphs
    for noise in PAGE_NOISE:
        assert noise not in article.text, noise


def test_ap_story_metadata() -> None:
    article = cleaner.clean(_page(SEEDS[0])[0], "https://news.yahoo.example/lavrov.html")
    assert (article.dateline, article.agency, article.authors) == (
        "SKOPJE, North Macedonia",
        "AP",
        ["Costas Kantouris"],
    )
    assert article.title == (
        "Russia's Lavrov declares at security talks that his country's goals in Ukraine are unchanged"
    )
    assert article.published is not None and article.published.isoformat() == "2023-12-01T12:01:34+00:00"
    assert article.modified is not None and article.modified.isoformat() == "2023-12-01T16:45:10+00:00"
    assert article.contributors == ["Gatopoulos reported from Athens. Florent Bajrami in Skopje contributed."]
    assert article.captions == [
        "Russian Foreign Minister Sergey Lavrov speaks during a news conference in Skopje, North "
        "Macedonia, Friday, Dec. 1, 2023. (AP Photo/Boris Grdanoski)"
    ]
    assert (
        article.canonical_url
        == "https://news.yahoo.example/russias-lavrov-declares-security-talks-120134567.html"
    )
    assert article.language == "en"


def test_pa_story_metadata_standfirst_and_captions() -> None:
    article = cleaner.clean(_page(SEEDS[1])[0], "https://www.lbc.example/news/world-news/x/")
    assert (article.agency, article.authors, article.dateline) == ("PA", [], None)
    assert article.summary == (
        "Mr Lavrov accused the West of reviving the Cold War and provoking a direct conflict with Russia."
    )
    assert article.captions == [
        "Sergey Lavrov gestures with his finger CORRECTION Malta OSCE Meeting. Picture: PA",
        "Antony Blinken reads sheafs of papers US secretary of state Antony Blinken put the blame for "
        "escalation in the region back on Russia (Alberto Pizzoli/Pool/AP)",
        "View of the meeting desk surround by ministers at the OSCE meeting The 31st OSCE ministerial "
        "summit is being held in Malta (Alberto Pizzoli/Pool/AP)",
    ]
    assert {block.reason for block in article.removed} >= {"standfirst", "teaser-caption"}


def test_reuters_style_dateline_and_credits() -> None:
    article = cleaner.clean(_page(SEEDS[2])[0], "https://wire.example/markets/x/")
    assert (article.dateline, article.agency) == ("PRAGUE", "Reuters")
    assert article.contributors == ["Reporting by Jason Hovet and Robert Muller; Editing by Toby Chopra"]
    assert article.captions[0].startswith("The Czech National Bank headquarters in Prague")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Updated at 10:42 a.m. Dec. 5, 2024", "date"),
        ("segunda-feira, 22 de janeiro de 2018 às 0:13", "date"),
        ("Montag, 3. Mai 2021, 12:00 Uhr", "date"),
        ("Write to Jane Doe at jane.doe@example.com", "contact"),
        ("Follow her on Twitter @janedoe or on Facebook.", "contact"),
        ("READ MORE: China plague outbreak confirmed in Beijing", "related-link"),
        ("Lesen Sie auch: Die Bahn streikt wieder", "related-link"),
        ("CLICK HERE TO GET THE NEWS APP", "prompt"),
        ("1,204 comments", "ui-string"),
        ("Print Article", "ui-string"),
        ("An error has occurred, please try again later.", "ui-string"),
        ("Additional reporting by Steve Gorman; Editing by Nick Zieminski", "contributor"),
    ],
)
def test_noise_lines(line: str, reason: str) -> None:
    removed = Removed()
    story = "The ministers met in Vienna on Thursday to discuss the crisis."
    assert filter_lines(f"{story}\n{line}\n{story}", None, removed) == [story, story]
    assert [block.reason for block in removed.blocks] == [reason]


@pytest.mark.parametrize(
    "line",
    [
        "10 p.m.",  # a section heading of AP's "The Latest" stories, not a date line
        "In this article, I explain how the ministers reached their deal.",
        "On Friday, March 3, the talks resumed.",
    ],
)
def test_story_lines_that_look_like_noise_stay(line: str) -> None:
    assert filter_lines(line, None, Removed()) == [line]


def test_a_teaser_list_ends_where_the_story_resumes() -> None:
    removed = Removed()
    text = (
        "The first paragraph of the story ends here.\nThe second one too.\nRelated\n"
        "Storm closes Adriatic ports\nFerry talks collapse in Valletta\n"
        "It was not immediately clear whether the figures were comparable."
    )
    assert filter_lines(text, None, removed) == [
        "The first paragraph of the story ends here.",
        "The second one too.",
        "It was not immediately clear whether the figures were comparable.",
    ]


RULES = """
[sites."pub.example"]
why = "A promo box with a made-up class"
drop = ["div.zx-box"]
drop_lines = ["^Listen to this story"]
"""


def test_site_rules_drop_blocks_and_lines_on_their_site_only(tmp_path: Path) -> None:
    story = "".join(f"<p>Paragraph {n} of the story about the ministers' meeting.</p>" for n in range(6))
    html = (
        "<html><body><article><h1>Talks</h1>"
        "<div class='zx-box'><p>Buy our magazine today, it is great.</p></div>"
        f"<p>Listen to this story</p>{story}</article></body></html>"
    )
    options = cleaner.CleanOptions(site_rules=PACKAGED_RULES.merged(parse_site_rules(RULES)))
    ruled = cleaner.clean(html, "https://www.pub.example/news/1", options)
    assert "Buy our magazine" not in ruled.text and "Listen to this story" not in ruled.text
    assert [b.reason for b in ruled.removed].count("site-rule:pub.example") == 2
    elsewhere = cleaner.clean(html, "https://other.example/news/1", options)
    assert "Buy our magazine" in elsewhere.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sites.", "not valid TOML"),
        ('[sites."a.example"]\ndrop = ["div[["]', "bad CSS selector"),
        ('[sites."a.example"]\ndrop_lines = ["(unclosed"]', "bad pattern"),
        ('[sites."a.example"]\ndorp = ["div"]', "unknown keys"),
        ('[sites."a.example"]\ndrop = "div"', "must be a list of strings"),
    ],
)
def test_bad_rules_files_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(RulesError, match=message):
        parse_site_rules(text, "mine.toml")


def test_packaged_rules_say_why_and_a_user_file_goes_over_them(tmp_path: Path) -> None:
    assert PACKAGED_RULES.sites and all(rule.why for rule in PACKAGED_RULES.sites.values())
    mine = tmp_path / "rules.toml"
    mine.write_text('[sites."apnews.com"]\nwhy = "mine"\n', encoding="utf-8")
    merged = site_rules(str(mine))
    assert merged.sites["apnews.com"].why == "mine" and merged.sites["apnews.com"].drop == ()
    assert merged.for_url("https://news.yahoo.com/a") == [PACKAGED_RULES.sites["yahoo.com"]]


def test_clean_command_takes_a_rules_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[sites."a.example"]\ndrop = ["div[["]\n', encoding="utf-8")
    result = run_wiredesk("clean", str(PAGES / f"{SEEDS[0]}.html"), "--rules", str(bad), check=False)
    assert result.returncode == 1 and "bad CSS selector" in result.stderr


def test_utf8_with_a_broken_byte_is_read_as_utf8_not_guessed() -> None:
    """One invalid byte in a UTF-8 page (a truncated character) must not turn every ą into mojibake."""
    sentence = "Kolejne organizacje sprzeciwiają się atakom na fundację, mówią przedstawiciele. "
    body = f"<html><head><meta charset='utf-8'></head><body><article><p>{sentence * 12}</p>"
    page = body.encode() + b"<p>broken \xc3 byte</p></article></body></html>"
    assert sentence.strip() in cleaner.clean(page).text
