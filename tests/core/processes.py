"""A small HTTP client for real web processes (tests.conftest.spawn_web): it signs in
from a chosen loopback address and keeps cookies like a browser.
"""

import http.client
import re
import time
from email.message import Message
from http.cookies import SimpleCookie
from urllib.parse import urlencode


class Response:
    def __init__(self, status: int, headers: Message, body: str):  # headers: case-insensitive
        self.status = status
        self.headers = headers
        self.body = body


class Visitor:
    """One browser: its cookies, its address (any 127.0.0.0/8 address works on Linux)."""

    def __init__(self, port: int, source: str = "127.0.0.1"):
        self.port = port
        self.source = source
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None, headers=None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.source, 0))
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        body = None
        if data is not None:
            body = urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        try:
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            text = raw.read().decode(errors="replace")
            for value in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            return Response(raw.status, raw.headers, text)
        finally:
            conn.close()

    def get(self, path: str, headers=None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict) -> Response:
        if "csrftoken" not in self.cookies:
            self.get("/login/")
        return self.request("POST", path, data)

    def sign_in(self, username: str, password: str) -> Response:
        self.get("/login/")
        return self.post("/login/", {"username": username, "password": password})


def wait_for(predicate, seconds: float = 30.0, every: float = 0.1):
    """The predicate's first truthy value, or None after `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return None


def mailbox_id(location: str) -> int:
    return int(re.search(r"/mailboxes/(\d+)/", location).group(1))
