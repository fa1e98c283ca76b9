"""Feeds and sitemaps as real sites serve them: each shape read by crawler.discovery, checked
against what we expect and against a reference parser (feedparser for feeds, Scrapy's sitemap
helpers for sitemaps).

Where our reading differs from the reference on purpose, the case says why (`better`), and the
test checks that the reference still gets it wrong: the day it does not, our code can go.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
import pytest
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from crawler.discovery import Entry, Kind, detect_kind, parse_date, parse_feed, parse_sitemap, unpacked

BASE = "https://news.example/feeds/main.xml"
SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


@dataclass(frozen=True)
class Case:
    """One document as a site serves it, and the entries it lists: (URL, ISO date or None)."""

    name: str
    body: bytes
    expected: list[tuple[str, str | None]]
    kind: Kind = Kind.FEED
    content_type: str = "application/rss+xml"
    better: str = ""
    """Why our reading differs from the reference parser's (empty: they agree)."""


def rss(items: str, head: str = "<?xml version='1.0' encoding='utf-8'?>", version: str = "2.0") -> bytes:
    return f"{head}<rss version='{version}'><channel><title>T</title>{items}</channel></rss>".encode()


def item(link: str, date: str = "", extra: str = "") -> str:
    published = f"<pubDate>{date}</pubDate>" if date else ""
    return f"<item><title>A story</title><link>{link}</link>{published}{extra}</item>"


def urlset(urls: str, namespaces: str = "") -> bytes:
    return f"<?xml version='1.0' encoding='UTF-8'?><urlset {SITEMAP_NS} {namespaces}>{urls}</urlset>".encode()


U = "https://news.example"
DAY = "2024-12-05T15:34:00+00:00"
# Dates as real feeds write them, all meaning 2024-12-05 15:34 UTC (or that day, for date-only).
RSS_DATES = {
    "rfc822": "Thu, 05 Dec 2024 15:34:00 GMT",
    "rfc822-offset": "Thu, 05 Dec 2024 16:34:00 +0100",
    "rfc822-named-zone": "Thu, 05 Dec 2024 10:34:00 EST",
    "rfc822-no-weekday": "05 Dec 2024 15:34:00 GMT",
    "rfc822-short": "Thu, 5 Dec 2024 15:34 GMT",
    "rfc822-two-digit-year": "Thu, 05 Dec 24 15:34:00 GMT",
    "rfc822-ut": "Thu, 05 Dec 2024 15:34:00 UT",
    "rfc822-full-names": "Thursday, 05 December 2024 15:34:00 GMT",
    "iso-in-pubdate": "2024-12-05T15:34:00Z",
    "iso-fraction-offset": "2024-12-05T16:34:00.123+01:00",
    "iso-space": "2024-12-05 15:34:00",
    "asctime": "Thu Dec  5 15:34:00 2024",
}

