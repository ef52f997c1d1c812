"""A mail server that is slow to answer, for watching a test while it runs."""

import contextlib
import socket
import threading
import time

from tests.servers.raw import HOST


def delayed_proxy(raw_server, target_port: int, delay: float):
    """A mail server that takes `delay` seconds to answer, then behaves like the one at
    target_port: long enough for a page to see steps arrive before the result."""

    def handler(conn: socket.socket) -> None:
        time.sleep(delay)
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

    return raw_server(handler)
