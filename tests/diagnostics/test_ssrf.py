"""The guard blocks every internal-address form through the real probe path, and
only mail ports are reachable for hosts that are not exempt."""

import pytest

from diagnostics.net import guard
from diagnostics.net.credentials import Password
from diagnostics.net.redaction import Redactor
from diagnostics.net.smtp_probe import probe_smtp
from diagnostics.net.steps import ProbeConfig, StepRecorder
from diagnostics.net.transport import ServerSettings

# Each form must be refused before any connection: none of these is ever contacted.
SSRF_FORMS = [
    "127.0.0.1", "127.1", "2130706433", "0177.0.0.1", "0x7f.1", "0x7f000001", "017700000001",
    "127.0.1", "0.0.0.0", "0", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "100.100.100.200", "224.0.0.251", "255.255.255.255", "240.0.0.1", "198.18.0.1",
    "[::1]", "::1", "[::]", "[::ffff:127.0.0.1]", "::ffff:7f00:1", "::ffff:169.254.169.254",
    "fc00::1", "fd12:3456::1", "fe80::1", "[fe80::1%25eth0]", "2002:7f00:1::1", "2002:a9fe:a9fe::",
    "2001:0:4136:e378:8000:63bf:80ff:fffe", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1",
    "ff02::1", "::127.0.0.1", "::ffff:0:7f00:1", "[::ffff:0:127.0.0.1]", "::ffff:0:a9fe:a9fe",
    "2600::5efe:7f00:1", "2600::200:5efe:a00:1",
]  # fmt: skip


def _probe(host, port=587, allowed=(), nameservers=()):
    config = ProbeConfig(timeout=1, deadline=3, allowed_private=list(allowed), nameservers=list(nameservers))
    rec = StepRecorder("smtp", lambda s: None, Redactor("pw"))
    error = probe_smtp(ServerSettings(host, port, "starttls", "u"), Password("pw"), config, rec)
    return error, rec


@pytest.mark.parametrize("host", SSRF_FORMS)
def test_it_refuses_internal_address_forms_before_connecting(host):
    error, rec = _probe(host)
    assert error.code in ("blocked_host", "invalid_input"), (host, error.code, error.detail)
    assert [s.name for s in rec.steps] == ["dns"]  # never reached "connect"


def test_a_name_with_one_public_and_one_private_address_is_refused(dns_server):
    dns_server.add("split.example.test", "A", ["8.8.8.8", "10.1.1.1"])
    error, rec = _probe("split.example.test", nameservers=[dns_server.nameservers])
    assert error.code == "blocked_host" and "10.1.1.1" in error.detail
    assert [s.name for s in rec.steps] == ["dns"]


def test_a_name_that_resolves_to_loopback_is_refused_unless_exempt(dns_server):
    dns_server.add("rebind.example.test", "A", ["127.0.0.1"])
    error, _ = _probe("rebind.example.test", nameservers=[dns_server.nameservers])
    assert error.code == "blocked_host"


def test_a_name_that_does_not_resolve_is_an_error_not_a_pass(dns_server):
    error, rec = _probe("nothing.example.test", nameservers=[dns_server.nameservers])
    assert error.code == "host_unreachable" and [s.name for s in rec.steps] == ["dns"]


def test_exempting_one_address_does_not_exempt_others():
    error, _ = _probe("127.0.0.2", allowed=["127.0.0.1"])
    assert error.code == "blocked_host"


@pytest.mark.parametrize("port", [22, 80, 443, 3306, 5432, 6379, 8080, 11211])
def test_non_mail_ports_are_refused_for_hosts_that_are_not_exempt(dns_server, port):
    dns_server.add("public.example.test", "A", ["8.8.8.8"])
    error, rec = _probe("public.example.test", port=port, nameservers=[dns_server.nameservers])
    assert (error.code, error.reason) == ("invalid_input", "port_not_allowed")
    assert f"Port {port} is not a mail port" in error.detail
    assert [s.name for s in rec.steps] == ["dns"]


def test_mail_allowed_ports_extends_the_list(dns_server, settings):
    from diagnostics.config import probe_config

    settings.MAIL_ALLOWED_PORTS = [8025]
    assert 8025 in probe_config().allowed_ports and 587 in probe_config().allowed_ports


def test_exempt_hosts_may_use_any_port(raw_server):
    from tests.servers.raw import send_then_close

    server = raw_server(send_then_close(b"554 no\r\n"))
    error, rec = _probe("127.0.0.1", port=server.port, allowed=["127.0.0.1"])
    assert error.code == "smtp_fatal" and "connect" in [s.name for s in rec.steps]


@pytest.mark.parametrize(
    "host",
    [
        "a" * 64 + ".example.test",
        "x." * 127 + "test",
        "bad_host.example",
        "exa mple.test",
        "ex\x00ample.test",
    ],
)
def test_malformed_and_overlong_host_names_are_invalid_input(host):
    error, _ = _probe(host)
    assert error.code == "invalid_input"


def test_idn_names_become_punycode_before_lookup(dns_server):
    dns_server.add("xn--mnchen-3ya.example.test", "A", ["8.8.8.8"])
    assert guard.normalize_host("MÜNCHEN.example.test") == "xn--mnchen-3ya.example.test"
    error, _ = _probe("münchen.example.test", port=22, nameservers=[dns_server.nameservers])
    assert error.reason == "port_not_allowed"  # it resolved, then the port rule applied


def test_ssrf_form_count():
    assert len(SSRF_FORMS) >= 35
