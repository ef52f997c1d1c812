"""The first steps every probe shares: dns, connect and (implicit) tls."""

import ssl
from dataclasses import dataclass
from functools import lru_cache

from . import guard
from .steps import Deadline, ProbeConfig, StepRecorder

SSL, STARTTLS, NONE = "ssl", "starttls", "none"
SECURITY_CHOICES = (SSL, STARTTLS, NONE)
SECURITY_LABELS = {SSL: "SSL/TLS", STARTTLS: "STARTTLS", NONE: "no encryption"}
# RFC 8314 implicit TLS and STARTTLS ports.
STANDARD_PORTS = {("smtp", SSL): 465, ("smtp", STARTTLS): 587, ("imap", SSL): 993, ("imap", STARTTLS): 143}


@dataclass
class ServerSettings:
    host: str
    port: int
    security: str
    username: str
    # Another username form worth one more try (e.g. the local part), never more.
    alt_username: str = ""

    def as_dict(self) -> dict:
        return {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": self.username,
        }


def tls_context(config: ProbeConfig) -> ssl.SSLContext:
    """Certificates are always verified; SSL_CERT_FILE replaces the default trust store."""
    return _context(config.ca_file or "")


@lru_cache(maxsize=8)
def _context(ca_file: str) -> ssl.SSLContext:
    # Loading the trust store costs milliseconds; one shared context serves every thread.
    context = ssl.create_default_context(cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class GuardedClient:
    """What the SMTP and IMAP clients share: the recorder, settings, deadline and TLS context."""

    def _guard_setup(self, rec, server: ServerSettings, config: ProbeConfig, deadline: Deadline) -> None:
        self.rec = rec
        self.server = server
        self.config = config
        self.deadline = deadline
        self.context = tls_context(config)

    def _guarded_socket(self, host: str, port: int):
        sock = open_socket(
            self.rec, host, port, self.server.security == SSL, self.config, self.deadline, self.context
        )
        self.rec.begin("greeting")
        return sock


def describe_tls(sock: ssl.SSLSocket) -> str:
    cipher = sock.cipher()
    return f"{sock.version()}, {cipher[0] if cipher else 'unknown cipher'}"


def open_socket(
    rec: StepRecorder,
    host: str,
    port: int,
    implicit_tls: bool,
    config: ProbeConfig,
    deadline: Deadline,
    context: ssl.SSLContext,
):
    """Resolve, check, connect and optionally wrap in TLS, recording each step."""
    rec.begin("dns")
    name = guard.normalize_host(host)
    addresses = guard.resolve(name, config, min(config.timeout, deadline.remaining()))
    guard.check(name, addresses, config)
    guard.check_port(name, addresses, port, config)
    rec.ok(", ".join(str(a) for a in addresses))

    rec.begin("connect")
    sock, ip = guard.open_connection(name, addresses, port, min(config.timeout, deadline.remaining()))
    deadline.watch(sock)
    rec.ok(f"{ip} port {port}")

    if implicit_tls:
        rec.begin("tls")
        sock = context.wrap_socket(sock, server_hostname=name)
        deadline.watch(sock)
        rec.ok(describe_tls(sock))
    return sock
