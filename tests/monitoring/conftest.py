"""Fixtures for health checks: a mailbox connected to real loopback servers whose
password (and availability) a test can change between checks."""

import threading
from dataclasses import dataclass

import pytest

from accounts.models import Mailbox
from monitoring import checks
from tests.servers.raw import RawServer, forward_to, silent

PASSWORD = "health-Secret 42"


@dataclass
class Servers:
    smtp: object
    dovecot: object
    imap_port: int

    def change_password(self, name: str, password: str) -> None:
        self.smtp.users[name] = password
        self.dovecot.add_user(name, password)


@pytest.fixture
def servers(smtp_server, dovecot):
    return Servers(smtp_server(security="starttls", users={}), dovecot, dovecot.port_ssl)


@pytest.fixture
def connected_mailbox(servers, make_mailbox, user):
    """A mailbox whose password works, marked connected and monitored."""
    counter = iter(range(1, 1000))

    def make(owner=None, imap_port=None, smtp_port=None) -> Mailbox:
        owner = owner or user
        if not owner.email:
            owner.email = f"{owner.username}@people.example"
            owner.save(update_fields=["email"])
        name = servers.dovecot.unique_username(f"health{next(counter)}")
        servers.change_password(name, PASSWORD)
        servers.dovecot.create_folders(name, ["Sent"])
        mailbox = make_mailbox(
            owner,
            email=name,
            password=PASSWORD,
            smtp_port=smtp_port or servers.smtp.port,
            imap_port=imap_port or servers.imap_port,
            status=Mailbox.Status.CONNECTED,
        )
        checks.ensure_health(mailbox)
        return mailbox

    return make


class Flaky:
    """A TCP relay to a real server that stays silent (a timeout) for its first `failures`
    connections, and counts connections open at once."""

    def __init__(self, port: int, failures: int = 0, delay: float = 0.0, counter=None):
        self.failures = failures
        self.delay = delay
        self.counter = counter if counter is not None else Concurrency()
        self._forward = forward_to(port)
        self.server = RawServer(self._handle)
        self.port = self.server.port

    def _handle(self, conn) -> None:
        with self.counter:
            if self.server.accepted <= self.failures:
                silent(conn)
                return
            if self.delay:
                threading.Event().wait(self.delay)
            self._forward(conn)


class Concurrency:
    def __init__(self):
        self._lock = threading.Lock()
        self.now = self.peak = 0

    def __enter__(self):
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc):
        with self._lock:
            self.now -= 1


@pytest.fixture
def flaky():
    made = []

    def make(port: int, **kwargs) -> Flaky:
        relay = Flaky(port, **kwargs)
        made.append(relay)
        return relay

    yield make
    for relay in made:
        relay.server.stop()
