"""MX and SRV lookups with dnspython, on DNS_NAMESERVERS when set.

Names under special-use TLDs (RFC 6761: .test, .example, .invalid, .localhost, and
friends) never exist in public DNS, so with the system resolver we answer "no such
name" without asking: that keeps a typo like name@company.local from costing a
whole deadline. With explicit nameservers (a corporate resolver, the tests) we ask.
"""

import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

from ..steps import ProbeConfig
from ..words import N_

RESERVED_TLDS = ("test", "example", "invalid", "localhost", "local", "onion", "internal", "alt")
RESERVED_SUFFIXES = ("home.arpa",)


class DNSFailure(Exception):
    """kind: nxdomain, timeout or error."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def is_reserved(name: str) -> bool:
    name = name.rstrip(".").lower()
    tld = name.rpartition(".")[2]
    return tld in RESERVED_TLDS or any(name == s or name.endswith("." + s) for s in RESERVED_SUFFIXES)


def refuse_reserved(name: str, config: ProbeConfig) -> None:
    if not config.nameservers and is_reserved(name):
        raise DNSFailure(
            "nxdomain", N_("{name} is a reserved name that never exists in public DNS.").format(name=name)
        )


def _nameserver(entry: str) -> dns.nameserver.Do53Nameserver:
    # "ip", "ip:port", "[v6]:port" or a bare IPv6 address.
    entry = entry.strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return dns.nameserver.Do53Nameserver(host, int(rest.lstrip(":") or 53))
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return dns.nameserver.Do53Nameserver(host, int(port))
    return dns.nameserver.Do53Nameserver(entry, 53)


def resolver(config: ProbeConfig, timeout: float) -> dns.resolver.Resolver:
    if config.nameservers:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = [_nameserver(e) for e in config.nameservers]
    else:
        res = dns.resolver.Resolver()
    res.lifetime = max(0.05, timeout)
    res.timeout = max(0.05, timeout)
    return res


def query(name: str, rdtype: str, config: ProbeConfig, timeout: float) -> list:
    """Records of one type; [] when the name exists without them (NODATA)."""
    refuse_reserved(name, config)
    try:
        answer = resolver(config, timeout).resolve(name, rdtype, search=False)
    except dns.resolver.NXDOMAIN:
        raise DNSFailure("nxdomain", N_("{name} does not exist in DNS.").format(name=name)) from None
    except dns.resolver.NoAnswer:
        return []
    except (dns.exception.Timeout, dns.resolver.LifetimeTimeout):
        raise DNSFailure("timeout", N_("DNS did not answer for {name} in time.").format(name=name)) from None
    except (dns.resolver.NoNameservers, dns.exception.DNSException) as exc:
        raise DNSFailure(
            "error",
            N_("DNS lookup of {name} failed ({error}).").format(name=name, error=exc.__class__.__name__),
        ) from None
    return list(answer)


def mx_hosts(domain: str, config: ProbeConfig, timeout: float) -> list[str]:
    """MX hosts, most preferred first. A null MX (RFC 7505) gives ["."]."""
    records = sorted(query(domain, "MX", config, timeout), key=lambda r: r.preference)
    return [str(r.exchange).rstrip(".").lower() or "." for r in records]


def srv_records(name: str, config: ProbeConfig, timeout: float) -> list[tuple[int, int, int, str]]:
    """(priority, weight, port, target), best first: lowest priority, then highest weight."""
    try:
        records = query(name, "SRV", config, timeout)
    except DNSFailure as exc:
        if exc.kind == "nxdomain":
            return []
        raise
    rows = [(r.priority, r.weight, r.port, str(r.target).rstrip(".").lower() or ".") for r in records]
    return sorted(rows, key=lambda row: (row[0], -row[1]))
