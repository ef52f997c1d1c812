"""A test tripwire: app code may reach the network only through diagnostics.net.guard.

It wraps socket.connect. A connection is fine when the guard is making it, when it
goes to our own infrastructure (database, Redis) or a DNS query, or when test code
(a test client, a test server) makes it. Any other connection made from the app's
own modules is recorded as a violation, and the autouse fixture fails the test.
"""

import socket
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_DIRS = tuple(
    str(ROOT / name) + "/"
    for name in (
        "accounts",
        "diagnostics",
        "emailcenter",
        "live",
        "mailauth",
        "review",
        "core",
        "support",
    )
)
INFRA_PORTS = {5432, 6379}
_state = threading.local()


def inside_guard() -> bool:
    return getattr(_state, "depth", 0) > 0


class Tripwire:
    def __init__(self):
        self.violations: list[str] = []
        self._original = None

    def _check(self, address) -> None:
        port = address[1] if isinstance(address, tuple) and len(address) > 1 else None
        if port in INFRA_PORTS:
            return
        frame = sys._getframe(2)
        app_frame = None
        while frame is not None:
            filename = frame.f_code.co_filename
            module = frame.f_globals.get("__name__", "")
            if module == "diagnostics.net.guard" and frame.f_code.co_name == "open_connection":
                return
            if module.startswith(("dns.", "redis.", "kombu.", "celery.", "psycopg")):
                return
            # The OAuth provider's endpoints come from the administrator's settings only
            # (infrastructure, like Redis), and mailauth.client is the one way to them.
            if module == "mailauth.client":
                return
            if app_frame is None and filename.startswith(APP_DIRS):
                app_frame = f"{filename}:{frame.f_lineno} ({frame.f_code.co_name})"
            frame = frame.f_back
        if app_frame is not None:
            self.violations.append(f"connect to {address} from {app_frame} bypassed the guard")

    def install(self) -> None:
        self._original = socket.socket.connect
        original = self._original
        tripwire = self

        def connect(sock, address):
            tripwire._check(address)
            return original(sock, address)

        socket.socket.connect = connect

    def uninstall(self) -> None:
        if self._original is not None:
            socket.socket.connect = self._original
            self._original = None
