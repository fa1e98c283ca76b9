"""A loopback site of article pages built to break what stores them (values past every bound, lone
surrogates, a canonical URL naming another article, a page that kills its cleaning worker...),
among good ones, all listed by one feed. Each page says what must become of it (`fate`).

With tests/hooks on PYTHONPATH (`hook_environment`), the cleaning workers of a crawl die on a page
carrying KILL_MARKER, as under the kernel's OOM killer; raise on RAISE_MARKER; and allocate more
than WIREDESK_CLEAN_MEMORY_LIMIT on MEMORY_MARKER. Without the hooks these are plain sentences.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from loopbacksite import LoopbackSite, response, send

from crawler.newsroom import bulk, pages

KILL_MARKER = "Officials said the kill switch of the cleaning worker was never tested."
RAISE_MARKER = "Officials said the cleaner raised an exception on this very page."
MEMORY_MARKER = "Officials said the cleaning worker asked for more memory than it may have."
HOOKS = Path(__file__).resolve().parent / "hooks"
POISON = "POISON"
"""In a title: the database refuses the row when a test installs `poison_trigger`."""
# Between VARCHAR(2048), which PostgreSQL enforced, and Scrapy's URLLENGTH_LIMIT of 2,083.
LONG_URL_CHARS = 2070
GOOD_ARTICLES = 8
STORED, NO_ARTICLE = "stored", "no article"


def hook_environment() -> dict[str, str]:
    """Environment variables that load tests/hooks/sitecustomize.py into a crawl and its workers."""
    return {
        "PYTHONPATH": os.pathsep.join(filter(None, (str(HOOKS), os.environ.get("PYTHONPATH")))),
        "WIREDESK_TEST_KILL": KILL_MARKER,
        "WIREDESK_TEST_RAISE": RAISE_MARKER,
        "WIREDESK_TEST_MEMORY": MEMORY_MARKER,
    }


def _replace(old: str, new: str) -> Callable[[str], str]:
    return lambda html: html.replace(old, new, 1)


def _surrogate_headline(html: str) -> str:
    """No <title> nor og:title: the JSON-LD headline, with a lone surrogate (\\ud800), is the title."""
    html = re.sub(r"<title>.*?</title>|<meta property=\"og:title\"[^>]*>", "", html)
    headline = '{"@type": "NewsArticle", "headline": "Harbour \\ud800 reopens"}'
    return html.replace("</head>", f'<script type="application/ld+json">{headline}</script></head>')


def _published_in_year_one(html: str) -> str:
    """Midnight of 1 January, year 1, at UTC+5: before year 1 in UTC, out of any datetime's range."""
    return re.sub(r'(article:published_time" content=")[^"]*', r"\g<1>0001-01-01T00:00:00+05:00", html)


def _with_paragraph(text: str) -> Callable[[str], str]:
    return _replace("</article>", f"<p>{text}</p></article>")


@dataclass(frozen=True)
class HostilePage:
    """One page of the hostile site: where, what it carries, and what must become of it."""

    path: str
    number: int
    """Its article is bulk story `number` (crawler/newsroom/bulk.py)."""
    fate: str
    """`stored`, `no article`, or the kind of loss it is counted under with the test hooks on."""
    edit: Callable[[str], str] | None = None
    """What makes the page hostile, done to its HTML."""
    headers: tuple[tuple[str, str], ...] = ()
    canonical: str | None = None
    """Its rel=canonical, when not its own URL; a path is on the site."""
    late: bool = False
    """Listed from the second round on (`HostileSite.second_round`): about an article stored before."""


