"""Domain-name helpers: the domain of an address, public suffixes, MX matching."""

from functools import cache

from publicsuffixlist import PublicSuffixList


@cache
def _psl() -> PublicSuffixList:
    # The list ships inside the package: no download at run time.
    # ICANN section only: "outlook.blogspot.com" must not look like a Microsoft domain.
    return PublicSuffixList(only_icann=True)


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().rstrip(".").lower()


def public_suffix(domain: str) -> str:
    return _psl().publicsuffix(domain) or ""


def registrable(host: str) -> str:
    """eTLD+1: "mx1.eu.zoho.com.au" -> "zoho.com.au"; the host itself if it has none."""
    host = host.rstrip(".").lower()
    return _psl().privatesuffix(host) or host


def is_public(domain: str) -> bool:
    """True when the domain ends in a real top-level suffix and is more than that
    suffix: "acme.com" yes; "acme.c" (still being typed), "acme.test" or "com" no."""
    suffix = _psl().publicsuffix(domain.rstrip(".").lower(), accept_unknown=False)
    return suffix is not None and domain.rstrip(".").lower() != suffix


def brand_label(domain: str) -> str:
    """ "hotmail" for "hotmail.co.uk"; empty when the domain is more than label + suffix."""
    suffix = public_suffix(domain)
    if not suffix or not domain.endswith("." + suffix):
        return ""
    label = domain[: -len(suffix) - 1]
    return "" if "." in label else label


def host_matches(host: str, suffix: str) -> bool:
    """True when host is suffix or a name under it (label boundary, not substring)."""
    host = host.rstrip(".").lower()
    return host == suffix or host.endswith("." + suffix)
