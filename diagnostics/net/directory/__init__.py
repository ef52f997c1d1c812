"""The provider directory: 60+ providers with their domains, MX fingerprints,
servers, username forms, policy and notes. Plain data, no network.

`lookup(email)` answers from the address's domain alone; `lookup_mx(hosts)` names
the provider behind a custom domain from its MX hosts; `by_host(host)` names the
provider a server belongs to.
"""

from functools import cache

from . import europe, hosting, international, regional
from .model import (
    ADDRESS,
    LOCAL_PART,
    NEEDS_PREPARATION,
    NOT_RECOMMENDED,
    OK,
    POLICIES,
    SSO_REQUIRED,
    UNSUPPORTED,
    Endpoint,
    Provider,
)
from .names import brand_label, domain_of, host_matches, registrable

__all__ = [
    "ADDRESS",
    "LOCAL_PART",
    "NEEDS_PREPARATION",
    "NOT_RECOMMENDED",
    "OK",
    "POLICIES",
    "PROVIDERS",
    "SSO_REQUIRED",
    "UNSUPPORTED",
    "Endpoint",
    "Provider",
    "by_host",
    "by_id",
    "domain_of",
    "lookup",
    "lookup_domain",
    "lookup_mx",
    "registrable",
    "username_for",
]

PROVIDERS: tuple[Provider, ...] = (
    *international.PROVIDERS,
    *europe.PROVIDERS,
    *regional.PROVIDERS,
    *hosting.PROVIDERS,
)

_BY_ID = {p.id: p for p in PROVIDERS}
_BY_DOMAIN = {domain: p for p in PROVIDERS for domain in p.domains}
_BY_BRAND = {prefix: p for p in PROVIDERS for prefix in p.domain_prefixes}
# Longest fingerprint first, so that mx-aol.mail.gm0.yahoodns.net beats yahoodns.net.
_MX = sorted(((fp, p) for p in PROVIDERS for fp in p.mx), key=lambda item: -len(item[0]))


@cache
def _by_host() -> dict[str, Provider]:
    hosts: dict[str, Provider] = {}
    for provider in PROVIDERS:
        for host in sorted(provider.hosts()):
            hosts.setdefault(host, provider)  # first in table order wins (AOL before Verizon)
    return hosts


def by_id(provider_id: str) -> Provider | None:
    return _BY_ID.get(provider_id or "")


def lookup_domain(domain: str) -> Provider | None:
    """The provider whose own addresses use this domain (not custom domains)."""
    domain = domain.strip().rstrip(".").lower()
    if not domain:
        return None
    if domain in _BY_DOMAIN:
        return _BY_DOMAIN[domain]
    # The brand is one of the labels left of the public suffix: when none of them is a
    # brand there is nothing to find, and the public suffix list (slow to load) waits.
    if not any(label in _BY_BRAND for label in domain.split(".")[:-1]):
        return None
    label = brand_label(domain)
    return _BY_BRAND.get(label) if label else None


def lookup(email: str) -> Provider | None:
    """The provider for an address's domain, with no network."""
    return lookup_domain(domain_of(email))


def lookup_mx(hosts: list[str]) -> tuple[Provider, str, str] | None:
    """(provider, MX host, fingerprint) for the first MX host, in preference order,
    that a provider's fingerprint matches."""
    for host in hosts:
        for fingerprint, provider in _MX:
            if host_matches(host, fingerprint):
                return provider, host.rstrip(".").lower(), fingerprint
    return None


def by_host(host: str) -> Provider | None:
    """The provider a server name belongs to (imap.gmail.com -> Google)."""
    return _by_host().get(host.rstrip(".").lower())


def username_for(email: str, form: str) -> str:
    return email.partition("@")[0] if form == LOCAL_PART else email
