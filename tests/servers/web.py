"""Local HTTP(S) servers for autoconfig and ISPDB tests, on 127.0.0.1.

Routes are keyed by (host, path) or by path alone; a value is (status, body,
headers) or a callable taking the handler. Every request is recorded with the
time it arrived, so tests can check that sources were asked at the same time.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        parts = urlsplit(self.path)
        self.server.web.requests.append((time.monotonic(), host, parts.path, parts.query))
        route = self.server.web.routes.get((host, parts.path)) or self.server.web.routes.get(parts.path)
        if route is None:
            route = (404, b"not here", {})
        if callable(route):
            route(self)
            return
        status, body, headers = route
        self.send_response(status)
        headers = {"Content-Type": "application/xml", "Content-Length": str(len(body)), **headers}
        for name, value in headers.items():
            if value is not None:
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, web: WebServer, context: ssl.SSLContext | None):
        self.web = web
        self.context = context
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self):
        sock, address = super().get_request()
        if self.context is not None:
            # Handshake in the handler's thread, so a silent client cannot block accept().
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address) -> None:
        pass  # clients that give up early are part of the tests


class WebServer:
    def __init__(self, context: ssl.SSLContext | None = None):
        self.routes: dict = {}
        self.requests: list[tuple[float, str, str, str]] = []
        self.stopping = threading.Event()
        self._server = _Server(self, context)
        self.port = self._server.server_address[1]
        self.scheme = "https" if context else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, host: str, path: str) -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        with contextlib.suppress(OSError):
            self._server.server_close()


def hang(handler: _Handler) -> None:
    """Accept the request and never answer (until the server stops)."""
    handler.server.web.stopping.wait(30)


def slow(seconds: float, body: bytes):
    def respond(handler: _Handler) -> None:
        time.sleep(seconds)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def endless(handler: _Handler) -> None:
    """200 with no Content-Length and a body that never ends (well, 5 MB)."""
    handler.send_response(200)
    handler.end_headers()
    chunk = b"<a>" + b"x" * 65536
    with contextlib.suppress(OSError):
        for _ in range(80):
            handler.wfile.write(chunk)


def redirect(location: str):
    return (302, b"", {"Location": location})
