"""Hostile HTTP servers for tests: scripted replies, every request recorded.

``hostile(routes)`` serves `routes` (path -> function(handler) that writes a raw reply) on `bind` (loopback
by default; the test network's gateway when containers must reach it), optionally over TLS, and records
each request's path and headers in ``server.seen``: what reached which server (credentials after a
redirect, for instance). ``raw_server(reply)`` is not HTTP at all. Route helpers: ``redirect``, ``body``.
"""

from __future__ import annotations

import http.server
import socketserver
import ssl
import threading
from contextlib import contextmanager
from typing import Callable, Iterator


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self.server.seen.append((self.path, dict(self.headers)))
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        route(self)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


@contextmanager
def hostile(routes: dict[str, Callable], bind: str = "127.0.0.1", tls: tuple[str, str] | None = None) -> Iterator[_Server]:
    """A server answering `routes`; ``.url`` is its base URL, ``.seen`` the (path, headers) of each request."""
    server = _Server((bind, 0), _Handler)
    server.routes, server.seen = routes, []
    scheme = "http"
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"{scheme}://{bind}:{server.server_address[1]}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def redirect(location: str | Callable[[], str], code: int = 302) -> Callable:
    def route(h) -> None:
        h.send_response(code)
        h.send_header("Location", location() if callable(location) else location)
        h.send_header("Content-Length", "0")
        h.end_headers()
    return route


def body(data: bytes) -> Callable:
    def route(h) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
    return route


def header_values(server: _Server, path: str, name: str) -> list[str | None]:
    """The value of header `name` in each request `server` got for `path` (None where it was absent)."""
    return [headers.get(name) for seen, headers in server.seen if seen.split("?")[0] == path]


@contextmanager
def raw_server(reply: bytes, bind: str = "127.0.0.1") -> Iterator[socketserver.ThreadingTCPServer]:
    """Not an HTTP server at all: answers every connection with `reply` and hangs up; ``.hits`` counts them."""
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.recv(4096)
            self.request.sendall(reply)
            self.server.hits += 1

    server = socketserver.ThreadingTCPServer((bind, 0), Handler)
    server.daemon_threads, server.hits = True, 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
