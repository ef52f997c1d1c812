"""The autoconfig file (Thunderbird's clientConfig v1.1): parsing, and fetching it
from the domain itself (https first; plain http only when https gave nothing).

Parsing uses defusedxml: entity expansion and external references are refused.
"""

import xml.etree.ElementTree as ET  # noqa: S405  (only for ParseError; parsing is defusedxml)
from urllib.parse import quote

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .. import guard
from ..errors import ProbeError
from ..words import N_
from . import unusable
from .http import FetchError, fetch
from .model import (
    ADDRESS_TEMPLATE,
    AUTOCONFIG,
    AUTOCONFIG_HTTP,
    HIGH,
    IMAP,
    LOW,
    SMTP,
    Finding,
    Server,
    SourceFailed,
    fill_domain,
)

SECURITY = {"ssl": "ssl", "tls": "ssl", "starttls": "starttls", "plain": "none"}
OAUTH_ONLY = {"oauth2"}
# The worker only knows the domain. A server that echoes this placeholder into the
# username gives us back a template we resolve per address; the real address never
# leaves us.
EMAIL_QUERY = quote(ADDRESS_TEMPLATE, safe="")


def _text(element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None and child.text else ""


def _server(element, protocol: str, domain: str, source: str, confidence: str, origin: str):
    host = fill_domain(_text(element, "hostname"), domain)
    try:
        host = guard.normalize_host(host)
        port = int(_text(element, "port"))
    except (ProbeError, ValueError):
        return None
    security = SECURITY.get(_text(element, "socketType").lower())
    if not 1 <= port <= 65535 or security is None:
        return None
    auth = [a.text.strip().lower() for a in element.findall("authentication") if a.text and a.text.strip()]
    return Server(
        protocol,
        host,
        port,
        security,
        username=_text(element, "username") or ADDRESS_TEMPLATE,
        source=source,
        confidence=confidence,
        origin=origin,
        auth=auth,
    )


def _best(servers: list[Server]) -> Server | None:
    # RFC 8314: implicit TLS first, then STARTTLS; never plain text.
    for security in ("ssl", "starttls"):
        for server in servers:
            if server.security == security:
                return server
    return None


def parse(body: bytes, domain: str, source: str, confidence: str, origin: str) -> Finding:
    """A Finding from a clientConfig document; raises SourceFailed with a clear reason."""
    try:
        root = fromstring(body)
    except DefusedXmlException:
        raise SourceFailed(
            N_("{origin}: the file uses XML entities or DTDs, which we refuse.").format(origin=origin)
        ) from None
    except (ET.ParseError, ValueError, UnicodeError):
        raise SourceFailed(N_("{origin}: the file is not well-formed XML.").format(origin=origin)) from None
    if root.tag != "clientConfig":
        raise SourceFailed(
            N_("{origin}: this is not an autoconfig file (root element <{tag}>).").format(
                origin=origin, tag=root.tag
            )
        )
    provider = root.find("emailProvider")
    if provider is None:
        raise SourceFailed(N_("{origin}: the autoconfig file has no <emailProvider>.").format(origin=origin))
    incoming = [
        s
        for e in provider.findall("incomingServer")
        if e.get("type") == "imap" and (s := _server(e, IMAP, domain, source, confidence, origin))
    ]
    outgoing = [
        s
        for e in provider.findall("outgoingServer")
        if e.get("type") == "smtp" and (s := _server(e, SMTP, domain, source, confidence, origin))
    ]
    finding = Finding(
        source, smtp=_best(outgoing), imap=_best(incoming), label=_text(provider, "displayName")
    )
    finding.unusable = _unusable(provider, finding, incoming, outgoing)
    if not finding.found:
        if finding.unusable:  # say why, so that the page and `detect --json` can
            finding.notes.extend(item["detail"] for item in finding.unusable)
            return finding
        raise SourceFailed(
            N_("{origin}: the autoconfig file lists no usable IMAP or SMTP server.").format(origin=origin),
            status="nothing",
        )
    for server in (finding.smtp, finding.imap):
        if server is not None and server.auth and set(server.auth) <= OAUTH_ONLY:
            finding.notes.append(
                N_("{host} only accepts OAuth sign-in, so a password will not work there.").format(
                    host=server.host
                )
            )
    for enable in provider.findall("enable"):
        if enable.get("visiturl"):
            finding.notes.append(
                N_("The provider asks you to switch access on first: {url}").format(
                    url=enable.get("visiturl")
                )
            )
    return finding


def _unusable(provider, finding: Finding, incoming: list, outgoing: list) -> list[dict]:
    """Why a protocol the file lists has no usable server: unencrypted only, or POP3 only."""
    found = []
    for protocol, listed, best in (("imap", incoming, finding.imap), ("smtp", outgoing, finding.smtp)):
        if best is None and listed:
            found.append(unusable.plaintext_only(protocol, listed[0].host, listed[0].port))
    if not incoming and any(e.get("type") == "pop3" for e in provider.findall("incomingServer")):
        found.append(unusable.pop3_only())
    return found


def urls(domain: str, https_port: int, http_port: int, secure: bool) -> list[str]:
    """The two places a domain publishes its file: autoconfig.<domain>, then .well-known."""
    scheme, port, default = ("https", https_port, 443) if secure else ("http", http_port, 80)
    suffix = "" if port == default else f":{port}"
    return [
        f"{scheme}://autoconfig.{domain}{suffix}/mail/config-v1.1.xml?emailaddress={EMAIL_QUERY}",
        f"{scheme}://{domain}{suffix}/.well-known/autoconfig/mail/config-v1.1.xml",
    ]


class NotPublished(SourceFailed):
    """No such host, or an HTTP error status: the common "nothing published here"."""


def fetch_and_parse(url: str, domain: str, source: str, confidence: str, ctx) -> Finding:
    """A clientConfig document fetched within the cascade's limits, parsed; raises
    NotPublished or SourceFailed."""
    try:
        fetched = fetch(
            url,
            ctx.config.probe,
            ctx.remaining(),
            ctx.config.max_bytes,
            ctx.config.max_redirects,
            web_ports=ctx.config.web_ports,
        )
    except FetchError as exc:
        if exc.reason in ("dns", "http_status"):
            raise NotPublished(exc.detail, status="nothing") from None
        raise SourceFailed(exc.detail, status="timeout" if exc.reason == "timeout" else "failed") from None
    return parse(fetched.body, domain, source, confidence, fetched.url)


def fetch_config(url: str, domain: str, secure: bool, ctx) -> Finding:
    source, confidence = (AUTOCONFIG, HIGH) if secure else (AUTOCONFIG_HTTP, LOW)
    finding = fetch_and_parse(url, domain, source, confidence, ctx)
    if not secure:
        finding.notes.append(
            N_("These settings came over plain http and could have been altered on the way.")
        )
    return finding
