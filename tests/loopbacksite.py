"""A loopback site written on raw sockets, where HTTP libraries would refuse to misbehave: each
path answers as its route says (tests/faultsite.py, tests/hostilesite.py build on it)."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable


def response(status: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
    head = [
        f"HTTP/1.1 {status}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class _Handler(socketserver.BaseRequestHandler):
    server: LoopbackSite

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
            self.request.sendall(response("404 Not Found", b"not found"))
        else:
            action(self.request)


Route = Callable[[socket.socket], None]


def send(status: str, body: bytes, headers: dict[str, str] | None = None) -> Route:
    """A route that answers every request with this response."""
    return lambda conn: conn.sendall(response(status, body, headers))


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