FEEDS = [
    *(
        Case(f"rss-date-{name}", rss(item(f"{U}/a/story", value)), [(f"{U}/a/story", DAY)])
        for name, value in RSS_DATES.items()
    ),
    Case(
        "rss-091-netscape-doctype-entities",
        rss(
            item(f"{U}/p/12345", "Thu, 05 Dec 2024 15:34:00 GMT").replace("A story", "Caf&eacute; &amp; bar"),
            head="<?xml version='1.0' encoding='ISO-8859-1'?><!DOCTYPE rss PUBLIC "
            '"-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">',
            version="0.91",
        ),
        [(f"{U}/p/12345", DAY)],
    ),
    Case("rss-092", rss(item(f"{U}/story?id=4567"), version="0.92"), [(f"{U}/story?id=4567", None)]),
    Case(
        "rss-090-rdf",
        b"<?xml version='1.0'?><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' "
        b"xmlns='http://my.netscape.com/rdf/simple/0.9/'><channel><title>T</title></channel>"
        b"<item><title>A</title><link>https://news.example/a/short-slug</link></item></rdf:RDF>",
        [(f"{U}/a/short-slug", None)],
        content_type="application/rdf+xml",
    ),
    Case(
        "rss-10-rdf-dc-date",
        b"<?xml version='1.0'?><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' "
        b"xmlns='http://purl.org/rss/1.0/' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
        b"<item rdf:about='https://news.example/world/lavrov-walkout'><title>W</title>"
        b"<link>https://news.example/world/lavrov-walkout</link><dc:date>2024-12-05T16:34:00+01:00</dc:date>"
        b"</item></rdf:RDF>",
        [(f"{U}/world/lavrov-walkout", DAY)],
        content_type="application/rdf+xml",
    ),
    Case(
        "rss-10-rdf-about-only",
        b"<?xml version='1.0'?><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' "
        b"xmlns='http://purl.org/rss/1.0/'><item rdf:about='https://news.example/world/about-only'>"
        b"<title>W</title></item></rdf:RDF>",
        [(f"{U}/world/about-only", None)],
        better="an RSS 1.0 item names its URL in rdf:about; feedparser keeps it as the id only",
    ),
    Case(
        "atom-10-alternate-and-enclosure",
        b"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><title>T</title>"
        b"<entry><title>A</title><link rel='enclosure' href='https://news.example/audio.mp3'/>"
        b"<link rel='alternate' type='text/html' href='https://news.example/news/articles/cy4m84d2xz2o'/>"
        b"<published>2024-12-05T10:00:00Z</published><updated>2024-12-05T15:34:00Z</updated></entry></feed>",
        [(f"{U}/news/articles/cy4m84d2xz2o", DAY)],
        content_type="application/atom+xml",
    ),
    Case(
        "atom-10-link-without-rel",
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>A</title>"
        b"<link href='https://news.example/a/no-rel'/><updated>2024-12-05T15:34:00.000Z</updated></entry></feed>",
        [(f"{U}/a/no-rel", DAY)],
        content_type="application/atom+xml",
    ),
    Case(
        "atom-03",
        b"<?xml version='1.0'?><feed version='0.3' xmlns='http://purl.org/atom/ns#'><title>T</title>"
        b"<entry><title>A</title><link rel='alternate' type='text/html' href='https://news.example/a/atom03'/>"
        b"<issued>2024-12-05T15:34:00Z</issued><modified>2024-12-05T15:34:00Z</modified></entry></feed>",
        [(f"{U}/a/atom03", DAY)],
        content_type="application/atom+xml",
    ),
    Case(
        "atom-xml-base-relative",
        b"<feed xmlns='http://www.w3.org/2005/Atom' xml:base='https://news.example/world/'><entry>"
        b"<title>A</title><link href='lavrov-walkout'/></entry>"
        b"<entry xml:base='/business/'><title>B</title><link href='rates-hold'/></entry></feed>",
        [(f"{U}/world/lavrov-walkout", None), (f"{U}/business/rates-hold", None)],
        content_type="application/atom+xml",
    ),
    Case(
        "rss-relative-links",
        rss(item("/p/12345") + item("../a/short-slug") + item("story?id=4567")),
        [(f"{U}/p/12345", None), (f"{U}/a/short-slug", None), (f"{U}/feeds/story?id=4567", None)],
    ),
    Case(
        "rss-link-only-in-guid",
        rss(
            "<item><title>G</title><guid>https://news.example/p/777</guid></item>"
            "<item><title>H</title><guid isPermaLink='true'>https://news.example/p/778</guid></item>"
        ),
        [(f"{U}/p/777", None), (f"{U}/p/778", None)],
    ),
    Case(
        "rss-guid-not-a-permalink",
        rss("<item><title>G</title><guid isPermaLink='false'>https://news.example/p/779</guid></item>"),
        [],
    ),
    Case(
        "rss-cdata-link-and-title",
        rss(
            "<item><title><![CDATA[Rates <b>hold</b>]]></title><link><![CDATA[https://news.example/story?id=1&x=2]]></link></item>"
        ),
        [(f"{U}/story?id=1&x=2", None)],
    ),
    Case(
        "rss-html-entities-undeclared",
        rss(
            item("https://news.example/story?id=9&amp;page=1").replace(
                "A story", "Rates&nbsp;hold &mdash; again"
            )
        ),
        [(f"{U}/story?id=9&page=1", None)],
    ),
    Case(
        "rss-wrong-content-type",
        rss(item(f"{U}/world/wrong-type")),
        [(f"{U}/world/wrong-type", None)],
        content_type="text/html; charset=utf-8",
    ),
    Case(
        "rss-utf8-bom",
        b"\xef\xbb\xbf" + rss(item(f"{U}/world/bom")),
        [(f"{U}/world/bom", None)],
    ),
    Case(
        "rss-leading-blank-lines",
        b"\n\n  " + rss(item(f"{U}/world/blank-lines")),
        [(f"{U}/world/blank-lines", None)],
    ),
    Case(
        "rss-latin1-non-ascii-path",
        rss(item(f"{U}/world/caf\u00e9-society"), head="<?xml version='1.0' encoding='iso-8859-1'?>")
        .decode()
        .encode("latin-1"),
        [(f"{U}/world/caf\u00e9-society", None)],
    ),
    Case(
        "rss-gzip-file",
        gzip.compress(rss(item(f"{U}/world/zipped", "Thu, 05 Dec 2024 15:34:00 GMT"))),
        [(f"{U}/world/zipped", DAY)],
        content_type="application/x-gzip",
    ),
    Case(
        "rss-stylesheet-and-comment-first",
        rss(
            item(f"{U}/world/styled"),
            head="<?xml version='1.0'?><?xml-stylesheet type='text/xsl' href='/rss.xsl'?><!-- feed -->",
        ),
        [(f"{U}/world/styled", None)],
    ),
    Case(
        "rss-whitespace-around-link",
        rss("<item><title>W</title><link>\n    https://news.example/world/spaced\n  </link></item>"),
        [(f"{U}/world/spaced", None)],
    ),
    Case(
        "rss-media-and-content-namespaces",
        rss(
            item(
                f"{U}/world/media",
                extra="<media:content url='https://cdn.news.example/x.jpg' medium='image'/>"
                "<content:encoded><![CDATA[<p>Body <a href='/other'>x</a></p>]]></content:encoded>",
            )
        ).replace(
            b"<rss version='2.0'>",
            b"<rss version='2.0' xmlns:media='http://search.yahoo.com/mrss/' "
            b"xmlns:content='http://purl.org/rss/1.0/modules/content/'>",
        ),
        [(f"{U}/world/media", None)],
    ),
    Case(
        "rss-broken-xml",
        b"<rss version='2.0'><channel><item><title>Unclosed <b>bold</title>"
        b"<link>https://news.example/world/broken</link></item><item><link>https://news.example/world/next</link>",
        [(f"{U}/world/broken", None), (f"{U}/world/next", None)],
    ),
    Case(
        "rss-entity-bomb",
        b"<?xml version='1.0'?><!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>"
        b"<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;'><!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;'>"
        b"<!ENTITY x SYSTEM 'file:///etc/passwd'>]><rss version='2.0'><channel><item><title>&d;&x;</title>"
        b"<link>https://news.example/world/bomb</link></item></channel></rss>",
        [(f"{U}/world/bomb", None)],
    ),
]

