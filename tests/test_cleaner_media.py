"""What newspaper4k and news-please users expect of an article: its images, keywords, paywall flag,
and a language even when the page declares none (issue 18). Small pages of our own."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import COMMAND_DEADLINE

import cleaner
from cleaner.bounds import MAX_IMAGES, MAX_KEYWORDS
from cleaner.language import detect_language

PAGE_URL = "https://post.example/2026/12/ferry-storm.html"
ENGLISH = "The ferry crossed the estuary on Monday despite the storm, the captain told reporters. " * 4
GERMAN = "Die Fähre überquerte am Montag trotz des Sturms die Mündung, sagte der Kapitän den Reportern. " * 4


def page(head: str = "", body: str = "", lang: str | None = "en", prose: str = ENGLISH) -> str:
    """An article page: `head` in its head, `body` before its prose, inside <article>."""
    declared = f' lang="{lang}"' if lang else ""
    return (
        f"<html{declared}><head><title>Ferry crosses in storm</title>{head}</head><body>"
        f"<article><h1>Ferry crosses in storm</h1>{body}<p>{prose}</p></article></body></html>"
    )


def json_ld(data: dict[str, object]) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_images_are_absolute_with_their_captions_and_without_pixels_or_teasers() -> None:
    body = (
        '<figure><img src="/media/lead.jpg" width="1200"><figcaption>The ferry at dawn.</figcaption></figure>'
        '<img src="pixel.gif" width="1" height="1">'
        '<a href="/other-story"><img src="/media/teaser.jpg"></a>'
        '<img src="data:image/gif;base64,R0lGOD" data-src="map.png">'
        '<figure><img src="/media/lead.jpg"></figure>'
    )
    article = cleaner.clean(page(body=body), PAGE_URL)
    assert article.images == [
        {"url": "https://post.example/media/lead.jpg", "caption": "The ferry at dawn."},
        {"url": "https://post.example/2026/12/map.png", "caption": None},
    ]
    assert article.top_image == "https://post.example/media/lead.jpg"


def test_top_image_prefers_og_image_then_json_ld_and_follows_base_href() -> None:
    og = '<base href="https://cdn.example/"><meta property="og:image" content="social/card.jpg">'
    ld = json_ld({"@type": "NewsArticle", "image": [{"@type": "ImageObject", "url": "/ld.jpg"}]})
    figure = '<figure><img src="inline.jpg"></figure>'
    assert cleaner.clean(page(og + ld, figure), PAGE_URL).top_image == "https://cdn.example/social/card.jpg"
    assert cleaner.clean(page(ld, figure), PAGE_URL).top_image == "https://post.example/ld.jpg"
    assert cleaner.clean(page("", figure), PAGE_URL).top_image == "https://post.example/2026/12/inline.jpg"
    assert cleaner.clean(page(), PAGE_URL).top_image is None


def test_keywords_from_meta_tags_and_json_ld_each_once() -> None:
    head = (
        '<meta name="news_keywords" content="ferries, storms">'
        '<meta name="keywords" content="storms; ports">'
        '<meta property="article:tag" content="Thames"><meta property="article:tag" content="Weather">'
        + json_ld({"@type": "NewsArticle", "keywords": ["river", "ferries"]})
    )
    keywords = cleaner.clean(page(head), PAGE_URL).keywords
    assert keywords == ["ferries", "storms", "ports", "Thames", "Weather", "river"]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (json_ld({"@type": "NewsArticle", "isAccessibleForFree": False}), False),
        (json_ld({"@type": "NewsArticle", "isAccessibleForFree": "True"}), True),
        (json_ld({"@graph": [{"@type": "NewsArticle", "isAccessibleForFree": "schema.org/False"}]}), False),
        (
            json_ld(
                {
                    "@type": "NewsArticle",
                    "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": "False"},
                }
            ),
            False,
        ),
        ('<meta itemprop="isAccessibleForFree" content="false">', False),
        ('<meta property="article:content_tier" content="metered">', False),
        ('<meta property="article:content_tier" content="free">', True),
        (json_ld({"@type": "NewsArticle", "isAccessibleForFree": "maybe"}), None),
        ("", None),
    ],
)
def test_free_access_from_the_pages_own_markup(head: str, expected: bool | None) -> None:
    assert cleaner.clean(page(head), PAGE_URL).free_access is expected


def test_language_detected_only_when_the_page_declares_none() -> None:
    declared = cleaner.clean(page(prose=GERMAN, lang="de-AT"), PAGE_URL)
    assert (declared.language, declared.language_detected) == ("de", False)
    detected = cleaner.clean(page(prose=GERMAN, lang=None), PAGE_URL)
    assert (detected.language, detected.language_detected) == ("de", True)
    assert cleaner.clean(page(lang=None), PAGE_URL).language == "en"


def test_detection_abstains_on_too_little_text() -> None:
    assert detect_language("Ferry") is None
    assert detect_language(ENGLISH) == "en"


# A process that cannot write files (a full disk, a file-size limit) cleans a page that declares
# no language: py3langid unpacks its model through a temporary file.
_CLEAN_UNDER_FILE_LIMIT = f"""
import resource, cleaner
resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
page = {page(lang=None)!r}
article = cleaner.clean(page, {PAGE_URL!r})
print(article.language, len(article.text) > 200)
"""


def test_a_language_model_that_cannot_load_costs_the_language_not_the_page() -> None:
    command = [sys.executable, "-c", _CLEAN_UNDER_FILE_LIMIT]
    done = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_DEADLINE, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["None", "True"]


def test_hostile_media_metadata_is_bounded() -> None:
    figures = "".join(f'<figure><img src="/i{n}.jpg"></figure>' for n in range(MAX_IMAGES + 20))
    words = ", ".join(f"word{n}" for n in range(MAX_KEYWORDS + 20)) + ", " + "x" * 5_000
    head = (
        f'<meta name="keywords" content="{words}">'
        f'<meta property="og:image" content="https://post.example/{"a" * 5_000}.jpg">'
        + json_ld({"@type": "NewsArticle", "image": {"url": 42}, "isAccessibleForFree": ["no"]})
    )
    article = cleaner.clean(page(head, figures + '<img src="http://[::1">'), PAGE_URL)
    assert len(article.images) == MAX_IMAGES
    assert article.keywords == [f"word{n}" for n in range(MAX_KEYWORDS)]
    assert article.top_image == "https://post.example/i0.jpg"
    assert article.free_access is None


def test_the_new_fields_survive_to_dict() -> None:
    data = cleaner.clean(page('<meta property="og:image" content="/card.jpg">'), PAGE_URL).to_dict()
    assert data["top_image"] == "https://post.example/card.jpg"
    assert {"images", "keywords", "free_access", "language_detected"} <= data.keys()
