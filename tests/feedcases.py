"""Feeds as real sites serve them (RSS and Atom shapes, dates as sites write them), for
tests/test_feed_corpus.py: each case is a document and the entries it lists. The builders and the
Case type are shared with tests/sitemapcases.py."""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from crawler.discovery import Kind

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