SITEMAP_BODY = urlset(
    f"<url><loc>{U}/news/articles/cy4m84d2xz2o</loc><lastmod>2024-12-05T15:34:00+00:00</lastmod></url>"
    f"<url><loc>{U}/world/lavrov-walkout</loc><lastmod>2024-12-05</lastmod></url>"
)
SITEMAPS = [
    Case(
        "sitemap-urlset",
        SITEMAP_BODY,
        [
            (f"{U}/news/articles/cy4m84d2xz2o", DAY),
            (f"{U}/world/lavrov-walkout", "2024-12-05T00:00:00+00:00"),
        ],
        Kind.SITEMAP,
        "application/xml",
    ),
    Case(
        "sitemap-gzip-file",
        gzip.compress(SITEMAP_BODY),
        [
            (f"{U}/news/articles/cy4m84d2xz2o", DAY),
            (f"{U}/world/lavrov-walkout", "2024-12-05T00:00:00+00:00"),
        ],
        Kind.SITEMAP,
        "application/octet-stream",
    ),
    Case(
        "sitemap-index-of-gzipped-sitemaps",
        f"<?xml version='1.0'?><sitemapindex {SITEMAP_NS}>"
        f"<sitemap><loc>{U}/sitemaps/news-1.xml.gz</loc><lastmod>2024-12-05T15:34Z</lastmod></sitemap>"
        f"<sitemap><loc>{U}/sitemaps/news-2.xml.gz</loc></sitemap></sitemapindex>".encode(),
        [(f"{U}/sitemaps/news-1.xml.gz", DAY), (f"{U}/sitemaps/news-2.xml.gz", None)],
        Kind.SITEMAP_INDEX,
        "application/xml",
    ),
    Case(
        "sitemap-google-news",
        urlset(
            f"<url><loc>{U}/p/12345</loc><lastmod>2024-12-01</lastmod><news:news><news:publication>"
            "<news:name>Ex</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{DAY}</news:publication_date><news:title>Storm</news:title>"
            "</news:news></url>",
            "xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'",
        ),
        [(f"{U}/p/12345", DAY)],
        Kind.SITEMAP,
        "text/xml",
        better="news:publication_date (newer than lastmod) dates it; Scrapy reads direct children only",
    ),
    Case(
        "sitemap-image-loc-first",
        urlset(
            f"<url><image:image><image:loc>{U}/img/1.jpg</image:loc></image:image>"
            f"<loc>{U}/a/short-slug</loc><lastmod>{DAY}</lastmod></url>",
            "xmlns:image='http://www.google.com/schemas/sitemap-image/1.1'",
        ),
        [(f"{U}/a/short-slug", DAY)],
        Kind.SITEMAP,
        "application/xml",
    ),
    Case(
        "sitemap-video",
        urlset(
            f"<url><loc>{U}/world/video-story</loc><video:video><video:thumbnail_loc>{U}/t.jpg"
            "</video:thumbnail_loc><video:title>V</video:title><video:content_loc>"
            f"{U}/v.mp4</video:content_loc></video:video></url>",
            "xmlns:video='http://www.google.com/schemas/sitemap-video/1.1'",
        ),
        [(f"{U}/world/video-story", None)],
        Kind.SITEMAP,
        "application/xml",
    ),
    Case(
        "sitemap-hreflang-alternates",
        urlset(
            f"<url><loc>{U}/en/story</loc>"
            f"<xhtml:link rel='alternate' hreflang='de' href='{U}/de/story'/></url>",
            "xmlns:xhtml='http://www.w3.org/1999/xhtml'",
        ),
        [(f"{U}/en/story", None)],
        Kind.SITEMAP,
        "application/xml",
    ),
    Case(
        "sitemap-cdata-and-escaped-ampersand",
        urlset(
            f"<url><loc><![CDATA[{U}/story?id=4567&x=1]]></loc></url>"
            f"<url><loc>{U}/story?id=4568&amp;x=1</loc></url>"
        ),
        [(f"{U}/story?id=4567&x=1", None), (f"{U}/story?id=4568&x=1", None)],
        Kind.SITEMAP,
        "application/xml",
    ),
    Case(
        "sitemap-bare-ampersand",
        urlset(f"<url><loc>{U}/story?id=4569&page=2</loc></url>"),
        [(f"{U}/story?id=4569&page=2", None)],
        Kind.SITEMAP,
        "application/xml",
        better="a bare & (invalid XML) is read as &amp;; lxml's recovery, Scrapy's too, drops `&page`",
    ),
    Case(
        "sitemap-relative-loc",
        urlset("<url><loc>/world/relative</loc></url>"),
        [(f"{U}/world/relative", None)],
        Kind.SITEMAP,
        "application/xml",
        better="a relative <loc> (against the protocol, seen in the wild) is read against the sitemap's URL",
    ),
    Case(
        "sitemap-bom-blank-lines-no-namespace",
        b"\xef\xbb\xbf\n<?xml version='1.0'?>\n<urlset><url><loc> https://news.example/world/no-ns </loc>"
        b"<lastmod>2024-12</lastmod></url></urlset>",
        [(f"{U}/world/no-ns", "2024-12-01T00:00:00+00:00")],
        Kind.SITEMAP,
        "text/plain",
    ),
    Case(
        "sitemap-lastmod-without-seconds",
        urlset(f"<url><loc>{U}/world/minutes</loc><lastmod>2024-12-05T16:34+01:00</lastmod></url>"),
        [(f"{U}/world/minutes", DAY)],
        Kind.SITEMAP,
        "application/xml",
    ),
]
CORPUS = FEEDS + SITEMAPS


