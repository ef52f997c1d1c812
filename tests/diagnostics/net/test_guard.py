import ipaddress

import pytest

from diagnostics.net import errors, guard
from diagnostics.net.errors import ProbeError
from diagnostics.net.steps import ProbeConfig

BLOCKED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fc00::1",
    "fe80::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo around 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
    "::ffff:0:7f00:1",  # IPv4-translated (RFC 6145) around 127.0.0.1
    "::ffff:0:a00:1",  # IPv4-translated around 10.0.0.1
    "::7f00:1",  # IPv4-compatible around 127.0.0.1
    "2600::5efe:7f00:1",  # ISATAP around 127.0.0.1
    "2600::200:5efe:a00:1",  # ISATAP (universal bit) around 10.0.0.1
]
# Forms that embed an IPv4 address are refused even around a public one: no mail
# server needs them, and each is a way past a check that reads only IPv6.
EMBEDDED_PUBLIC = ["::ffff:8.8.8.8", "::ffff:0:808:808", "::808:808", "2002:808:808::1", "2600::5efe:808:808"]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", BLOCKED)
def test_it_blocks_internal_addresses(address):
    assert guard.is_blocked(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", EMBEDDED_PUBLIC)
def test_it_blocks_ipv6_forms_embedding_ipv4_whatever_is_inside(address):
    assert guard.is_blocked(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_it_allows_public_addresses(address):
    assert not guard.is_blocked(ipaddress.ip_address(address))


@pytest.mark.parametrize("form", ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "[::ffff:127.0.0.1]"])
def test_it_reads_unusual_ipv4_forms_as_loopback(form):
    ip = guard.parse_ip(form)
    assert ip is not None and guard.is_blocked(ip)


@pytest.mark.parametrize("form", ["2130706433", "0x7f.1", "127.1"])
def test_it_refuses_encoded_loopback_forms(form):
    config = ProbeConfig(allowed_private=["127.0.0.2"])
    with pytest.raises(ProbeError) as caught:
        guard.check(form, guard.resolve(guard.normalize_host(form), config, 1), config)
    assert caught.value.code == errors.BLOCKED_HOST


def test_it_exempts_listed_ips_networks_and_names():
    exempt = guard.Exemptions(["127.0.0.1", "10.0.0.0/8", "mail.internal"])
    assert exempt.allows("x", ipaddress.ip_address("127.0.0.1"))
    assert exempt.allows("x", ipaddress.ip_address("10.9.9.9"))
    assert exempt.allows("mail.internal", ipaddress.ip_address("192.168.0.5"))
    assert not exempt.allows("x", ipaddress.ip_address("127.0.0.2"))


def test_it_turns_idn_into_punycode():
    assert guard.normalize_host("Mail.Bücher.example") == "mail.xn--bcher-kva.example"


@pytest.mark.parametrize("bad", ["", "exa mple.com", "a..b", "-bad.example", "x" * 10_000, "ho$t.example"])
def test_it_rejects_malformed_hosts(bad):
    with pytest.raises(ProbeError) as caught:
        guard.normalize_host(bad)
    assert caught.value.code == errors.INVALID_INPUT
