"""What the cleaner keeps on pages it has not seen (issue 15, the recall side): a dek printed
outside the story's container is the page's standfirst, and a description carrying markup, entities
or invisible characters reads as the dek it repeats. Fixtures are pages written for these tests."""

from __future__ import annotations

import cleaner
from cleaner.extract import parse_tree
from cleaner.metadata import read_metadata

URL = "https://www.riverside-gazette.example/2025/03/ferry-timetable"
DEK = "The river ferry will run every twenty minutes from April, the council said after a long review."
PARAGRAPHS = [
    "The council's transport committee approved the new timetable on Monday after three months of "
    "consultation with passengers, boat crews and the harbour office.",
    "Under the plan, the first crossing leaves the north quay at six in the morning and the last one "
    "returns shortly before midnight, seven days a week.",
    "Passenger numbers have grown by a fifth since the bridge closed for repairs, and the old hourly "
    "service left queues along the quay at the busiest times of the day.",
    "The harbour office said two more boats would be leased for the summer, and that tickets bought "
    "for the old timetable would remain valid until the end of June.",
]


def _page(description: str, dek_markup: str) -> str:
    story = "".join(f"<p>{paragraph}</p>" for paragraph in PARAGRAPHS)
    return (
        "<html><head><title>Ferry every twenty minutes</title>"
        f'<meta property="og:description" content="{description}"></head><body>'
        '<header class="story-head"><h1>Ferry every twenty minutes</h1>'
        f"{dek_markup}</header>"
        f'<div class="story-body">{story}</div></body></html>'
    )


def _standfirst_noted(article: cleaner.CleanArticle) -> bool:
    return any(block.reason == "standfirst" for block in article.removed)


def test_dek_printed_in_the_header_is_the_standfirst() -> None:
    """A dek in a plain `span` of the header (no dek name, no h2) that the extraction leaves out."""
    article = cleaner.clean(_page(DEK, f'<span class="text-lg leading-snug">{DEK}</span>'), URL)
    assert article.summary == DEK
    assert DEK not in article.text
    assert _standfirst_noted(article)


def test_dek_split_by_inline_tags_is_found() -> None:
    """The dek's text is cut into several text nodes by inline tags: the block's text is compared."""
    marked = DEK.replace("twenty minutes", "<strong>twenty</strong> <em>minutes</em>")
    article = cleaner.clean(_page(DEK, f"<div><p>{marked}</p></div>"), URL)
    assert _standfirst_noted(article)


def test_description_printed_nowhere_is_no_standfirst() -> None:
    """A description only in the meta tag is nothing the reader sees."""
    article = cleaner.clean(_page(DEK, "<p>By Ann Reed, transport reporter</p>"), URL)
    assert article.summary == DEK
    assert not _standfirst_noted(article)


def test_description_in_a_longer_block_is_no_standfirst() -> None:
    """The description's words printed inside a longer paragraph are that paragraph's, not a dek."""
    longer = f"<p>{DEK} It was the third review of the service in ten years.</p>"
    article = cleaner.clean(_page(DEK, longer), URL)
    assert not _standfirst_noted(article)


def test_lead_paragraph_repeating_the_description_stays_in_the_text() -> None:
    """A description that is the story's first paragraph is no dek: the text keeps it."""
    article = cleaner.clean(_page(PARAGRAPHS[0], ""), URL)
    assert article.text.splitlines()[0] == PARAGRAPHS[0]
    assert not _standfirst_noted(article)


def test_description_without_markup_entities_and_invisible_characters() -> None:
    """A CMS's markup, an entity escaped twice and a byte-order mark leave the description."""
    written = "\ufeff&lt;p&gt;The river ferry&amp;nbsp;will run every\u200b twenty minutes.&lt;/p&gt;"
    tree, _ = parse_tree(_page(written, ""))
    assert read_metadata(tree, URL).description == "The river ferry will run every twenty minutes."


def test_description_with_markup_found_printed() -> None:
    """Once plain, a description written with its paragraph tags is found printed as the dek."""
    article = cleaner.clean(_page(f"&lt;p&gt;{DEK}&lt;/p&gt;", f'<p class="c-9">{DEK}</p>'), URL)
    assert article.summary == DEK
    assert _standfirst_noted(article)


def _page_without_description(dek_markup: str) -> str:
    story = "".join(f"<p>{paragraph}</p>" for paragraph in PARAGRAPHS)
    return (
        "<html><head><title>Ferry every twenty minutes</title></head><body>"
        f'<section class="top"><h1>Ferry every twenty minutes</h1><time>3 March 2025</time>{dek_markup}'
        f'</section><div class="story-body">{story}</div></body></html>'
    )


def test_dek_named_as_one_under_the_headline_is_the_summary() -> None:
    """No description to compare with: the block named as a dek right under the headline."""
    article = cleaner.clean(_page_without_description(f'<div class="c-intro"><p>{DEK}</p></div>'), URL)
    assert article.summary == DEK
    assert _standfirst_noted(article)


def test_links_named_as_a_dek_are_no_summary() -> None:
    """A "teaser" block of links under the headline is other stories, not the dek."""
    links = "".join(f'<a href="/s/{n}">{paragraph[:60]}</a> ' for n, paragraph in enumerate(PARAGRAPHS))
    article = cleaner.clean(_page_without_description(f'<div class="teaser">{links}</div>'), URL)
    assert article.summary is None
    assert not _standfirst_noted(article)