def hostile_pages(long_link: str, long_canonical: str, original: str) -> list[HostilePage]:
    """Good articles, then one page per way to break a write (or a worker), then the late ones."""
    good = [HostilePage(f"/news/good-article-number-{n}", n, STORED) for n in range(GOOD_ARTICLES)]
    return [
        *good,
        HostilePage(
            "/news/html-lang-far-longer-than-a-language-tag",
            20,
            STORED,
            _replace("'en'", "'" + "english" * 6 + "'"),
        ),
        HostilePage(
            "/news/etag-of-six-hundred-characters", 21, STORED, headers=(("ETag", '"' + "e" * 598 + '"'),)
        ),
        HostilePage(
            "/news/content-type-of-three-hundred-characters",
            22,
            STORED,
            headers=(("Content-Type", "text/html; charset=utf-8; profile=" + "p" * 270),),
        ),
        HostilePage(
            "/news/last-modified-of-150-characters",
            23,
            STORED,
            headers=(("Last-Modified", "Thu, 05 Dec 2024 12:00:00 GMT; " + "m" * 119),),
        ),
        HostilePage("/news/canonical-url-of-2070-characters", 24, STORED, canonical=long_canonical),
        HostilePage(long_link, 25, STORED),
        HostilePage("/news/lone-surrogate-in-the-json-ld-headline", 26, STORED, _surrogate_headline),
        HostilePage(
            "/news/two-million-character-title",
            27,
            STORED,
            _replace('og:title" content="', 'og:title" content="' + "T" * 2_000_000),
        ),
        HostilePage("/news/published-in-year-one-east-of-greenwich", 28, STORED, _published_in_year_one),
        HostilePage(
            "/news/a-title-the-database-refuses",
            29,
            "store_failed",
            _replace('og:title" content="', f'og:title" content="{POISON} '),
        ),
        HostilePage(
            "/news/a-page-that-kills-its-cleaning-worker", 30, "worker_died", _with_paragraph(KILL_MARKER)
        ),
        HostilePage("/news/a-page-the-cleaner-raises-on", 31, "cleaner_error", _with_paragraph(RAISE_MARKER)),
        HostilePage(
            "/news/a-page-that-needs-too-much-memory", 32, "cleaner_error", _with_paragraph(MEMORY_MARKER)
        ),
        HostilePage(
            "/news/a-page-with-no-article-in-it",
            33,
            NO_ARTICLE,
            lambda html: pages.listing_page("Nothing here", [], None),
        ),
        HostilePage(
            "/news/same-site-canonical-names-another-article",
            34,
            STORED,
            canonical=good[0].path,
            late=True,
        ),
        HostilePage("/news/a-republished-copy-names-its-original", 35, STORED, canonical=original, late=True),
    ]


class HostileSite(LoopbackSite):
    """Good articles and pages built to break what stores them, all listed by `/feed.xml`."""

    def __init__(self, host: str = "127.0.0.8") -> None:
        super().__init__(host)
        self.second_round = False
        room = LONG_URL_CHARS - len(self.url) - len("/news/feed-link-")
        self.long_canonical = f"{self.url}/news/canonical-{'c' * (room + 1)}"
        self.original = "http://127.0.0.9:9/wire/the-original-story-elsewhere"
        self.pages = hostile_pages("/news/feed-link-" + "f" * room, self.long_canonical, self.original)
        self.routes = {page.path: send("200 OK", *self._page(page)) for page in self.pages}
        self.routes["/feed.xml"] = self._feed
        self.routes["/robots.txt"] = send("200 OK", b"User-agent: *\nAllow: /\n")

    def __enter__(self) -> HostileSite:
        super().__enter__()
        return self

    def article_url(self, page: HostilePage) -> str:
        """The URL the page's article is stored under: its canonical URL when that one is on the site
        and names no other article, else its own."""
        own = self.url + page.path
        return self.long_canonical if page.canonical == self.long_canonical else own

    def listed(self) -> list[HostilePage]:
        """The pages the feed lists now."""
        return [page for page in self.pages if self.second_round or not page.late]

    def _feed(self, conn: socket.socket) -> None:
        items = "".join(
            f"<item><title>{page.number}</title><link>{escape(self.url + page.path)}</link></item>"
            for page in self.listed()
        )
        body = f"<rss version='2.0'><channel><title>Hostile</title>{items}</channel></rss>".encode()
        conn.sendall(response("200 OK", body, {"Content-Type": "application/rss+xml"}))

    def _page(self, page: HostilePage) -> tuple[bytes, dict[str, str]]:
        canonical = page.canonical or page.path
        html = bulk.bulk_article(
            page.number, self.url + canonical if canonical[0] == "/" else canonical, None
        )
        text = page.edit(html.decode()) if page.edit else html.decode()
        return text.encode("utf-8"), dict(page.headers)


def poison_trigger(dialect: str) -> list[str]:
    """SQL that makes the database refuse an article titled with POISON, as it refused rows before
    bounds.py (with PostgreSQL's SQLSTATE 22001, string data right truncation)."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER poison BEFORE INSERT ON articles WHEN instr(NEW.title, '{POISON}') > 0 "
            "BEGIN SELECT RAISE(ABORT, 'value too long (poisoned)'); END"
        ]
    return [
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF strpos(NEW.title, '{POISON}') > 0 THEN "
        "RAISE EXCEPTION USING ERRCODE = '22001', MESSAGE = 'value too long (poisoned)'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER poison BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION poison()",
    ]
