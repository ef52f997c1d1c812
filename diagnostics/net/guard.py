"""The one guarded way out: validate a host, resolve it, check every address, connect.

We connect to the exact address we checked (no second lookup), so a name cannot
resolve to a public address for the check and a private one for the connection.
TLS still verifies the original host name through SNI.
"""

import ipaddress
import re
import socket

import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

from . import errors
from .errors import ProbeError
from .steps import ProbeConfig
from .words import N_

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Forms inet_aton accepts but ip_address does not: 2130706433, 0x7f.1, 0177.0.0.1, 127.1.
_LEGACY_V4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.I)

_BLOCKED_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_BLOCKED_V6 = [
    ipaddress.ip_network(n)
    for n in (
        "::/128",
        "::1/128",
        "::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
]


def parse_ip(host: str) -> IPAddress | None:
    """An IP literal in any form a resolver would accept, or None for a name."""
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_V4.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def normalize_host(host: str) -> str:
    """Lower-case, IDN to punycode, and check the shape; raises invalid_input."""
    text = (host or "").strip().rstrip(".").lower()
    if not text:
        raise ProbeError(errors.INVALID_INPUT, N_("The server name is empty."))
    if len(text) > 253:
        raise ProbeError(errors.INVALID_INPUT, N_("The server name is too long."))
    if parse_ip(text) is not None:
        return text
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise ProbeError(
            errors.INVALID_INPUT, N_("The server name contains characters that are not allowed.")
        ) from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ProbeError(
            errors.INVALID_INPUT,
            N_("The server name is not a valid host name (letters, digits, dots and hyphens)."),
        )
    return ascii_name


# IPv6 forms that carry an IPv4 address inside (RFC 4291 mapped and compatible,
# RFC 6145 translated, RFC 3056 6to4, RFC 4380 Teredo, RFC 5214 ISATAP). Nothing a
# mail server needs: they are refused whatever the IPv4 inside, because each is a
# way to reach 127.0.0.1 or a private network past a check that reads only IPv6.
_V4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")
_ISATAP_IDS = (0x00005EFE, 0x02005EFE)


def embeds_v4(ip: ipaddress.IPv6Address) -> bool:
    """True for every IPv6 form that embeds an IPv4 address, except NAT64 (judged by
    the address inside, since DNS64 networks reach IPv4-only mail servers that way)."""
    if ip.ipv4_mapped or ip.sixtofour or ip.teredo:
        return True
    if ip in _V4_TRANSLATED or ip in _V4_COMPATIBLE:
        return True
    return (int(ip) >> 32) & 0xFFFFFFFF in _ISATAP_IDS


def is_blocked(ip: IPAddress) -> bool:
    """True for loopback, private, link-local, shared, reserved and multicast space,
    and for IPv6 forms that embed an IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if embeds_v4(ip):
            return True
        if ip in _NAT64:
            return is_blocked(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return any(ip in net for net in _BLOCKED_V6) or not ip.is_global
    return any(ip in net for net in _BLOCKED_V4) or not ip.is_global


class Exemptions:
    """MAIL_ALLOWED_PRIVATE_HOSTS: IPs, CIDRs or host names."""

    def __init__(self, entries: list[str]):
        self.networks = []
        self.names = set()
        for entry in entries:
            entry = entry.strip().lower()
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                self.names.add(entry.rstrip("."))

    def allows(self, host: str, ip: IPAddress) -> bool:
        if host in self.names:
            return True
        return any(ip.version == net.version and ip in net for net in self.networks)


def _resolver(config: ProbeConfig, timeout: float) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    servers = []
    for entry in config.nameservers:
        host, _, port = entry.strip().rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        host = host or entry
        servers.append(dns.nameserver.Do53Nameserver(host.strip("[]"), int(port or 53)))
    resolver.nameservers = servers
    resolver.lifetime = timeout
    resolver.timeout = timeout
    return resolver


def resolve(host: str, config: ProbeConfig, timeout: float) -> list[IPAddress]:
    """All addresses for host. A name that does not resolve is an error, never a pass."""
    literal = parse_ip(host)
    if literal is not None:
        return [literal]
    if config.nameservers:
        return _resolve_with_dnspython(host, config, timeout)
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            raise ProbeError(
                errors.HOST_UNREACHABLE,
                N_("The name {host} does not exist in DNS.").format(host=host),
                reason="nxdomain",
            ) from None
        raise ProbeError(
            errors.HOST_UNREACHABLE,
            N_("The name {host} could not be looked up ({error}).").format(host=host, error=exc.strerror),
            reason="resolver_failure",
        ) from None
    seen: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if ip not in seen:
            seen.append(ip)
    return seen


def _resolve_with_dnspython(host: str, config: ProbeConfig, timeout: float) -> list[IPAddress]:
    resolver = _resolver(config, timeout)
    found: list[IPAddress] = []
    nxdomain = 0
    for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        try:
            answer = resolver.resolve(host, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            nxdomain += 1
            continue
        except (dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            continue
        except dns.exception.Timeout:
            raise ProbeError(
                errors.HOST_UNREACHABLE,
                N_("The DNS servers did not answer for {host} in time.").format(host=host),
                reason="resolver_failure",
            ) from None
        found.extend(ipaddress.ip_address(r.address) for r in answer)
    if found:
        return found
    if nxdomain:
        raise ProbeError(
            errors.HOST_UNREACHABLE,
            N_("The name {host} does not exist in DNS.").format(host=host),
            reason="nxdomain",
        )
    raise ProbeError(
        errors.HOST_UNREACHABLE,
        N_("The name {host} has no address records.").format(host=host),
        reason="no_address",
    )


def check(host: str, addresses: list[IPAddress], config: ProbeConfig) -> None:
    """Refuse if any address is internal and not exempted."""
    exempt = Exemptions(config.allowed_private)
    for ip in addresses:
        if is_blocked(ip) and not exempt.allows(host, ip):
            if parse_ip(host) is not None:
                detail = N_("{address} is a private or internal address; we do not connect there.")
            else:
                detail = N_(
                    "{host} resolves to {address}, a private or internal address; we do not connect there."
                )
            raise ProbeError(
                errors.BLOCKED_HOST,
                detail.format(host=host, address=ip),
                reason="private_address",
            )


def check_port(host: str, addresses: list[IPAddress], port: int, config: ProbeConfig) -> None:
    """Mail ports only, so that nobody scans other services through us; exempt hosts may use any."""
    if port in config.allowed_ports:
        return
    exempt = Exemptions(config.allowed_private)
    if addresses and all(exempt.allows(host, ip) for ip in addresses):
        return
    allowed = ", ".join(str(p) for p in sorted(config.allowed_ports))
    raise ProbeError(
        errors.INVALID_INPUT,
        N_("Port {port} is not a mail port. We only connect to {ports}.").format(port=port, ports=allowed),
        reason="port_not_allowed",
    )


def open_connection(
    host: str, addresses: list[IPAddress], port: int, timeout: float
) -> tuple[socket.socket, IPAddress]:
    """Connect to the first checked address that accepts."""
    last: OSError | None = None
    for ip in addresses:
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((str(ip), port))
            return sock, ip
        except OSError as exc:
            sock.close()
            last = exc
    assert last is not None
    raise last
