"""Small helpers the sources share."""

from ..directory import LOCAL_PART, Endpoint
from .model import ADDRESS_TEMPLATE, LOCAL_PART_TEMPLATE, Server


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
