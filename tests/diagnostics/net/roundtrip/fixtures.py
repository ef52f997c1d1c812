"""pytest plugin (listed in tests/conftest.py): fixtures for the round trip. Dovecot with
LMTP delivery (with and without IDLE), a mailbox per test, and submission servers that
deliver into it."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from diagnostics.net.transport import ServerSettings
from tests.servers.delivery import (
    DeliveringSMTP,
    DeliveryDovecot,
    Variant,
    capabilities_without,
    start_delivering_smtp,
)

PASSWORD = "round-trip pässword"
FOLDERS = ["Sent", "Drafts", "Junk", "Trash"]


@pytest.fixture(scope="session")
def delivery_dovecot(pki) -> Iterator[DeliveryDovecot]:
    server = DeliveryDovecot(pki).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def plain_dovecot(pki) -> Iterator[DeliveryDovecot]:
    """A server without IDLE, UIDPLUS, MOVE or CONDSTORE (polling, move to Trash by COPY)."""
    server = DeliveryDovecot(
        pki, capabilities_without("IDLE", "UIDPLUS", "MOVE", "CONDSTORE", "QRESYNC")
    ).start()
    yield server
    server.stop()


@dataclass
class Mailbox:
    address: str
    dovecot: DeliveryDovecot
    smtp: DeliveringSMTP | None = None

    def imap(self, security: str = "ssl") -> ServerSettings:
        port = self.dovecot.port_ssl if security == "ssl" else self.dovecot.port_starttls
        return ServerSettings("127.0.0.1", port, security, self.address)

    def smtp_settings(self) -> ServerSettings:
        return ServerSettings("127.0.0.1", self.smtp.port, "starttls", self.address)


@pytest.fixture
def mailbox_on(pki):
    """Factory: a fresh user on the given Dovecot with a submission server of the variant."""
    servers: list[DeliveringSMTP] = []

    def make(dovecot: DeliveryDovecot, variant: Variant | None = None, folders=FOLDERS) -> Mailbox:
        address = dovecot.add_user(dovecot.unique_username("rt"), PASSWORD, folders=folders)
        smtp = start_delivering_smtp(pki, dovecot, variant or Variant(), users={address: PASSWORD})
        servers.append(smtp)
        return Mailbox(address, dovecot, smtp)

    yield make
    for server in servers:
        server.stop()
