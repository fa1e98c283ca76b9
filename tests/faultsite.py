"""A loopback site that misbehaves on purpose, one fault per path, for the fault-tolerance tests:
resets, truncated bodies, slow drips, headers of any length.

`/` is a section page linking every fault, one good article, one malformed page whose article
survives its markup, and a port next door that never accepts a connection.
"""

from __future__ import annotations

import gzip
import socket
import time
from pathlib import Path

from loopbacksite import LoopbackSite, Route, send

from crawler.newsroom import pages
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
