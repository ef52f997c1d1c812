"""Small helpers the sources share."""

from ..directory import LOCAL_PART, Endpoint, lookup_domain
from .model import (
    ADDRESS_TEMPLATE,
    DIRECTORY,
    HIGH,
    IMAP,
    LOCAL_PART_TEMPLATE,
    SMTP,
    Discovery,
    Report,
    Server,
)


def from_endpoint(protocol: str, endpoint: Endpoint | None, source: str, confidence: str, origin: str = ""):
    """A directory endpoint as a Server with a username template."""
    if endpoint is None:
        return None
    template = LOCAL_PART_TEMPLATE if endpoint.username == LOCAL_PART else ADDRESS_TEMPLATE
    return Server(
        protocol,
        endpoint.host,
        endpoint.port,
        endpoint.security,
        username=template,
        source=source,
        confidence=confidence,
        origin=origin,
    )


def from_directory(domain: str) -> Discovery | None:
    """The directory's answer for a domain, without the network (the cascade's first
    source, and all that a command given both servers asks for)."""
    provider = lookup_domain(domain)
    if provider is None:
        return None
    smtp, imap = provider.servers()
    return Discovery(
        domain,
        source=DIRECTORY,
        provider_id=provider.id,
        smtp=from_endpoint(SMTP, smtp, DIRECTORY, HIGH, domain),
        imap=from_endpoint(IMAP, imap, DIRECTORY, HIGH, domain),
        reports=[Report(DIRECTORY, "found", provider.name, 0, domain)],
    )
