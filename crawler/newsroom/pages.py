"""Page furniture of the bundled newsroom's three publishers: the noise real news pages carry.

The templates copy what wire copy looks like on real sites: an agency's own page with a share bar
and a copyright line, a portal with "Oops! Something went wrong" widgets and "In this article"
boxes, and a UK publisher with captions, photo credits and a "Latest World News" list.
"""

from __future__ import annotations

from html import escape

from crawler.newsroom.stories import Story


def _head(title: str, canonical: str, og_type: str, published: str = "") -> str:
    meta_time = f'<meta property="article:published_time" content="{published}">' if published else ""
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f'<link rel="canonical" href="{canonical}"><meta property="og:type" content="{og_type}">'
        f'<meta property="og:title" content="{escape(title)}">{meta_time}</head>'
    )


def _paragraphs(story: Story) -> str:
    first, *rest = story.paragraphs
    lead = f"{story.dateline} {first}" if story.dateline else first
    return "".join(f"<p>{escape(text)}</p>" for text in (lead, *rest))


def wire_article(story: Story, canonical: str, related: list[tuple[str, str]]) -> str:
    """An agency's own article page: nav, share bar, body, contributor line, copyright, related links."""
    links = "".join(f'<li><a href="{url}">{escape(title)}</a></li>' for url, title in related)
    return (
        _head(story.headline, canonical, "article", story.published)
        + "<body><a href='#main' class='skip'>Skip to content</a>"
        "<nav><ul><li><a href='/world/'>World</a></li><li><a href='/business/'>Business</a></li>"
        "<li><a href='/tag/europe/'>Europe</a></li></ul></nav>"
        f"<main id='main'><article><h1>{escape(story.headline)}</h1>"
        f"<div class='byline'>{escape(story.byline)}</div>"
        f"<time datetime='{story.published}'>{story.published[:10]}</time>"
        "<div class='share-bar'><a href='#'>Share</a> <a href='#'>Facebook</a> "
        "<a href='#'>Copy link</a></div>"
        f"<div class='article-body'>{_paragraphs(story)}"
        + (f"<p>{escape(story.contributors)}</p>" if story.contributors else "")
        + "<p class='copyright'>Copyright 2024 Global Wire. All rights reserved. This material may not be "
        "published, broadcast, rewritten or redistributed without permission.</p></div></article>"
        f"<aside class='related'><h2>Related stories</h2><ul>{links}</ul></aside></main>"
        "<footer><p>© 2024 Global Wire</p><a href='/about/'>About us</a></footer></body></html>"
    )


def portal_article(story: Story, canonical: str) -> str:
    """A portal republishing wire copy: error widgets, a stock box and an agency credit."""
    return (
        _head(story.headline, canonical, "article", story.published)
        + "<body><header><a href='/'>Portal News</a><a href='/login/'>Sign in</a></header>"
        f"<article><header><h1>{escape(story.headline)}</h1>"
        f"<div class='caas-attr'>{escape(story.byline)}</div>"
        f"<time datetime='{story.published}'>{story.published[:10]}</time></header>"
        "<div class='caas-body'><div class='stream-item'><ul><li>Oops!<br>Something went wrong.<br>"
        "Please try again later.</li></ul></div>"
        "<div class='in-this-article'>In this article: <a href='/quote/SHIP'>SHIP</a> +1.2%</div>"
        f"{_paragraphs(story)}</div></article>"
        "<div class='comments'><button>View comments</button> 12 comments</div>"
        "<div class='ad'>Advertisement</div></body></html>"
    )


def publisher_article(story: Story, canonical: str, latest: list[tuple[str, str]]) -> str:
    """A UK publisher carrying PA copy: captions with credits, a 'Latest World News' list."""
    teasers = "".join(
        f"<div class='teaser'><figure><img src='/img/{i}.jpg' alt=''>"
        "<figcaption>Picture: PA</figcaption></figure>"
        f"<a href='{url}'>{escape(title)}</a></div>"
        for i, (url, title) in enumerate(latest)
    )
    first, *rest = story.paragraphs
    return (
        _head(story.headline, canonical, "article", story.published)
        + "<body><div class='cookie-banner'>We use cookies to improve your experience. "
        "Accept all cookies</div>"
        f"<article><h1>{escape(story.headline)}</h1><span class='date'>{story.published[:10]}</span>"
        "<figure class='lead-image'><img src='/img/lead.jpg' alt='Harbour'>"
        "<figcaption>The harbour at dawn (Photo: PA Wire)</figcaption></figure>"
        f"<p>{escape(first)}</p>"
        "<figure><img src='/img/second.jpg' alt=''><figcaption>Officials met on Thursday "
        "(Alberto Rossi/Pool/AP)</figcaption></figure>"
        + "".join(f"<p>{escape(text)}</p>" for text in rest)
        + f"<p class='author'>{escape(story.byline)}</p></article>"
        "<section class='latest'><h2>Latest World News</h2>"
        f"{teasers}<a href='/news/world-news/'>See more Latest World News</a></section>"
        "<div class='newsletter'>Sign up to our newsletter for the latest news</div></body></html>"
    )


def listing_page(title: str, links: list[tuple[str, str]], next_url: str | None = None) -> str:
    """A section or tag page: a list of links, maybe a 'next page' link. Not an article."""
    items = "".join(f"<li><a href='{url}'>{escape(text)}</a></li>" for url, text in links)
    more = f"<a rel='next' href='{next_url}'>Next page</a>" if next_url else ""
    return (
        _head(title, "", "website")
        + f"<body><h1>{escape(title)}</h1><ul>{items}</ul>{more}<footer>About us</footer></body></html>"
    )


def video_page(title: str) -> str:
    """A video page: has a long slug, but is not a text article."""
    return (
        _head(title, "", "video.other")
        + f"<body><h1>{escape(title)}</h1><video src='/v.mp4'></video></body></html>"
    )
