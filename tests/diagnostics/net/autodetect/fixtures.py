"""pytest plugin (listed in tests/conftest.py): fixtures for autodetection. Local DNS,
HTTPS/HTTP servers with certificates for the test domains, and an AutodetectConfig
aimed at them. Nothing leaves 127.0.0.1. The autodetection folders' conftests give
every test its own cache namespace (`fresh_cache`)."""

import uuid

import pytest

from diagnostics.net.autodetect.config import AutodetectConfig
from diagnostics.net.steps import ProbeConfig
from tests.servers.web import WebServer

# Every name the HTTPS test servers answer for (autoconfig.<d> and <d> itself).
DOMAINS = ("example.test", "acme.test", "corp.test", "hoster.test", "slow.test")
NAMES = (*DOMAINS, *(f"autoconfig.{d}" for d in DOMAINS), "ispdb.example.test", "127.0.0.1")


@pytest.fixture
def fresh_cache(settings, db):
    """A cache namespace of its own per test. Not cache.clear(): on Redis that would
    flush the Celery broker's keys too. Without Redis the cache is a database table."""
    settings.CACHES = {
        name: {**conf, "KEY_PREFIX": f"autodetect-test-{uuid.uuid4().hex[:12]}"}
        for name, conf in settings.CACHES.items()
    }


@pytest.fixture(scope="session")
def web_cert(pki, tmp_path_factory):
    leaf = pki.ca.issue_cert(*NAMES)
    folder = tmp_path_factory.mktemp("web-cert")
    cert, key = folder / "web.crt", folder / "web.key"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key.write_bytes(leaf.private_key_pem.bytes())
    return str(cert), str(key)


@pytest.fixture
def https_server(pki, web_cert):
    server = WebServer(pki.server_context(web_cert))
    yield server
    server.stop()


@pytest.fixture
def http_server():
    server = WebServer()
    yield server
    server.stop()


@pytest.fixture
def dns(dns_server, settings, https_server, http_server):
    """Local DNS in the settings, the web servers' ports wired in, the ISPDB off."""
    settings.DNS_NAMESERVERS = [dns_server.nameservers]
    settings.AUTOCONFIG_HTTPS_PORT = https_server.port
    settings.AUTOCONFIG_HTTP_PORT = http_server.port
    settings.AUTOCONFIG_ISPDB_URL = ""
    settings.AUTOCONFIG_DEADLINE = 3.0
    settings.AUTOCONFIG_GUESS_PORTS = {}
    return dns_server


@pytest.fixture
def config(dns, pki, https_server, http_server) -> AutodetectConfig:
    return AutodetectConfig(
        probe=ProbeConfig(
            timeout=2.0,
            deadline=3.0,
            allowed_private=["127.0.0.1"],
            nameservers=[dns.nameservers],
            ca_file=pki.ca_file,
        ),
        deadline=3.0,
        ispdb_url="",
        https_port=https_server.port,
        http_port=http_server.port,
    )


def web_host(dns_server, *names: str) -> None:
    """Point names at 127.0.0.1, where the test web and mail servers listen."""
    for name in names:
        dns_server.add(name, "A", "127.0.0.1")


def autoconfig_xml(
    imap=("imap.example.test", 993, "SSL", "%EMAILADDRESS%"),
    smtp=("smtp.example.test", 465, "SSL", "%EMAILADDRESS%"),
    name="Example Mail",
    extra="",
) -> bytes:
    def server(kind, tag, values):
        if values is None:
            return ""
        host, port, socket_type, username = values
        return (
            f'<{tag} type="{kind}"><hostname>{host}</hostname><port>{port}</port>'
            f"<socketType>{socket_type}</socketType><username>{username}</username>"
            f"<authentication>password-cleartext</authentication></{tag}>"
        )

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">'
        f'<emailProvider id="x"><displayName>{name}</displayName>'
        f"{server('imap', 'incomingServer', imap)}{server('smtp', 'outgoingServer', smtp)}{extra}"
        "</emailProvider></clientConfig>"
    ).encode()
