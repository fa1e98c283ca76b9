"""Loopback sites that misbehave on purpose, one fault per path, for the fault-tolerance tests.

Written on raw sockets where HTTP libraries would refuse to misbehave: resets, truncated bodies,
slow drips, headers of any length.

- `FaultSite`: network and server faults. `/` is a section page linking every fault, one good
  article, one malformed page whose article survives its markup, and a port next door that never
  accepts a connection.
- `HostileSite`: article pages built to break what stores them (values past every bound, lone
  surrogates, a canonical URL naming another article, a page that kills its cleaning worker...),
  among good ones, all listed by one feed. Each page says what must become of it (`fate`).
"""

from __future__ import annotations

import gzip
import os
import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from crawler.newsroom import bulk, pages
from crawler.newsroom.stories import RAIL_STRIKE, ROMAN_ROAD

GOOD = "/news/good-article-about-the-roman-road"
# Unclosed tags and 10,000 nested divs after the text: the article is still there, and stored whole.
MALFORMED = "/news/malformed-page-with-ten-thousand-nested-divs"
# Asked of FaultSite.blackhole, a port that accepts no connection: counted as `timeout`.
CONNECT_TIMEOUT = "/news/connect-timeout-nobody-accepts"
# Minutes of cleaning under SLOW_RULES (WIREDESK_CLEAN_RULES), an operator's rule that backtracks on
# one of its lines: dropped as `time_limit` when WIREDESK_CLEAN_TIME_LIMIT is CLEAN_TIME_LIMIT.
SLOW_TO_CLEAN = "/news/page-too-slow-to-clean-for-a-rule"
SLOW_RULES = Path(__file__).parent / "pages" / "backtracking-rule.toml"
FAULTS = {
    "/news/server-error-500-every-time": "http-500",
    "/news/bad-gateway-502-every-time": "http-502",
    "/news/unavailable-503-every-time": "http-503",
    "/news/too-many-requests-without-retry-after": "http-429",
    "/news/connection-reset-before-answer": "no-response",
    "/news/truncated-body-shorter-than-length": "connection-lost",
    "/news/slow-drip-body-one-byte-a-second": "timeout",
    "/news/gzip-bomb-of-many-megabytes": "too-large",
    "/news/huge-body-far-above-the-limit": "too-large",
    "/news/pdf-served-as-text-html-page": "binary_body",
    "/news/redirect-loop-first-hop-here": "redirect-loop",
    "/news/empty-body-with-status-200": "empty_body",
    "/news/page-with-no-article-at-all": "no_article_found",
    SLOW_TO_CLEAN: "time_limit",
}
# A listing of just the slow page and a good one.
SLOW_LISTING = "/slow/"
LIMIT = 1024 * 1024
# Well above the good pages' cleaning time (milliseconds), well below the slow page's (seconds).
CLEAN_TIME_LIMIT = 1.0


