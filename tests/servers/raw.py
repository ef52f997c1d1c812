"""Raw TCP peers for hostile or broken-server tests (timeouts, garbage, floods).

``RawServer(handler)`` listens on 127.0.0.1 (ephemeral port) and runs
``handler(conn)`` for each connection in a daemon thread. ``stop()`` shuts
every accepted socket down, which wakes any handler blocked in recv/send/select,
so stopping never waits for a client to go away.

Handlers treat "the socket became readable and recv() returned b''" as the
signal to quit: that happens when the client closes or when the server stops.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

HOST = "127.0.0.1"

Handler = Callable[[socket.socket], None]


class RawServer:
    host = HOST

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.accepted = 0  # connections accepted so far
        self._listener = socket.create_server((HOST, 0))
        # A short accept timeout lets the accept loop notice stop() portably.
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"raw-{self.port}", daemon=True)
        self._acceptor.start()

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._acceptor.join(1)
        self._listener.close()
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for conn in conns:
            _shutdown(conn)
        deadline = time.monotonic() + 1  # one budget for all: handlers are daemon threads anyway
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for conn in conns:
            conn.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<RawServer {self.host}:{self.port}>"

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)  # handlers decide how long to wait
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self.accepted += 1
                self._conns.append(conn)
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.handler(conn)
        except OSError:
            pass  # the client went away or stop() shut the socket down
        finally:
            _shutdown(conn)
            conn.close()


def _shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        conn.shutdown(socket.SHUT_RDWR)


def wait_for_close(conn: socket.socket, timeout: float | None = None) -> bool:
    """Discard input until EOF (client closed or server stopping).

    Returns True on EOF, False if ``timeout`` passed first.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        readable, _, _ = select.select([conn], [], [], remaining)
        if not readable:
            return False
        if not conn.recv(65536):
            return True


def silent(conn: socket.socket) -> None:
    """Accept and never send a byte; keep the connection open until stop."""
    wait_for_close(conn)


def send_then_hang(data: bytes) -> Handler:
    """Send ``data`` (e.g. a greeting) and then go quiet until stop."""

    def handler(conn: socket.socket) -> None:
        conn.sendall(data)
        wait_for_close(conn)

    return handler


def send_then_close(data: bytes) -> Handler:
    """Send ``data`` and hang up at once."""

    def handler(conn: socket.socket) -> None:
        conn.sendall(data)

    return handler


def drip(data: bytes, interval: float) -> Handler:
    """Send ``data`` one byte per ``interval`` seconds (slowloris), then hang."""

    def handler(conn: socket.socket) -> None:
        for i in range(len(data)):
            conn.sendall(data[i : i + 1])
            if wait_for_close(conn, interval):
                return
        wait_for_close(conn)

    return handler


def flood(line: bytes, count: int, then: str = "hang") -> Handler:
    """Send ``line`` ``count`` times (CRLF added if missing), then hang or close."""
    if not line.endswith(b"\n"):
        line += b"\r\n"
    chunk = line * max(1, 65536 // len(line))

    def handler(conn: socket.socket) -> None:
        remaining = count
        while remaining > 0:
            batch = min(remaining, len(chunk) // len(line))
            conn.sendall(chunk[: batch * len(line)])
            remaining -= batch
        if then == "hang":
            wait_for_close(conn)

    return handler


@dataclass(frozen=True)
class Expect:
    """Script step: read one line; it must start with ``prefix`` (case-insensitive)."""

    prefix: bytes = b""


def expect(prefix: bytes = b"") -> Expect:
    return Expect(prefix)


@dataclass
class Script:
    """Handler playing ``steps``: bytes are sent, :class:`Expect` steps read a line.

    ``received`` collects the lines the client sent, ``errors`` describes a
    mismatch (the connection is then closed). After the last step the
    connection is closed (``then="close"``) or held open (``then="hang"``).
    """

    steps: list[bytes | Expect]
    then: str = "close"
    received: list[bytes] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __call__(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            for step in self.steps:
                if isinstance(step, Expect):
                    line = reader.readline(65536)
                    if not line:
                        self.errors.append(f"connection closed while expecting {step.prefix!r}")
                        return
                    self.received.append(line)
                    if not line.upper().startswith(step.prefix.upper()):
                        self.errors.append(f"expected {step.prefix!r}, got {line!r}")
                        return
                else:
                    conn.sendall(step)
            if self.then == "hang":
                wait_for_close(conn)
        finally:
            reader.close()


def scripted(steps: Iterable[bytes | Expect], then: str = "close") -> Script:
    return Script(list(steps), then)


def forward_to(port: int, host: str = HOST, source_ip: str | None = None) -> Handler:
    """Relay bytes to ``host:port``, optionally from another loopback source IP.

    Dovecot treats a client whose IP equals the server IP as "secured"; relaying
    from 127.0.0.2 is how tests see its non-local behaviour (LOGINDISABLED).
    """
    source = (source_ip, 0) if source_ip else None

    def handler(conn: socket.socket) -> None:
        with socket.create_connection((host, port), timeout=5, source_address=source) as upstream:
            upstream.settimeout(None)
            peers = {conn: upstream, upstream: conn}
            while True:
                readable, _, _ = select.select(list(peers), [], [])
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)

    return handler


def closed_port() -> int:
    """A 127.0.0.1 port with no listener (connecting gets ECONNREFUSED).

    Binding without listen() and closing reserves nothing, so another process
    could grab the port later; with ephemeral ports that is very unlikely.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]
