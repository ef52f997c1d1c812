"""A mail server that is slow to answer, for watching a test while it runs."""

import contextlib
import socket
import threading
import time

from tests.servers.raw import HOST


def _forward(conn: socket.socket, target_port: int) -> None:
    upstream = socket.create_connection((HOST, target_port))

    def pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    back = threading.Thread(target=pump, args=(upstream, conn), daemon=True)
    back.start()
    pump(conn, upstream)
    back.join(5)
    upstream.close()


def delayed_proxy(raw_server, target_port: int, delay: float):
    """A mail server that takes `delay` seconds to answer, then behaves like the one at
    target_port: long enough for a page to see steps arrive before the result."""

    def handler(conn: socket.socket) -> None:
        time.sleep(delay)
        _forward(conn, target_port)

    return raw_server(handler)


def gated_proxy(raw_server, target_port: int, gate: threading.Event, hold: float = 120):
    """A mail server that says nothing until `gate` is set (or `hold` seconds pass), then
    behaves like the one at target_port."""

    def handler(conn: socket.socket) -> None:
        gate.wait(hold)
        _forward(conn, target_port)

    return raw_server(handler)
