"""pytest plugin exposing the test servers.

Enable with ``pytest_plugins = ["tests.servers.fixtures"]`` in the top-level
conftest. Scopes: the PKI and Dovecot are per session (both slow-ish to make),
SMTP/raw/DNS servers are per test so no state leaks between tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from .dns import LocalDNS
from .imap import Dovecot, start_dovecot
from .raw import Handler, RawServer
from .raw import closed_port as _closed_port
from .smtp import SMTPServer, start_smtp
from .tls import TestPKI


@pytest.fixture(scope="session")
def pki() -> Iterator[TestPKI]:
    test_pki = TestPKI()
    yield test_pki
    test_pki.cleanup()


@pytest.fixture
def smtp_server(pki: TestPKI) -> Iterator[Callable[..., SMTPServer]]:
    """Factory: ``smtp_server(security="ssl", users={...})``; see start_smtp()."""
    servers: list[SMTPServer] = []

    def factory(**kwargs) -> SMTPServer:
        server = start_smtp(pki, **kwargs)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def dovecot(pki: TestPKI) -> Iterator[Dovecot]:
    """Session Dovecot; give each test its own user (``dovecot.unique_username()``)."""
    server = start_dovecot(pki)
    yield server
    server.stop()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Handler], RawServer]]:
    """Factory: ``raw_server(silent)`` or ``raw_server(send_then_close(b"..."))``."""
    servers: list[RawServer] = []

    def factory(handler: Handler) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def dns_server() -> Iterator[LocalDNS]:
    """An empty LocalDNS; fill it with ``dns_server.add(name, type, values)``."""
    server = LocalDNS()
    yield server
    server.stop()


@pytest.fixture
def closed_port() -> int:
    """A 127.0.0.1 port where nothing listens."""
    return _closed_port()