def _response(status: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
    head = [
        f"HTTP/1.1 {status}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class _Handler(socketserver.BaseRequestHandler):
    server: FaultSite

    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        path = data.split(b" ", 2)[1].decode()
        self.server.requests.append(path)
        action = self.server.routes.get(path.split("?")[0])
        if action is None:
            self.request.sendall(_response("404 Not Found", b"not found"))
        else:
            action(self.request)


Route = Callable[[socket.socket], None]


def send(status: str, body: bytes, headers: dict[str, str] | None = None) -> Route:
    """A route that answers every request with this response."""
    return lambda conn: conn.sendall(_response(status, body, headers))


class LoopbackSite(socketserver.ThreadingTCPServer):
    """A site on a loopback address whose paths answer as `routes` says; every request is logged."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.requests: list[str] = []
        self.url = f"http://{host}:{self.server_address[1]}"
        self.routes: dict[str, Route] = {}

    def __enter__(self) -> LoopbackSite:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class FaultSite(LoopbackSite):
    def __init__(self, host: str = "127.0.0.6") -> None:
        super().__init__(host)
        self.blackhole = Blackhole(host)
        # Built once: the gzip bomb alone takes half a second, too long to build for every request.
        self.routes = self._routes()

    def __enter__(self) -> FaultSite:
        super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self.blackhole.close()

    def _routes(self) -> dict[str, Route]:
        article = pages.publisher_article(ROMAN_ROAD, self.url + GOOD, []).encode()
        links = [(path, path) for path in (GOOD, MALFORMED, *FAULTS)]
        links += [(self.blackhole.url + CONNECT_TIMEOUT, "connect")]
        links += [(f"/section/?page={n}", "more") for n in (2, 3)]
        return {
            "/": send("200 OK", pages.listing_page("Faults", links, "/section/?page=2").encode()),
            "/section/": send("200 OK", pages.listing_page("Trap", [], "/section/?page=999").encode()),
            SLOW_LISTING: send(
                "200 OK", pages.listing_page("Slow", [(SLOW_TO_CLEAN, "slow"), (GOOD, "good")], None).encode()
            ),
            "/robots.txt": send("200 OK", b"User-agent: *\nAllow: /\n"),
            GOOD: send("200 OK", article),
            MALFORMED: send("200 OK", malformed(self.url + MALFORMED)),
            "/news/server-error-500-every-time": send("500 Internal Server Error", b"oops"),
            "/news/bad-gateway-502-every-time": send("502 Bad Gateway", b"oops"),
            "/news/unavailable-503-every-time": send("503 Service Unavailable", b"later"),
            "/news/too-many-requests-without-retry-after": send("429 Too Many Requests", b"slow down"),
            "/news/connection-reset-before-answer": _reset,
            "/news/truncated-body-shorter-than-length": _truncated,
            "/news/slow-drip-body-one-byte-a-second": _drip,
            "/news/gzip-bomb-of-many-megabytes": send(
                "200 OK", gzip.compress(b"<p>" + b"A" * (LIMIT * 40)), {"Content-Encoding": "gzip"}
            ),
            "/news/huge-body-far-above-the-limit": send("200 OK", b"<p>" + b"x" * (LIMIT * 3)),
            "/news/pdf-served-as-text-html-page": send("200 OK", b"%PDF-1.7\n" + bytes(range(256)) * 200),
            "/news/redirect-loop-first-hop-here": send(
                "302 Found", b"", {"Location": "/news/redirect-loop-2"}
            ),
            "/news/redirect-loop-2": send(
                "302 Found", b"", {"Location": "/news/redirect-loop-first-hop-here"}
            ),
            "/news/empty-body-with-status-200": send("200 OK", b""),
            "/news/page-with-no-article-at-all": send(
                "200 OK", b"<html><head><title>Hi</title></head><body><nav>Home</nav></body></html>"
            ),
            SLOW_TO_CLEAN: send("200 OK", slow_to_clean()),
        }


class Blackhole:
    """A port that accepts no connection: a client's connect times out, quickly and offline.

    Its accept queue (one place, for `listen(0)`) is filled by a connection nobody accepts, and
    Linux drops the SYN of any further connection while the queue is full, with no answer at all.
    """

    def __init__(self, host: str) -> None:
        self.listener = socket.create_server((host, 0), backlog=0)
        address = self.listener.getsockname()
        self.filler = socket.create_connection(address, timeout=5)
        self.url = f"http://{host}:{address[1]}"

    def close(self) -> None:
        self.filler.close()
        self.listener.close()


def malformed(url: str) -> bytes:
    """RAIL_STRIKE's page, broken as real pages are: paragraphs and inline tags never closed, a
    stray end tag, and 10,000 nested divs that never close after the text."""
    page = pages.publisher_article(RAIL_STRIKE, url, [])
    page = page.replace("</p>", "").replace("<h1>", "<h1><b><i>", 1)
    return page.replace("</article>", "</span>" + "<div class='x'>" * 10_000 + "<p>unclosed", 1).encode()


def slow_to_clean() -> bytes:
    """ROMAN_ROAD's page with a line on which SLOW_RULES's pattern backtracks for minutes."""
    line = "<p>Slow going: " + "the road was closed again " * 4 + "!</p>"
    return pages.publisher_article(ROMAN_ROAD, "", []).replace("</article>", line + "</article>", 1).encode()


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()


def _truncated(conn: socket.socket) -> None:
    body = b"<html><body><p>" + b"cut " * 500
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n"
    )
    conn.sendall(head + body)
    conn.close()


def _drip(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n")
    try:
        for _ in range(30):
            conn.sendall(b"x")
            time.sleep(1)
    except OSError:
        return


# --- the hostile site ---------------------------------------------------------------------------
# With tests/hooks on PYTHONPATH (`hook_environment`), the cleaning workers of a crawl die on a page
# carrying KILL_MARKER, as under the kernel's OOM killer; raise on RAISE_MARKER; and allocate more
# than WIREDESK_CLEAN_MEMORY_LIMIT on MEMORY_MARKER. Without the hooks these are plain sentences.
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
        conn.sendall(_response("200 OK", body, {"Content-Type": "application/rss+xml"}))

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
