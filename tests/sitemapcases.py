"""Sitemaps and sitemap indexes as real sites serve them, for tests/test_feed_corpus.py."""

from __future__ import annotations

import gzip

from feedcases import DAY, SITEMAP_NS, Case, U, urlset

from crawler.discovery import Kind

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
