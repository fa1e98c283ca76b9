"""The loopback web server under the newsroom: sites of documents, one HTTP server per address.

Every request is logged (`Loopback.requests`) so tests can check what a crawl fetched; a document
can fail its first requests, answer slowly, or answer 304 to its ETag, as real sites do.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

HTML = "text/html; charset=utf-8"
NOT_FOUND_BODY = b"not found"


@dataclass
class Document:
    """What a path serves. `failures` answers the first N requests with `failure_status` instead."""

    body: bytes
    content_type: str = HTML
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    failures: int = 0
    failure_status: int = 503
    failure_headers: dict[str, str] = field(default_factory=dict)
    served_at: list[float] = field(default_factory=list)
    """Wall-clock times the whole body was sent (200s, not 304s): when a crawl saw this version."""

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Site:
    """One publisher: a name, a loopback host, and the documents it serves by path (query included).

    `generated` serves paths not in `routes` (the bulk site's thousands of articles, built on demand);
    `delay` slows every answer down, for crawls that must last long enough to be interrupted.
    """

    name: str
    host: str
    routes: dict[str, Document] = field(default_factory=dict)
    port: int = 0
    generated: Callable[[str], Document | None] | None = None
    delay: float = 0.0

    def document(self, path: str) -> Document:
        found = self.routes.get(path) or (self.generated(path) if self.generated else None)
        return found or Document(NOT_FOUND_BODY, "text/plain", status=404)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def add(self, path: str, body: str, content_type: str = HTML, **options: object) -> Document:
        document = Document(body.encode("utf-8"), content_type, **options)  # type: ignore[arg-type]
        self.routes[path] = document
        return document

    def redirect(self, path: str, location: str) -> None:
        self.routes[path] = Document(b"", "text/plain", status=301, headers={"Location": location})


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    # Keep-alive, as real news sites do: a connection per request would make crawls look slower.
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        site = self.server.site
        self.server.newsroom.requests.append((site.name, self.path))
        document = site.document(self.path)
        if site.delay:
            time.sleep(site.delay)
        if document.failures > 0:
            document.failures -= 1
            self._send(document.failure_status, "text/plain", b"try later", document.failure_headers)
        elif document.status == 200 and self.headers.get("If-None-Match") == document.etag:
            self._send(304, document.content_type, b"", {"ETag": document.etag})
        else:
            document.served_at.append(time.time())
            self._send(
                document.status,
                document.content_type,
                document.body,
                {"ETag": document.etag, **document.headers},
            )

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str]) -> None:
        self.server.newsroom.answers.append((self.server.site.name, self.path, status))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the newsroom's request log is `Newsroom.requests`."""


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Site, newsroom: Loopback) -> None:
        super().__init__((site.host, site.port), _Handler)
        self.site = site
        self.newsroom = newsroom


class Loopback:
    """Sites served on loopback addresses, one HTTP server each, all on one port when it is free.

    Every request and answer is logged, so tests can check what a crawl fetched. Subclasses fill
    the sites' routes in `build`, which runs once the ports are bound (URLs need them).
    """

    def __init__(self, sites: tuple[Site, ...]) -> None:
        self.sites = sites
        self.requests: list[tuple[str, str]] = []
        self.answers: list[tuple[str, str, int]] = []
        """(site, path, HTTP status) of every answer, in order."""
        self._servers: list[_SiteServer] = []

    def start(self) -> Self:
        """Bind every site (one shared port when free) and serve in background threads."""
        port = 0
        for site in self.sites:
            site.port = port
            try:
                server = _SiteServer(site, self)
            except OSError:
                site.port = 0
                server = _SiteServer(site, self)
            site.port = port = server.server_address[1]
            self._servers.append(server)
            threading.Thread(target=server.serve_forever, name=f"newsroom-{site.name}", daemon=True).start()
        self.build()
        return self

    def build(self) -> None:
        """Fill the sites' routes; called by `start` once the ports are known."""

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