def _utc(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def ours(case: Case) -> list[tuple[str, datetime | None]]:
    body = unpacked(case.body)
    parse = parse_feed if case.kind is Kind.FEED else parse_sitemap
    return [(entry.url, entry.updated) for entry in parse(body, BASE)]


def reference(case: Case) -> list[tuple[str, datetime | None]]:
    """What feedparser (feeds) or Scrapy's Sitemap (sitemaps, gunzipped by Scrapy) reads."""
    if case.kind is Kind.FEED:
        body = gunzip(case.body) if case.body.startswith(b"\x1f\x8b") else case.body
        parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": BASE})
        found = []
        for entry in parsed.entries:
            if entry.get("link"):
                dates = [entry[k] for k in ("published_parsed", "updated_parsed") if k in entry]
                when = max(datetime(*d[:6], tzinfo=UTC) for d in dates) if dates else None
                found.append((urljoin(BASE, entry.link), when))
        return found
    body = gunzip(case.body) if case.body.startswith(b"\x1f\x8b") else case.body
    return [(entry["loc"], parse_date(entry.get("lastmod"))) for entry in Sitemap(body)]


def test_the_corpus_has_thirty_shapes_and_every_kind() -> None:
    assert len(CORPUS) >= 30
    assert {case.kind for case in CORPUS} == {Kind.FEED, Kind.SITEMAP, Kind.SITEMAP_INDEX}
    assert len({case.name for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_kind_is_sniffed_whatever_the_content_type(case: Case) -> None:
    assert detect_kind(unpacked(case.body), case.content_type) is case.kind


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_entries_are_the_listed_urls_and_dates(case: Case) -> None:
    assert ours(case) == [(url, _utc(when)) for url, when in case.expected]


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_the_reference_parser_gives_the_same_entries(case: Case) -> None:
    """Same entries as feedparser / Scrapy's Sitemap; where not, the reference is the one wrong."""
    if case.better:
        assert reference(case) != ours(case), f"the reference now reads {case.name} right: {case.better}"
    else:
        assert reference(case) == ours(case)


def test_the_entity_bomb_is_not_expanded() -> None:
    """The DOCTYPE is dropped before feedparser reads the feed: the same entries, no expansion
    (which feedparser does, up to expat's amplification limit: megabytes from a small feed)."""
    bomb = next(case for case in FEEDS if case.name == "rss-entity-bomb")
    (entry,) = parse_feed(bomb.body, BASE)
    assert "aaaa" not in (entry.title or "") and "root:" not in (entry.title or "")
    assert "aaaa" in feedparser.parse(io.BytesIO(bomb.body)).entries[0].title


def test_gzip_past_the_size_cap_is_a_clear_error() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 2_000_000 + b"</urlset>")
    with pytest.raises(ValueError, match="unpacks past 1000000 bytes"):
        unpacked(bomb, max_size=1_000_000)
    with pytest.raises(ValueError, match="broken gzip"):
        unpacked(b"\x1f\x8b\x08garbage")


def test_entries_keep_feed_order_and_titles() -> None:
    entries = parse_feed(rss(item(f"{U}/p/1") + item(f"{U}/p/2")), BASE)
    assert entries == [Entry(f"{U}/p/1", None, "A story"), Entry(f"{U}/p/2", None, "A story")]
